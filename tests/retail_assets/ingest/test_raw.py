"""Raw partitions: atomic, idempotent, nothing written for a refused file."""

from __future__ import annotations

import pytest

from retail_assets.contract.lake import Lake
from retail_assets.ingest.raw import ingest_week, landed_files, quarantine_key, raw_key
from retail_assets.ingest.weekly import FileRejected
from retail_assets.sample import write_bad_fixture, write_sample_weeks


def _land(lake: Lake, path):
    lake.write_bytes(f"retail/landing/{path.name}", path.read_bytes())


def test_rerunning_a_week_gives_identical_bytes(tmp_path):
    lake = Lake.from_uri(str(tmp_path / "lake"))
    _land(lake, write_sample_weeks(tmp_path / "in", weeks=1)[0])
    _, first = ingest_week(lake, 200607)
    before = lake.read_bytes(raw_key(200607))
    _, second = ingest_week(lake, 200607)
    assert first == second
    assert lake.read_bytes(raw_key(200607)) == before
    assert not [i for i in lake.list_files("retail/raw") if ".tmp-" in i.path]


def test_a_refused_file_leaves_the_previous_partition_intact(tmp_path):
    lake = Lake.from_uri(str(tmp_path / "lake"))
    _land(lake, write_sample_weeks(tmp_path / "in", weeks=1)[0])
    ingest_week(lake, 200607)
    before = lake.read_bytes(raw_key(200607))
    _land(lake, write_bad_fixture("scientific_basket_ids", tmp_path / "bad"))
    with pytest.raises(FileRejected):
        ingest_week(lake, 200607)
    assert lake.read_bytes(raw_key(200607)) == before


def test_a_corrected_file_clears_stale_quarantine(tmp_path):
    lake = Lake.from_uri(str(tmp_path / "lake"))
    _land(lake, write_bad_fixture("bad_rows", tmp_path / "bad"))
    ingest_week(lake, 200607)
    assert lake.exists(quarantine_key(200607))
    _land(lake, write_sample_weeks(tmp_path / "good", weeks=1, baskets_per_week=40)[0])
    ingest_week(lake, 200607)
    assert not lake.exists(quarantine_key(200607))


def test_landing_listing_flags_two_files_for_one_week(tmp_path):
    lake = Lake.from_uri(str(tmp_path / "lake"))
    plain = write_sample_weeks(tmp_path / "p", weeks=1)[0]
    gz = write_sample_weeks(tmp_path / "g", weeks=1, gzip=True)[0]
    _land(lake, plain)
    _land(lake, gz)
    files, problems = landed_files(lake)
    assert files == []
    assert problems == ["week 200607 has more than one file: transactions_200607.csv, transactions_200607.csv.gz"]


def test_gzip_files_land_and_ingest_as_stored(tmp_path):
    # pyarrow's filesystems gunzip ".gz" keys by default; the lake must hand back the stored bytes.
    lake = Lake.from_uri(str(tmp_path / "lake"))
    gz = write_sample_weeks(tmp_path / "in", weeks=1, gzip=True)[0]
    _land(lake, gz)
    assert lake.read_bytes(f"retail/landing/{gz.name}") == gz.read_bytes()
    result, _ = ingest_week(lake, 200607)
    assert result.good.num_rows > 0


def test_reconcile_reads_the_lake_and_catches_partitions_from_different_files(tmp_path):
    from retail_assets.ingest.raw import footer_of, reconcile_week

    lake = Lake.from_uri(str(tmp_path / "lake"))
    bad = write_bad_fixture("bad_rows", tmp_path / "bad")
    _land(lake, bad)
    result, hashes = ingest_week(lake, 200607)
    counts = reconcile_week(lake, 200607)
    assert counts["reconciles"] and counts["problems"] == []
    assert counts["lines_in_file"] == result.rows_read == counts["rows_raw"] + counts["rows_quarantined"] + counts["duplicates_dropped"]
    rows, footer = footer_of(lake, raw_key(200607))
    assert rows == result.good.num_rows and footer["landing_sha256"] == hashes["landing_sha256"]
    stale_quarantine = lake.read_bytes(quarantine_key(200607))
    # A later file for the week, then the old quarantine put back (as a half-finished commit would leave it).
    _land(lake, write_sample_weeks(tmp_path / "good", weeks=1, baskets_per_week=40)[0])
    ingest_week(lake, 200607)
    lake.write_bytes(quarantine_key(200607), stale_quarantine)
    problems = reconcile_week(lake, 200607)["problems"]
    assert "quarantine and raw come from different landing files" in problems
    # And a landing file replaced after ingestion: raw no longer matches it.
    _land(lake, bad)
    assert "raw was not written from the current landing file" in reconcile_week(lake, 200607)["problems"]


def test_line_counting_agrees_with_the_parser_on_awkward_line_ends(tmp_path):
    from retail_assets.ingest.raw import count_data_lines
    from retail_assets.ingest.weekly import parse_weekly_file

    path = write_sample_weeks(tmp_path, weeks=1, baskets_per_week=10)[0]
    lines = path.read_bytes().split(b"\n")
    text = b"\r\n".join(lines[:5]) + b"\r\n\r\n\n" + b"\n".join(lines[5:]).rstrip(b"\n")  # CRLF, blank lines, no final newline
    result = parse_weekly_file(path.name, text)
    assert count_data_lines(path.name, text) == result.rows_read == len([line for line in lines[1:] if line])
    assert result.reconciles and result.quarantine.num_rows == 0
