"""Every bad case through a Dagster run of raw/transactions: one clear message naming file and
problem, nothing half-written, the previous partition byte-identical, counts that reconcile."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from retail_assets.contract.lake import Lake
from retail_assets.defs.raw.assets import raw_transactions
from retail_assets.defs.raw.sensors import ingest_week_job
from retail_assets.ingest.raw import ingest_week, quarantine_key, raw_key, reconcile_week
from retail_assets.partitions import shop_week_partitions
from retail_assets.pipeline import QUIET, RunReport, ingest_weeks
from retail_assets.resources import LakeResource
from retail_assets.sample import BAD_ROW_COUNTS, write_bad_fixture, write_sample_weeks

WEEK = 200607
LANDING = "retail/landing"


@pytest.fixture(scope="module")
def instance():
    with dg.instance_for_test() as inst:
        inst.add_dynamic_partitions(shop_week_partitions.name, [str(w) for w in range(200601, 200613)])
        yield inst


@pytest.fixture
def lake(tmp_path) -> Lake:
    return Lake.from_uri(str(tmp_path / "lake"))


def _job(lake: Lake) -> dg.JobDefinition:
    defs = dg.Definitions(assets=[raw_transactions], jobs=[ingest_week_job], resources={"lake": LakeResource(uri=lake.uri)})
    return defs.resolve_job_def("ingest_week")


def _land(lake: Lake, path: Path, name: str | None = None) -> None:
    name = name or path.name
    for stale in (f"{LANDING}/transactions_{name[13:19]}.csv", f"{LANDING}/transactions_{name[13:19]}.csv.gz"):
        lake.delete(stale)  # one file per week, as `retail run` keeps it
    lake.write_bytes(f"{LANDING}/{name}", path.read_bytes())


def _run(lake: Lake, instance, week: int = WEEK) -> dg.ExecuteInProcessResult:
    return _job(lake).execute_in_process(partition_key=str(week), instance=instance, raise_on_error=False, run_config=QUIET)


def _failure(result: dg.ExecuteInProcessResult) -> str:
    (event,) = result.get_step_failure_events()
    return event.step_failure_data.user_failure_data.description


def _state(lake: Lake) -> dict[str, bytes]:
    """Every file under raw/ and quarantine/, temporary ones included."""
    return {lake.key_of(i.path): lake.read_bytes(lake.key_of(i.path))
            for prefix in ("retail/raw", "retail/quarantine") for i in lake.list_files(prefix)}


@pytest.fixture
def good_week(tmp_path, lake) -> dict[str, bytes]:
    """Week 200607 already in raw from a good file (with bad rows, so quarantine exists too)."""
    _land(lake, write_bad_fixture("bad_rows", tmp_path / "first"))
    ingest_week(lake, WEEK)
    return _state(lake)


def _extra_kinds(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Bad files beyond the sample module's fixtures, made from a good week."""
    good = write_sample_weeks(tmp_path / "src", weeks=1, baskets_per_week=20)[0]
    text = good.read_bytes()
    out = tmp_path / "extra"
    out.mkdir()
    cases = {
        "garbage": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16, "names none of the expected columns"),  # an image
        "not_gzip": (text, "truncated or corrupt gzip"),
        "repeated_column": (text.replace(b",STORE_REGION\n", b",STORE_REGION,SPEND\n", 1), "repeated columns ['SPEND']"),
        "header_only_crlf": (text.split(b"\n", 1)[0] + b"\r\n\r\n", "has a header but no rows"),
        "not_utf8": (text.replace(b"Fresh", b"Fr\xe9sh", 1), "not a readable CSV"),
        "semicolons": (text.split(b"\n", 1)[0] + b"\n" + text.split(b"\n", 1)[1].replace(b",", b";"),
                       "no line has the header's 22 fields"),
    }
    paths = {}
    for kind, (data, message) in cases.items():
        name = f"transactions_{WEEK}.csv.gz" if kind == "not_gzip" else f"transactions_{WEEK}.csv"
        (out / kind).mkdir()
        (out / kind / name).write_bytes(data)
        paths[kind] = (out / kind / name, message)
    return paths


