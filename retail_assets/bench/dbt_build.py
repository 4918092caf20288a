"""dbt benchmark: the whole silver+gold build on the real weeks, and one new week incrementally.

    python -m retail_assets.bench.dbt_build --data DIR [--work DIR] [--weeks N]

The weekly files are ingested once (not timed) into a raw lake, as `retail run` would.
Then, each with its own DuckDB warehouse and lake:

- full: `dbt build` (models, data tests, unit tests) on every week, from nothing;
- incremental: `dbt build` on every week but the last (setup, shown), then the last week's
  raw partition arrives and `dbt build` runs again: the time a new week costs.

Wall seconds include dbt's start-up and parse; "dbt" is dbt's own elapsed time, split into
models (their SQL and the lake export hooks) and tests (data + unit) as sums over dbt's 4
threads. At the end every
model's table is compared between the two warehouses (equal up to float summation order).
Figures only, no assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from retail_assets.settings import DBT_PROJECT_DIR, dbt_executable

MODELS = ("stg_transactions", "int_product_weekly", "int_category_weekly", "product_features_pit",
          "product_features_latest", "fct_baskets")


def ingest(data: Path, lake: Path, weeks: int | None) -> list[int]:
    """The weekly files into lake/retail/raw through the project's own ingestion."""
    from retail_assets.contract.lake import Lake
    from retail_assets.ingest.raw import LANDING, ingest_week
    from retail_assets.ingest.weekly import FILE_NAME, week_of_file

    files = sorted(p for p in data.iterdir() if FILE_NAME.match(p.name))[: weeks or None]
    store = Lake.from_uri(str(lake))
    for path in files:
        store.write_bytes(f"{LANDING}/{path.name}", path.read_bytes())
        ingest_week(store, week_of_file(path.name))
    return [week_of_file(p.name) for p in files]


def _one(con, sql: str) -> tuple:
    row = con.sql(sql).fetchone()
    if row is None:
        raise RuntimeError(f"no row from {sql}")
    return row


def dbt_build(lake: Path, work: Path, *args: str) -> dict:
    """`dbt build` on `lake` with the warehouse in `work`; wall and dbt's own seconds."""
    target = work / "target"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("RETAIL_", "DBT_"))},
           "RETAIL_LAKE": str(lake), "RETAIL_DUCKDB_PATH": str(work / "warehouse.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [dbt_executable(), "build", "--target", "local", "--project-dir", str(DBT_PROJECT_DIR),
               "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target),
               "--log-path", str(work / "logs"), *args]
    start = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"dbt build failed:\n{proc.stdout[-4000:]}{proc.stderr[-2000:]}")
    results = json.loads((target / "run_results.json").read_text())
    by_kind: dict[str, float] = {}
    per_model = {}
    for r in results["results"]:
        kind = r["unique_id"].split(".")[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + r["execution_time"]
        if kind == "model":
            per_model[r["unique_id"].split(".")[-1]] = r["execution_time"]
    return {"wall": wall, "dbt": results["elapsed_time"], "models": by_kind.get("model", 0.0),
            "tests": by_kind.get("test", 0.0) + by_kind.get("unit_test", 0.0), "per_model": per_model,
            "nodes": len(results["results"])}


def compare(a: Path, b: Path) -> tuple[int, float, dict[str, int]]:
    """Rows that differ (beyond 1e-9, relative, on doubles) between the warehouses, the
    largest relative difference between doubles, and each model's row count."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only)")
    con.execute(f"attach '{b}' as b (read_only)")
    differing, largest, counts = 0, 0.0, {}
    for model in MODELS:
        columns = con.sql(f"select column_name, data_type from duckdb_columns() "
                          f"where database_name = 'a' and table_name = '{model}'").fetchall()
        keys = [c for c, t in columns if t != "DOUBLE"]
        doubles = [c for c, t in columns if t == "DOUBLE"]
        counts[model] = _one(con, f"select count(*) from a.main.{model}")[0]
        on = " and ".join(f"x.{k} is not distinct from y.{k}" for k in keys)
        deltas = ", ".join(f"abs(x.{c} - y.{c}) / greatest(1, abs(x.{c}))" for c in doubles) or "0"
        # Joined on every non-double column: a row whose keys differ is a missing match.
        joined = _one(con, f"""
            select count(*) filter (where y.{keys[0]} is null) as unmatched,
                   max(greatest({deltas})) as largest,
                   count(*) filter (where greatest({deltas}) > 1e-9) as off
            from a.main.{model} x left join b.main.{model} y on {on}""")
        other = _one(con, f"select count(*) from b.main.{model}")[0]
        differing += joined[0] + joined[2] + abs(other - counts[model])
        largest = max(largest, joined[1] or 0.0)
    return differing, largest, counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder of the real weekly files")
    parser.add_argument("--work", type=Path, help="keep everything here (default: a temporary directory)")
    parser.add_argument("--weeks", type=int, help="only the first N weekly files")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        sys.exit(f"no weekly files at {args.data}")
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-dbt-"))
    try:
        run(args.data, work, args.weeks)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


def run(data: Path, work: Path, weeks: int | None) -> None:
    full_lake, inc_lake = work / "full" / "lake", work / "incremental" / "lake"
    start = time.perf_counter()
    loaded = ingest(data, full_lake, weeks)
    print(f"ingested {len(loaded)} weeks ({loaded[0]}..{loaded[-1]}) into a raw lake in "
          f"{time.perf_counter() - start:.0f} s (not part of the figures)", flush=True)
    last = loaded[-1]
    for week in loaded[:-1]:
        shutil.copytree(full_lake / "retail" / "raw" / f"shop_week={week}", inc_lake / "retail" / "raw" / f"shop_week={week}")

    full = dbt_build(full_lake, work / "full")
    setup = dbt_build(inc_lake, work / "incremental")
    shutil.copytree(full_lake / "retail" / "raw" / f"shop_week={last}", inc_lake / "retail" / "raw" / f"shop_week={last}")
    new_week = dbt_build(inc_lake, work / "incremental")
    differing, largest, counts = compare(work / "full" / "warehouse.duckdb", work / "incremental" / "warehouse.duckdb")

    print(f"\ndbt build, DuckDB, {os.cpu_count()} cores: {counts['stg_transactions']:,} silver lines, "
          f"{counts['fct_baskets']:,} baskets, {counts['product_features_latest']:,} products; "
          f"{full['nodes']} nodes (6 models, data and unit tests)")
    print(f"{'':44s} {'wall s':>7s} {'dbt s':>7s} {'models Σs':>9s} {'tests Σs':>8s}")
    for label, r in ((f"full build, {len(loaded)} weeks from nothing", full),
                     (f"  setup: {len(loaded) - 1} weeks from nothing", setup),
                     (f"one new week ({last}), incremental", new_week)):
        print(f"{label:44s} {r['wall']:7.1f} {r['dbt']:7.1f} {r['models']:9.1f} {r['tests']:8.1f}")
    print("\nper model (s)          " + "  ".join(f"{m.removeprefix('int_').removeprefix('product_features_')[:12]:>12s}"
                                               for m in MODELS))
    for label, r in (("full build", full), ("one new week", new_week)):
        print(f"{label:22s} " + "  ".join(f"{r['per_model'].get(m, 0.0):12.2f}" for m in MODELS))
    verdict = "yes" if differing == 0 else f"NO: {differing} rows differ"
    print(f"\nsame tables either way: {verdict} ({len(MODELS)} models compared; largest relative difference "
          f"between doubles {largest:.1e}: summation order)")


if __name__ == "__main__":
    main()
