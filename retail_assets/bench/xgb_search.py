"""A small, honest XGBoost hyper-parameter search on an offline training table.

Honest: it never looks at the weeks the README's held-out evaluation uses. It takes the table
of a home trained on weeks <= --last-week (e.g. 200740), fits on every week before the last
--validation-weeks of that range and scores macro-F1 on those, so the chosen setting is
picked inside the training weeks. One fit per (max_depth, learning_rate, min_child_weight);
n_estimators is read off the same fit at several tree counts (`iteration_range`).

    python -m retail_assets.bench.xgb_search --home /tmp/real --last-week 200740
"""

from __future__ import annotations

import argparse
import itertools
import json
import time

import numpy as np
import pyarrow.parquet as pq


def main(argv: list[str] | None = None) -> int:
    from sklearn.utils.class_weight import compute_sample_weight
    from xgboost import XGBClassifier

    from retail_assets.contract.encoding import encode
    from retail_assets.contract.features import CLASSES, default_spec
    from retail_assets.ml.metrics import classification_report
    from retail_assets.ml.training import encode_labels, temporal_split

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", required=True, help="training_table.parquet of a home")
    parser.add_argument("--last-week", type=int, required=True, help="ignore every week after this one")
    parser.add_argument("--validation-weeks", type=int, default=4)
    parser.add_argument("--max-trees", type=int, default=900)
    parser.add_argument("--depths", default="4,6,8")
    parser.add_argument("--rates", default="0.05,0.1")
    parser.add_argument("--min-child-weights", default="1,20")
    args = parser.parse_args(argv)

    frame = pq.read_table(args.table).to_pandas()
    frame = frame[frame["shop_week"] <= args.last_week]
    train, valid, split = temporal_split(frame, args.validation_weeks)
    spec = default_spec()
    X, Xv = encode(train, spec), encode(valid, spec)
    y, yv = encode_labels(train["label"]), encode_labels(valid["label"])
    weight = compute_sample_weight("balanced", y)
    print(f"train weeks {split.train_weeks[0]}..{split.train_weeks[-1]} ({split.n_train} baskets), "
          f"search-validation weeks {split.validation_weeks} ({split.n_valid} baskets)", flush=True)
    checkpoints = [n for n in (150, 300, 450, 600, 900, 1200) if n <= args.max_trees]
    rows = []
    grid = itertools.product([int(v) for v in args.depths.split(",")], [float(v) for v in args.rates.split(",")],
                             [float(v) for v in args.min_child_weights.split(",")])
    for depth, rate, mcw in grid:
        model = XGBClassifier(objective="multi:softprob", n_estimators=args.max_trees, max_depth=depth,
                              learning_rate=rate, min_child_weight=mcw, subsample=0.8, colsample_bytree=0.8,
                              tree_method="hist", n_jobs=2, random_state=42)
        started = time.perf_counter()
        model.fit(X, y, sample_weight=weight)
        seconds = time.perf_counter() - started
        for n in checkpoints:
            pred = np.argmax(model.predict_proba(Xv, iteration_range=(0, n)), axis=1)
            report = classification_report([CLASSES[i] for i in yv], [CLASSES[i] for i in pred], CLASSES)
            row = {"max_depth": depth, "learning_rate": rate, "min_child_weight": mcw, "n_estimators": n,
                   "accuracy": round(report["accuracy"], 4), "macro_f1": round(report["macro_f1"], 4),
                   "fit_seconds_all_trees": round(seconds, 1)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    best = max(rows, key=lambda r: (r["macro_f1"], -r["n_estimators"]))
    print("best " + json.dumps(best), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