FILE_LEVEL = [
    ("missing_column", "missing columns ['SPEND']"),
    ("extra_column", "unexpected columns ['EXTRA_COL']"),
    ("empty", "has a header but no rows"),
    ("truncated_gzip", "truncated or corrupt gzip"),
    ("scientific_basket_ids", "BASKET_ID in scientific notation"),
]


@pytest.mark.parametrize("kind, message", FILE_LEVEL)
def test_a_refused_file_fails_its_run_with_one_message_and_writes_nothing(tmp_path, lake, instance, good_week, kind, message):
    bad = write_bad_fixture(kind, tmp_path / "bad")
    _land(lake, bad)
    result = _run(lake, instance)
    assert not result.success
    description = _failure(result)
    assert description.startswith(f"{bad.name}: ") and message in description
    assert "\n" not in description  # one message
    assert _state(lake) == good_week  # raw and quarantine as they were, byte for byte; no temporary file


def test_other_refusals_name_the_file_and_the_problem(tmp_path, lake, instance, good_week):
    for kind, (path, message) in _extra_kinds(tmp_path).items():
        _land(lake, path)
        result = _run(lake, instance)
        assert not result.success, kind
        assert _failure(result).startswith(f"{path.name}: ") and message in _failure(result), (kind, _failure(result))
        assert _state(lake) == good_week, kind
    lake.delete(f"{LANDING}/transactions_{WEEK}.csv")
    lake.delete(f"{LANDING}/transactions_{WEEK}.csv.gz")
    result = _run(lake, instance)  # the landing file vanished before its run
    assert "no landing file for week 200607" in _failure(result)


def test_bad_rows_are_quarantined_and_the_checks_reconcile(tmp_path, lake, instance):
    path = write_bad_fixture("bad_rows", tmp_path)
    _land(lake, path)
    result = _run(lake, instance)
    assert result.success
    (mat,) = result.asset_materializations_for_node("raw__transactions")
    meta = {k: v.value for k, v in mat.metadata.items()}
    lines = len(path.read_text().splitlines()) - 1
    assert meta["rows_read"] == lines
    assert meta["rows_quarantined"] == sum(BAD_ROW_COUNTS.values())
    assert meta["rows_raw"] + meta["rows_quarantined"] + meta["duplicates_dropped"] == lines
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["rows_reconcile"].passed and checks["schema_valid"].passed
    reconcile = {k: v.value for k, v in checks["rows_reconcile"].metadata.items()}
    assert reconcile["lines_in_file"] == lines and reconcile["unaccounted"] == 0
    assert lake.read_parquet(quarantine_key(WEEK)).num_rows == sum(BAD_ROW_COUNTS.values())


def test_rerunning_a_week_is_byte_identical_and_says_so_in_metadata(tmp_path, lake, instance):
    _land(lake, write_sample_weeks(tmp_path, weeks=1, baskets_per_week=30, gzip=True)[0])
    runs = [_run(lake, instance) for _ in range(2)]
    hashes = [{k: v.value for k, v in r.asset_materializations_for_node("raw__transactions")[0].metadata.items()
               if k.endswith("sha256")} for r in runs]
    assert hashes[0] == hashes[1] and "raw_sha256" in hashes[0]


def test_one_run_over_many_weeks_loads_the_good_ones_and_names_each_refused_file(tmp_path, lake, instance):
    """`retail run`'s path: a single-run range; each week stands or falls on its own."""
    _land(lake, write_bad_fixture("bad_rows", tmp_path / "a"))  # 200607: quarantined rows, loads
    _land(lake, write_bad_fixture("scientific_basket_ids", tmp_path / "b"), "transactions_200608.csv")
    _land(lake, write_bad_fixture("missing_column", tmp_path / "c"), "transactions_200611.csv")
    for path in write_sample_weeks(tmp_path / "good", weeks=2, baskets_per_week=20, first_week=200609):
        _land(lake, path)
    report = RunReport()
    weeks = [200607, 200608, 200609, 200610, 200611]
    ingest_weeks(weeks, _job(lake), instance, report)
    assert report.weeks_loaded == [200607, 200609, 200610]
    assert sorted(r.split(":")[0] for r in report.refused) == ["transactions_200608.csv", "transactions_200611.csv"]
    assert any("BASKET_ID in scientific notation" in r for r in report.refused)
    assert not lake.exists(raw_key(200608)) and not lake.exists(raw_key(200611))
    assert report.ingest_runs <= 3  # one range, the good weeks again (two ranges around the gap) ...
    raw = report.partitions_of("raw/transactions")
    assert set(raw) == {"200607", "200609", "200610"}
    assert raw["200607"]["rows_quarantined"] == sum(BAD_ROW_COUNTS.values())  # per-week metadata, not totals
    assert report.checks == {"raw/transactions:rows_reconcile": True, "raw/transactions:schema_valid": True,
                             "raw/transactions:quarantine_share": True}
    status = instance.get_status_by_partition(dg.AssetKey(["raw", "transactions"]), [str(w) for w in weeks],
                                              shop_week_partitions)
    assert {k: v.value for k, v in status.items()} == {
        "200607": "MATERIALIZED", "200608": "FAILED", "200609": "MATERIALIZED", "200610": "MATERIALIZED", "200611": "FAILED"}


