"""Storage formats and lake layouts on a folder of weekly files: bytes, write and scan seconds.

    python -m retail_assets.bench.storage --data DIR [--weeks N] [--repeat 3] [--skip-s3]

Every weekly file is parsed by the ingest code into the raw table (typed, canonical
columns), and that one table is written and read back in each variant; every figure is the
median of `--repeat` runs (min-max beside it), on a warm page cache (each file is read
right after it is written), with pyarrow's default threads. It measures:

1. formats, one file each: CSV (plain and gzip, as files land) and Parquet (uncompressed,
   snappy, zstd): bytes, write, full scan, scan of three columns;
2. layouts of zstd Parquet: one file, one file per week (raw), per week and region
   (silver): files, bytes, write, and three queries (one week, one region, three columns of
   every row), with the files and row groups each query opens;
3. row-group size of the one-file layout: bytes, full scan, one week (statistics pruning);
4. the S3 side, against moto's server on 127.0.0.1 for correctness only: boto3
   TransferConfig multipart thresholds, part sizes and concurrency, and the lake's own
   writer (pyarrow's S3 filesystem), each checked by part count and sha256 of what comes
   back (`storage_s3.py`). Seconds against moto measure this machine, not S3.
Work files go to a temporary folder (never into the project), removed at the end.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from retail_assets.bench.storage_s3 import bench_s3, s3_problems
from retail_assets.bench.timing import MB, timed, tree_bytes
from retail_assets.ingest.weekly import FILE_NAME, parse_weekly_file

SUBSET = ["BASKET_ID", "SPEND", "BASKET_PRICE_SENSITIVITY"]  # what a label-mix query reads
ROW_GROUP_SIZES = (16_384, 131_072, 1_048_576)  # 1,048,576 rows is pyarrow's default


def load_weeks(data: Path, weeks: int | None = None) -> tuple[pa.Table, int]:
    """The raw table of every weekly file in `data` (the first `weeks`), and the files' bytes.
    Partition keys are lower case and the table is in week order, as in the lake."""
    files = sorted(p for p in Path(data).iterdir() if FILE_NAME.match(p.name))[:weeks]
    if not files:
        raise FileNotFoundError(f"no transactions_YYYYWW.csv[.gz] files in {data}")
    tables = [parse_weekly_file(p.name, p.read_bytes()).good for p in files]
    table = pa.concat_tables(tables)
    names = ["shop_week" if c == "SHOP_WEEK" else "store_region" if c == "STORE_REGION" else c for c in table.column_names]
    return table.rename_columns(names), sum(p.stat().st_size for p in files)


def _files(path: Path) -> int:
    return 1 if path.is_file() else sum(1 for p in path.rglob("*.parquet"))


# 1. Formats ---------------------------------------------------------------------------------

def _write_csv(table: pa.Table, path: Path, gzipped: bool) -> None:
    if not gzipped:
        pacsv.write_csv(table, path)
        return
    with gzip.open(path, "wb", compresslevel=6) as out:  # the level of `gzip` and of the sample files
        pacsv.write_csv(table, out)


def _read_csv(path: Path, columns: list[str] | None, schema: pa.Schema) -> pa.Table:
    types = {f.name: f.type for f in schema}
    convert = pacsv.ConvertOptions(column_types=types, include_columns=columns, null_values=[""],
                                   strings_can_be_null=True)
    return pacsv.read_csv(path, convert_options=convert)


def bench_formats(table: pa.Table, work: Path, repeat: int) -> list[dict]:
    rows = []
    variants: list[tuple[str, str, dict[str, Any]]] = [
        ("CSV", "csv", {"gzipped": False}), ("CSV gzip", "csv.gz", {"gzipped": True}),
        ("Parquet uncompressed", "none.parquet", {"compression": "none"}),
        ("Parquet snappy", "snappy.parquet", {"compression": "snappy"}),
        ("Parquet zstd", "zstd.parquet", {"compression": "zstd"}),
    ]
    for name, suffix, options in variants:
        path = work / f"one.{suffix}"
        if suffix.startswith("csv"):
            write, _ = timed(partial(_write_csv, table, path, **options), repeat)
            scan, full = timed(partial(_read_csv, path, None, table.schema), repeat)
            subset, part = timed(partial(_read_csv, path, SUBSET, table.schema), repeat)
        else:
            write, _ = timed(partial(pq.write_table, table, path, **options), repeat)
            scan, full = timed(partial(pq.read_table, path), repeat)
            subset, part = timed(partial(pq.read_table, path, columns=SUBSET), repeat)
        if full.num_rows != table.num_rows or part.num_columns != len(SUBSET):
            raise AssertionError(f"{name}: read back {full.num_rows} rows / {part.num_columns} columns")
        rows.append({"format": name, "bytes": tree_bytes(path), "write": write, "scan": scan, "subset": subset, "path": path})
    return rows


# 2. Layouts ---------------------------------------------------------------------------------

def _write_layout(table: pa.Table, path: Path, keys: list[str], row_group_size: int | None = None) -> None:
    if path.exists():
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    if not keys:
        pq.write_table(table, path, compression="zstd", row_group_size=row_group_size)
        return
    schema = pa.schema([table.schema.field(k) for k in keys])
    ds.write_dataset(
        table, path, format="parquet", partitioning=ds.partitioning(schema, flavor="hive"),
        file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
        basename_template="part-{i}.parquet", max_partitions=4096, max_open_files=4096,
        existing_data_behavior="overwrite_or_ignore",
    )


def _dataset(path: Path, schema: pa.Schema, keys: list[str]) -> ds.Dataset:
    if not keys:
        return ds.dataset(path, format="parquet")
    partitioning = ds.partitioning(pa.schema([schema.field(k) for k in keys]), flavor="hive")
    return ds.dataset(path, format="parquet", partitioning=partitioning)


def _opened(dataset: ds.Dataset, expression) -> tuple[int, int]:
    """(files, row groups) a scan with `expression` reads after partition and statistics pruning."""
    files = groups = 0
    for fragment in dataset.get_fragments(filter=expression):
        kept = fragment.split_by_row_group(filter=expression, schema=dataset.schema)
        files += 1 if kept else 0
        groups += len(kept)
    return files, groups


def layout_queries(week: int, region: str) -> dict[str, tuple[object, list[str] | None]]:
    return {
        f"one week ({week})": (ds.field("shop_week") == week, None),
        f"one region ({region})": (ds.field("store_region") == region, None),
        "3 columns, all rows": (None, SUBSET),
    }


def bench_layouts(table: pa.Table, work: Path, repeat: int, week: int, region: str,
                  layouts: dict[str, list[str]] | None = None, row_group_size: int | None = None) -> list[dict]:
    layouts = layouts or {"one file": [], "by week": ["shop_week"], "by week and region": ["shop_week", "store_region"]}
    queries = layout_queries(week, region)
    rows: list[dict[str, Any]] = []
    expected: dict[str, int] = {}
    for name, keys in layouts.items():
        path = work / ("layout_" + "_".join(keys or ["one"]) + (".parquet" if not keys else ""))
        write, _ = timed(partial(_write_layout, table, path, keys, row_group_size), repeat)
        dataset = _dataset(path, table.schema, keys)
        row: dict[str, Any] = {"layout": name, "files": _files(path), "bytes": tree_bytes(path), "write": write, "queries": {}}
        for query, (expression, columns) in queries.items():
            seconds, result = timed(partial(dataset.to_table, filter=expression, columns=columns), repeat)
            if expected.setdefault(query, result.num_rows) != result.num_rows:
                raise AssertionError(f"{name}, {query}: {result.num_rows} rows, another layout gave {expected[query]}")
            row["queries"][query] = {"seconds": seconds, "rows": result.num_rows, "opened": _opened(dataset, expression)}
        rows.append(row)
    return rows


def bench_row_groups(table: pa.Table, work: Path, repeat: int, week: int, region: str) -> list[dict]:
    rows = []
    for size in ROW_GROUP_SIZES:
        (row,) = bench_layouts(table, work, repeat, week, region, {"one file": []}, row_group_size=size)
        row["layout"] = f"{size:,} rows per group"
        rows.append(row)
    return rows


# Report -------------------------------------------------------------------------------------

def _mb(n: int) -> str:
    return f"{n / MB:9.1f}"


def print_report(table: pa.Table, landing_bytes: int, formats, layouts, row_groups, s3, repeat: int) -> None:
    out = sys.stdout.write
    out(f"\n{table.num_rows:,} rows, {table.num_columns} columns; the landing files hold {landing_bytes / MB:.1f} MB (gzip CSV)\n")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    out(f"seconds: median of {repeat} runs (min-max), warm page cache; {os.cpu_count()} cores, load average {load}\n\n")
    out(f"{'format (one file)':<24}{'MB':>9}{'write s':>22}{'full scan s':>22}{'3 columns s':>22}\n")
    for r in formats:
        out(f"{r['format']:<24}{_mb(r['bytes'])}{str(r['write']):>22}{str(r['scan']):>22}{str(r['subset']):>22}\n")
    for title, rows in (("layout (zstd Parquet)", layouts), ("row groups (one zstd file)", row_groups)):
        queries = list(rows[0]["queries"])
        out(f"\n{title:<28}{'files':>7}{'MB':>9}{'write s':>22}" + "".join(f"{q:>34}" for q in queries) + "\n")
        for r in rows:
            cells = "".join(f"{'{} [{}/{}]'.format(r['queries'][q]['seconds'], *r['queries'][q]['opened']):>34}"
                            for q in queries)
            out(f"{r['layout']:<28}{r['files']:>7}{_mb(r['bytes'])}{str(r['write']):>22}{cells}\n")
        out("  [files/row groups each query opened after pruning]; rows returned: "
            + ", ".join(f"{q} {rows[0]['queries'][q]['rows']:,}" for q in queries) + "\n")
    if s3:
        out("\nS3 against moto on 127.0.0.1 (correctness; seconds are this machine's, not S3's)\n")
        out(f"{'file':<22}{'MB':>8}  {'writer':<32}{'setting':<46}{'parts':>7}{'expected':>9}{'same':>6}{'up s':>9}{'down s':>9}\n")
        for r in s3:
            up = f"{r['upload'].median:9.3f}" if r["upload"] else f"{'':>9}"
            down = f"{r['download'].median:9.3f}" if r["download"] else f"{'':>9}"
            expected = "" if r["expected_parts"] is None else r["expected_parts"]
            out(f"{r['file']:<22}{r['bytes'] / MB:8.1f}  {r['writer']:<32}{r['setting']:<46}{r['parts']:>7}{expected:>9}"
                f"{'yes' if r['same_bytes'] else 'NO':>6}{up}{down}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of transactions_YYYYWW.csv[.gz] files")
    parser.add_argument("--weeks", type=int, help="only the first N weeks")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument("--skip-s3", action="store_true", help="leave out the checks against moto's S3 server")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not args.data.is_dir():
        print(f"no weekly files: {args.data} is not a folder", file=sys.stderr)
        return 2
    started = time.perf_counter()
    table, landing_bytes = load_weeks(args.data, args.weeks)
    weeks = sorted(set(table.column("shop_week").to_pylist()))
    week, region = weeks[len(weeks) // 2], "E01"
    print(f"storage benchmark: {len(weeks)} weeks ({weeks[0]}-{weeks[-1]}), {table.num_rows:,} rows, repeat {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="retail-bench-storage-") as tmp:
        work = Path(tmp)
        formats = bench_formats(table, work, args.repeat)
        layouts = bench_layouts(table, work, args.repeat, week, region)
        row_groups = bench_row_groups(table, work, args.repeat, week, region)
        s3 = []
        if not args.skip_s3:
            by_week = work / "layout_shop_week"
            _write_layout(table, by_week, ["shop_week"])
            files = {"one.zstd.parquet": next(r["path"] for r in formats if r["format"] == "Parquet zstd"),
                     "one.csv.gz": next(r["path"] for r in formats if r["format"] == "CSV gzip")}
            s3 = bench_s3(files, args.repeat, layout=by_week, week=week)
        print_report(table, landing_bytes, formats, layouts, row_groups, s3, args.repeat)
    problems = s3_problems(s3)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
