"""monitoring/weekly_quality's logic: a scored week measured on its labels, used as delayed labels
(they arrive with the week's file; the scores were computed without them), and the trend across weeks.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from retail_assets.ml.metrics import evaluation_json

SEGMENT_COLUMNS = ("store_format", "store_region")


def week_labels(raw: pa.Table) -> dict[int, str]:
    """basket_id -> BASKET_PRICE_SENSITIVITY of a raw week (one label per basket)."""
    grouped = raw.group_by("BASKET_ID", use_threads=False).aggregate([("BASKET_PRICE_SENSITIVITY", "first")])
    return dict(zip(grouped.column("BASKET_ID").to_pylist(),
                    grouped.column("BASKET_PRICE_SENSITIVITY_first").to_pylist(), strict=True))


def week_quality(scores: pa.Table, labels: Mapping[int, str], *,
                 segment_columns: Sequence[str] = SEGMENT_COLUMNS) -> dict[str, Any]:
    """evaluation_json of the week's answers against its labels, overall and per value of each segment
    column; a scored basket without a label is an error (the week's raw and scores disagree)."""
    ids = scores.column("basket_id").to_pylist()
    unlabelled = [b for b in ids if b not in labels]
    if unlabelled:
        raise ValueError(f"{len(unlabelled)} scored baskets have no label in the raw week (e.g. {unlabelled[:3]})")
    true = np.asarray([labels[b] for b in ids], dtype=object)
    pred = np.asarray(scores.column("predicted_label").to_pylist(), dtype=object)
    report = evaluation_json(true, pred)
    segments: dict[str, dict[str, Any]] = {}
    for column in segment_columns:
        values = np.asarray(["(missing)" if v is None else str(v) for v in scores.column(column).to_pylist()],
                            dtype=object)
        segments[column] = {}
        for value in sorted(set(values.tolist())):
            part = evaluation_json(true[values == value], pred[values == value])
            segments[column][value] = {k: part[k] for k in ("baskets", "accuracy", "macro_f1")}
    versions = sorted(set(scores.column("model_version").to_pylist()))
    return {**report, "segments": segments, "model_version": ",".join(versions)}


def trend_png(series: Sequence[Mapping[str, Any]], floor: float) -> bytes:
    """Accuracy and macro-F1 per scored week, the floor dashed, each point's model version marked."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(max(6.0, 0.45 * len(series) + 2), 3.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    x = np.arange(len(series))
    axes.plot(x, [p["accuracy"] for p in series], marker="o", label="accuracy")
    axes.plot(x, [p["macro_f1"] for p in series], marker="s", label="macro F1")
    axes.axhline(floor, color="tab:red", linestyle="--", label=f"floor {floor:.2f}")
    for i, point in enumerate(series):
        if i == 0 or point["model_version"] != series[i - 1]["model_version"]:
            axes.annotate(str(point["model_version"]), (i, point["accuracy"]), textcoords="offset points",
                          xytext=(0, 8), fontsize=7, ha="center")
    axes.set_xticks(x, labels=[str(p["week"]) for p in series], rotation=60, fontsize=7)
    axes.set_ylim(0, 1.05)
    axes.set_title("weekly quality of the model that scored each week (delayed labels)")
    axes.legend(loc="lower left", fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def accuracy_on_week(bundle: Any, lake: Any, shop_week: int) -> float:
    """`bundle`'s accuracy on a raw week, scored as weekly_scores scores it (products known before the week)."""
    from retail_assets.contract.lake_keys import raw_key
    from retail_assets.monitoring.scores import products_known_before, score_week

    raw = lake.read_parquet(raw_key(shop_week))
    products, _ = products_known_before(lake, shop_week)
    return float(week_quality(score_week(bundle, raw, products, shop_week), week_labels(raw))["accuracy"])
