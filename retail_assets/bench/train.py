"""Training benchmark: seconds and peak memory per candidate on a home's offline training table.

    python -m retail_assets.bench.train --home /tmp/real [--bundles-out DIR]   (or: make bench-train)

Each candidate is trained in its own child process, by the pipeline's own code
(`train_candidates` with one name, the default config, the same temporal split), so one
candidate's memory never counts against another's. Per candidate it prints the fit's wall
seconds, the child's resident memory once the table is loaded and encoded, and its peak
resident memory (ru_maxrss: data + fit + scoring), then the validation accuracy and macro-F1.

With --bundles-out, each candidate is also exported to ONNX and written as a bundle
(DIR/<candidate>, with the home's online product table), so `retail evaluate --bundle
DIR/<candidate>` scores every candidate on later weeks, not only the winner.
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue as queue_module
import resource
import sys
import time
from pathlib import Path


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def _train_one(name: str, table_path: str, online_path: str | None, bundles_out: str | None,
               config_json: str, queue) -> None:
    import json

    import pyarrow.parquet as pq

    from retail_assets.ml.config import TrainingConfig
    from retail_assets.ml.training import train_candidates

    started = time.perf_counter()
    frame = pq.read_table(table_path).to_pandas()
    config = TrainingConfig.from_dict(json.loads(config_json))
    loaded_mb = _rss_mb()
    (result,) = train_candidates(frame, config, names=(name,))
    total = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    row = {"candidate": name, "fit_seconds": result.train_seconds, "total_seconds": total,
           "rss_loaded_mb": loaded_mb, "peak_rss_mb": peak_mb, "accuracy": result.metrics["accuracy"],
           "macro_f1": result.metrics["macro_f1"], "n_train": result.split.n_train, "n_valid": result.split.n_valid,
           "validation_weeks": list(result.split.validation_weeks)}
    if bundles_out:
        from retail_assets.contract.bundle_format import bundle_files, write_bundle
        from retail_assets.contract.features import default_spec
        from retail_assets.ml.export import export_onnx, onnx_parity
        from retail_assets.ml.lineage import build_lineage

        onnx_bytes = export_onnx(result.model, result.spec)
        parity = onnx_parity(result.model, onnx_bytes, result.X_valid)
        files, _ = bundle_files(name, name, onnx_bytes, default_spec(), pq.read_table(online_path),
                                {**result.metrics, "model_name": name}, build_lineage(result.split.to_dict()))
        write_bundle(str(Path(bundles_out).resolve() / name), files, overwrite=True)
        row["onnx_max_abs_diff"] = parity["max_abs_diff"]
    queue.put(row)


def main(argv: list[str] | None = None) -> int:
    from retail_assets.ml.config import CANDIDATE_NAMES, TrainingConfig

    parser = argparse.ArgumentParser(prog="python -m retail_assets.bench.train", description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="a home that `retail run` built (its lake holds the training table)")
    parser.add_argument("--table", help="a training_table.parquet (instead of --home)")
    parser.add_argument("--validation-weeks", type=int, default=TrainingConfig().validation_weeks)
    parser.add_argument("--candidates", default=",".join(CANDIDATE_NAMES))
    parser.add_argument("--bundles-out", help="also write each candidate as a bundle under this directory")
    args = parser.parse_args(argv)
    if not args.home and not args.table:
        parser.error("give --home or --table")
    features = Path(args.home).resolve() / "lake/retail/features" if args.home else Path(args.table).resolve().parent
    table = Path(args.table).resolve() if args.table else features / "training_table.parquet"
    online = features / "online_product_features.parquet"
    if not table.exists():
        parser.error(f"{table} does not exist; run `retail run` on that home first")
    if args.bundles_out and not online.exists():
        parser.error(f"--bundles-out needs the online table {online}")
    config_json = __import__("json").dumps(TrainingConfig(validation_weeks=args.validation_weeks).to_dict())

    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing inherited in memory
    print(f"training table {table}", flush=True)
    print(f"{'candidate':<20} {'fit s':>8} {'total s':>8} {'RSS loaded MB':>14} {'peak RSS MB':>12} "
          f"{'accuracy':>9} {'macro-F1':>9}", flush=True)
    for name in args.candidates.split(","):
        queue = context.Queue()
        child = context.Process(target=_train_one, args=(name, str(table), str(online), args.bundles_out,
                                                           config_json, queue))
        child.start()
        row = None
        while row is None:
            try:
                row = queue.get(timeout=5)
            except queue_module.Empty:
                if not child.is_alive():  # died without an answer (killed, out of memory, ...)
                    break
        child.join()
        if row is None or child.exitcode != 0:
            print(f"{name}: the child exited with {child.exitcode} before reporting", file=sys.stderr)
            return 1
        print(f"{name:<20} {row['fit_seconds']:>8.1f} {row['total_seconds']:>8.1f} {row['rss_loaded_mb']:>14.0f} "
              f"{row['peak_rss_mb']:>12.0f} {row['accuracy']:>9.4f} {row['macro_f1']:>9.4f}", flush=True)
    assert row is not None
    print(f"train {row['n_train']:,} baskets, validate {row['n_valid']:,} on weeks {row['validation_weeks']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