def test_a_write_interrupted_before_the_raw_commit_leaves_raw_as_it_was(tmp_path, lake, instance, good_week, monkeypatch):
    corrected = write_sample_weeks(tmp_path / "fix", weeks=1, baskets_per_week=25)[0]
    _land(lake, corrected)
    real_replace = os.replace

    def dies_at_raw_commit(src, dst):
        if dst.endswith(raw_key(WEEK)):
            raise OSError("killed between the temporary write and the rename")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", dies_at_raw_commit)
    result = _run(lake, instance)
    assert not result.success
    after = _state(lake)
    assert after[raw_key(WEEK)] == good_week[raw_key(WEEK)]  # the commit point did not move
    assert not [k for k in after if k.endswith(".tmp")]  # staged files cleaned up
    assert not reconcile_week(lake, WEEK)["reconciles"]  # the half-committed week is visible as such
    # The corrected file has no bad rows: its stale quarantine was deleted before raw's commit,
    # which the reconcile check of the old raw partition notices; the next run repairs all.
    monkeypatch.setattr(os, "replace", real_replace)
    result = _run(lake, instance)
    assert result.success and all(c.passed for c in result.get_asset_check_evaluations())
    assert not lake.exists(quarantine_key(WEEK))


def test_a_process_killed_mid_commit_leaves_raw_readable_as_before(tmp_path, lake, good_week):
    """A real SIGKILL between staging and the raw rename: raw intact, the leftover invisible to readers."""
    _land(lake, write_sample_weeks(tmp_path / "fix", weeks=1, baskets_per_week=25)[0])
    script = textwrap.dedent(f"""
        import os, signal
        from retail_assets.ingest.raw import ingest_week, raw_key
        from retail_assets.contract.lake import Lake
        real = os.replace
        def replace(src, dst):
            if dst.endswith(raw_key({WEEK})):
                os.kill(os.getpid(), signal.SIGKILL)
            return real(src, dst)
        os.replace = replace
        ingest_week(Lake.from_uri({lake.uri!r}), {WEEK})
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    after = _state(lake)
    assert after[raw_key(WEEK)] == good_week[raw_key(WEEK)]
    leftovers = [k for k in after if k.endswith(".tmp")]
    assert leftovers and all(Path(k).name.startswith(".") for k in leftovers)
    before_rows = Lake.from_uri(lake.uri).read_parquet(raw_key(WEEK)).num_rows
    glob = f"{lake.uri}/retail/raw/shop_week=*/*.parquet"  # what dbt's source reads
    rows = duckdb.sql(f"select count(*) from read_parquet('{glob}', hive_partitioning = false)").fetchone()[0]
    assert rows == before_rows


def test_gzip_landing_files_are_read_as_stored(tmp_path, lake, instance):
    path = write_sample_weeks(tmp_path, weeks=1, baskets_per_week=20, gzip=True)[0]
    _land(lake, path)
    assert lake.read_bytes(f"{LANDING}/{path.name}") == path.read_bytes()
    assert _run(lake, instance).success
    assert lake.read_parquet(raw_key(WEEK)).num_rows == len(gzip.decompress(path.read_bytes()).splitlines()) - 1
