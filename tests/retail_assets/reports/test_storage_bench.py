"""The storage benchmark on generated weeks: every variant reads back what was written,
partitions and row-group statistics prune what the guide says, and the S3 side's multipart
uploads come back whole from moto's server."""

from __future__ import annotations

import os

import pytest

from retail_assets.bench import storage, storage_s3
from retail_assets.sample import write_sample_weeks

MB = storage.MB


@pytest.fixture(scope="module")
def weeks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("landing")
    write_sample_weeks(folder, weeks=3, baskets_per_week=120, gzip=True)
    return folder


@pytest.fixture(scope="module")
def table(weeks):
    table, landing_bytes = storage.load_weeks(weeks)
    assert landing_bytes == sum(p.stat().st_size for p in weeks.iterdir())
    return table


def test_formats_read_back_every_row_and_parquet_is_smaller_than_csv(table, tmp_path):
    rows = {r["format"]: r for r in storage.bench_formats(table, tmp_path, repeat=1)}
    assert set(rows) == {"CSV", "CSV gzip", "Parquet uncompressed", "Parquet snappy", "Parquet zstd"}
    assert rows["Parquet zstd"]["bytes"] < rows["Parquet uncompressed"]["bytes"] < rows["CSV"]["bytes"]
    assert rows["CSV gzip"]["bytes"] < rows["CSV"]["bytes"]
    assert all(len(r["write"].seconds) == 1 for r in rows.values())


def test_partitions_prune_files_and_every_layout_returns_the_same_rows(table, tmp_path):
    weeks = sorted(set(table.column("shop_week").to_pylist()))
    regions = set(table.column("store_region").to_pylist())
    layouts = {r["layout"]: r for r in storage.bench_layouts(table, tmp_path, 1, weeks[1], "E01")}
    one_week, one_region, subset = storage.layout_queries(weeks[1], "E01")
    assert layouts["one file"]["files"] == 1
    assert layouts["by week"]["files"] == len(weeks)
    assert layouts["by week and region"]["files"] == sum(
        len(set(table.filter(storage.ds.field("shop_week") == w).column("store_region").to_pylist())) for w in weeks)
    assert layouts["by week"]["queries"][one_week]["opened"][0] == 1
    # E01 sorts first, so a week without it has min(store_region) > E01 and its file is skipped too.
    with_e01 = len(set(table.filter(storage.ds.field("store_region") == "E01").column("shop_week").to_pylist()))
    assert layouts["by week"]["queries"][one_region]["opened"][0] == with_e01
    assert layouts["by week and region"]["queries"][one_region]["opened"][0] == with_e01
    assert len(regions) > 1 and with_e01 < layouts["by week and region"]["files"]
    rows = {q: layouts["one file"]["queries"][q]["rows"] for q in (one_week, one_region, subset)}
    assert rows[subset] == table.num_rows
    assert rows[one_week] == table.filter(storage.ds.field("shop_week") == weeks[1]).num_rows


def test_small_row_groups_let_statistics_skip_other_weeks(table, tmp_path):
    week = sorted(set(table.column("shop_week").to_pylist()))[1]
    (row,) = storage.bench_layouts(table, tmp_path, 1, week, "E01", {"one file": []}, row_group_size=200)
    one_week = next(q for q in row["queries"] if q.startswith("one week"))
    files, groups = row["queries"][one_week]["opened"]
    _, all_groups = row["queries"]["3 columns, all rows"]["opened"]
    assert files == 1 and all_groups == -(-table.num_rows // 200)
    assert groups < all_groups / 2  # the table is in week order, so min/max statistics prune


def test_s3_multipart_uploads_come_back_whole(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(11 * MB))  # three 5 MB parts at a 5 MB threshold; one PUT at 16 MB
    small = tmp_path / "small.bin"
    small.write_bytes(os.urandom(1000))
    layout = tmp_path / "layout"
    (layout / "shop_week=200601").mkdir(parents=True)
    (layout / "shop_week=200602").mkdir(parents=True)
    import pyarrow as pa
    import pyarrow.parquet as pq

    for week in (200601, 200602):
        pq.write_table(pa.table({"x": [week, week]}), layout / f"shop_week={week}" / "part-0.parquet")
    rows = storage_s3.bench_s3({"big": big, "small": small}, repeat=1,
                            transfer_configs=[(5 * MB, 5 * MB, 1), (5 * MB, 5 * MB, 4), (16 * MB, 5 * MB, 4)],
                            layout=layout, week=200602)
    boto = [r for r in rows if r["writer"] == "boto3 upload_file"]
    assert [(r["file"], r["parts"]) for r in boto] == [("big", 3), ("big", 3), ("big", 1), ("small", 1), ("small", 1), ("small", 1)]
    assert all(r["same_bytes"] for r in rows)
    assert storage_s3.s3_problems(rows) == []
    lake_writer = next(r for r in rows if r["file"] == "big" and r["writer"].startswith("pyarrow S3FileSystem"))
    assert lake_writer["parts"] >= 1
    pruned = rows[-1]
    assert pruned["writer"] == "pyarrow dataset on S3" and pruned["parts"] == 1  # one of the two week files
    assert storage_s3.s3_problems([{**boto[0], "parts": 2}])  # a wrong part count is reported


def test_the_command_prints_every_table(weeks, capsys):
    assert storage.main(["--data", str(weeks), "--repeat", "1", "--skip-s3"]) == 0
    out = capsys.readouterr().out
    for heading in ("format (one file)", "layout (zstd Parquet)", "row groups (one zstd file)", "Parquet zstd",
                    "by week and region", "1,048,576 rows per group"):
        assert heading in out


def test_a_missing_folder_is_named(tmp_path, capsys):
    assert storage.main(["--data", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err
