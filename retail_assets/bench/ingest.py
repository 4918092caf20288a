"""Ingestion benchmark: the real weekly files into a fresh home, beside the naive way.

    python -m retail_assets.bench.ingest --data DIR [--weeks N] [--repeat 3] [--per-week-runs]

Each measurement runs in its own child process, so its peak memory (the child's own
ru_maxrss, from wait4) is not mixed with the others'; all of them in the same invocation,
interleaved over --repeat rounds so they share the machine's load, and the median is shown:

- naive: pandas read_csv + to_parquet per week (no validation, no quarantine, no checks);
- ingest: `ingest_week` per week (parse, validate, quarantine, atomic write), then the raw
  checks on what was written (reconcile, schema) timed apart;
- retail run ingest phase: landing, partitions and the Dagster runs `retail run` makes
  (one single-run backfill), on a fresh home; with --per-week-runs also one run per week,
  as the sensor would launch them, for comparison.

Prints rows, seconds, rows/s, peak MB and the time relative to naive, and whether every
week reconciles (lines in the file = raw + quarantined + duplicates dropped). No assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WEEKLY = re.compile(r"^transactions_(\d{6})\.csv(\.gz)?$")


def weekly_files(data: Path, weeks: int | None) -> list[Path]:
    files = sorted(p for p in data.iterdir() if WEEKLY.match(p.name))
    return files[:weeks] if weeks else files


# --- the children --------------------------------------------------------------------------


def child_naive(files: list[Path], work: Path) -> dict:
    import pandas as pd

    start = time.perf_counter()
    rows = 0
    for path in files:
        frame = pd.read_csv(path)
        frame.to_parquet(work / f"{path.name.split('.')[0]}.parquet", index=False)
        rows += len(frame)
    return {"rows": rows, "seconds": time.perf_counter() - start}


def child_ingest(files: list[Path], work: Path) -> dict:
    from retail_assets.contract.lake import Lake
    from retail_assets.contract.lake_keys import LANDING, raw_key
    from retail_assets.ingest.raw import ingest_week, reconcile_week, validate_written_week
    from retail_assets.ingest.weekly import FileRejected, week_of_file

    lake = Lake.from_uri(str(work / "lake"))
    for path in files:  # landing is where files arrive, before ingestion: not timed
        lake.write_bytes(f"{LANDING}/{path.name}", path.read_bytes())
    weeks = [week_of_file(p.name) for p in files]
    refused, rows_read, rows_raw, quarantined, duplicates = [], 0, 0, 0, 0
    start = time.perf_counter()
    for week in weeks:
        try:
            result, _ = ingest_week(lake, week)
        except FileRejected as exc:
            refused.append(str(exc))
            continue
        rows_read += result.rows_read
        rows_raw += result.good.num_rows
        quarantined += result.quarantine.num_rows
        duplicates += result.duplicates_dropped
    ingest_seconds = time.perf_counter() - start
    start = time.perf_counter()
    loaded = [w for w in weeks if lake.exists(raw_key(w))]
    counts = {w: reconcile_week(lake, w) for w in loaded}
    schema = {w: validate_written_week(lake, w) for w in loaded}
    check_seconds = time.perf_counter() - start
    return {
        "rows": rows_read, "seconds": ingest_seconds, "check_seconds": check_seconds,
        "rows_raw": rows_raw, "rows_quarantined": quarantined, "duplicates_dropped": duplicates,
        "lines_in_files": sum(c["lines_in_file"] for c in counts.values()),
        "weeks": len(weeks), "weeks_reconciled": sum(c["reconciles"] for c in counts.values()),
        "weeks_schema_valid": sum(not s["problems"] for s in schema.values()),
        "problems": [f"{w}: {p}" for w, c in counts.items() for p in c["problems"]] + refused,
    }


def child_retail_run(files: list[Path], work: Path, per_week: bool) -> dict:
    import dagster as dg

    from retail_assets.contract.lake import Lake
    from retail_assets.definitions import build_definitions
    from retail_assets.settings import prepare_dagster_home, settings_for_home

    settings = settings_for_home(work / "home")
    from retail_assets.partitions import SHOP_WEEK
    from retail_assets.pipeline import RunReport, ingest_weeks, land_files

    landing = work / "landing"
    landing.mkdir()
    for path in files:  # links, never copies of the real data
        (landing / path.name).symlink_to(path.resolve())
    start = time.perf_counter()
    defs = build_definitions(settings)
    load_seconds = time.perf_counter() - start
    start = time.perf_counter()
    report = RunReport()
    weeks = list(land_files(landing, Lake.from_uri(settings.lake_uri), report))
    instance = dg.DagsterInstance.from_config(str(prepare_dagster_home(settings)))
    instance.add_dynamic_partitions(SHOP_WEEK, [str(w) for w in weeks])
    job = defs.resolve_job_def("ingest_week")
    if per_week:
        for week in weeks:
            ingest_weeks([week], job, instance, report)
    else:
        ingest_weeks(weeks, job, instance, report)
    seconds = time.perf_counter() - start
    raw = report.partitions_of("raw/transactions")
    return {
        "rows": sum(int(m.get("rows_read", 0)) for m in raw.values()), "seconds": seconds,
        "load_seconds": load_seconds, "runs": report.ingest_runs, "weeks_loaded": len(report.weeks_loaded),
        "checks_passed": all(report.checks.values()) and bool(report.checks),
        "problems": report.refused + report.failed_steps + report.failed_checks,
    }


# --- the parent ----------------------------------------------------------------------------


def _measure(mode: str, files: list[Path], extra: list[str] | None = None) -> dict:
    """Run one child; its result plus its own peak RSS in MB (ru_maxrss of that child, from wait4)."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{mode.replace(':', '-')}-") as work:
        out_path, err_path = Path(work) / "stdout", Path(work) / "stderr"
        command = [sys.executable, "-m", "retail_assets.bench.ingest", "--child", mode, "--work", work,
                   "--files", *map(str, files), *(extra or [])]
        with open(out_path, "w") as out, open(err_path, "w") as err:
            proc = subprocess.Popen(command, stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if proc.returncode != 0:
            raise RuntimeError(f"{mode} child failed ({proc.returncode}):\n{err_path.read_text()[-3000:]}")
        result = json.loads(out_path.read_text().strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def _median(results: list[dict], key: str = "seconds") -> float:
    return statistics.median(r[key] for r in results)


def _row(label: str, results: list[dict], naive_seconds: float, key: str = "seconds") -> str:
    rows = results[0]["rows"]
    seconds = _median(results, key)
    spread = f"{min(r[key] for r in results):.1f}-{max(r[key] for r in results):.1f}" if len(results) > 1 else ""
    return (f"{label:<50} {rows:>11,} {seconds:>9.2f} {spread:>11} {rows / seconds:>10,.0f} "
            f"{max(r['peak_mb'] for r in results):>8.0f} {seconds / naive_seconds:>8.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder of the real weekly files")
    parser.add_argument("--weeks", type=int, help="only the first N weekly files")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of naive / ingest / retail run, interleaved")
    parser.add_argument("--per-week-runs", action="store_true", help="also time one Dagster run per week")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--files", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        mode, _, variant = args.child.partition(":")
        if mode == "naive":
            result = child_naive(args.files, args.work)
        elif mode == "ingest":
            result = child_ingest(args.files, args.work)
        else:
            result = child_retail_run(args.files, args.work, per_week=variant == "per-week")
        print(json.dumps(result))
        return 0

    if not args.data.is_dir():
        print(f"no weekly files: {args.data} does not exist")
        return 2
    files = weekly_files(args.data, args.weeks)
    print(f"ingest benchmark: {len(files)} weekly files from {args.data} "
          f"({sum(p.stat().st_size for p in files) / 1e6:.1f} MB gzip), {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    naives, ingests, runs, per_week = [], [], [], []
    for _ in range(max(1, args.repeat)):  # interleaved, so a busy minute of the machine hits them all
        naives.append(_measure("naive", files))
        ingests.append(_measure("ingest", files))
        runs.append(_measure("retail-run", files))
        if args.per_week_runs:
            per_week.append(_measure("retail-run:per-week", files))
    for r in ingests:
        r["with_checks"] = r["seconds"] + r["check_seconds"]
    ours, run = ingests[-1], runs[-1]

    print(f"\nmedian of {len(naives)} rounds{'':<33} {'rows':>11} {'seconds':>9} {'(min-max)':>11} {'rows/s':>10} "
          f"{'peak MB':>8} {'vs naive':>9}")
    n = _median(naives)
    print(_row("naive: pandas read_csv + to_parquet", naives, n))
    print(_row("ingest_week: parse, validate, quarantine, write", ingests, n))
    print(_row("  + raw checks on what was written", ingests, n, "with_checks"))
    print(_row(f"retail run ingest phase ({run['runs']} Dagster run{'s' if run['runs'] != 1 else ''})", runs, n))
    if per_week:
        print(_row(f"  the same, one Dagster run per week ({per_week[0]['runs']} runs)", per_week, n))
    print(f"\n(loading the code location before the retail run phase: {_median(runs, 'load_seconds'):.1f} s, not counted)")
    lost = ours["lines_in_files"] - ours["rows_raw"] - ours["rows_quarantined"] - ours["duplicates_dropped"]
    print(f"reconciliation: {ours['weeks_reconciled']}/{ours['weeks']} weeks reconcile; lines {ours['lines_in_files']:,} = "
          f"raw {ours['rows_raw']:,} + quarantined {ours['rows_quarantined']:,} + duplicates {ours['duplicates_dropped']:,}; "
          f"rows lost {lost:,}; schema valid {ours['weeks_schema_valid']}/{ours['weeks']}")
    print(f"retail run: {run['weeks_loaded']}/{len(files)} weeks loaded, raw checks "
          f"{'passed' if run['checks_passed'] else 'FAILED'}")
    for problem in ours["problems"] + run["problems"]:
        print(f"  problem: {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
