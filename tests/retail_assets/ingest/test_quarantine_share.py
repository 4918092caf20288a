"""quarantine_share: a blocking check per week on the share of its lines quarantined, computed from
what was written; a week past it (or with nothing left in raw) stops what is downstream of it."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from retail_assets.contract.lake import Lake
from retail_assets.contract.lake_keys import quarantine_key, raw_key
from retail_assets.defs.raw.assets import raw_transactions
from retail_assets.defs.raw.sensors import ingest_week_job
from retail_assets.partitions import shop_week_partitions
from retail_assets.pipeline import QUIET, RunReport, ingest_weeks
from retail_assets.resources import LakeResource
from retail_assets.sample import write_sample_weeks

LANDING = "retail/landing"
RAW = dg.AssetKey(["raw", "transactions"])


def corrupt(path: Path, share: float = 1.0, column: str = "STORE_FORMAT", value: str = "ZZ") -> int:
    """Put an unknown code in `column` on the first `share` of the file's rows; return how many."""
    header, *rows = path.read_text().splitlines()
    index = header.split(",").index(column)
    n = round(len(rows) * share)
    for i in range(n):
        fields = rows[i].split(",")
        fields[index] = value
        rows[i] = ",".join(fields)
    path.write_text("\n".join([header, *rows]) + "\n")
    return n


@dg.asset(key=["after_raw"], deps=[RAW], partitions_def=shop_week_partitions,
          backfill_policy=dg.BackfillPolicy.single_run())
def after_raw(context) -> dg.MaterializeResult:
    """Stands for what is downstream of raw in the same run (dbt's models, by automation)."""
    return dg.MaterializeResult(metadata={"week": context.partition_key})


def _defs(lake: Lake) -> dg.Definitions:
    with_downstream = dg.define_asset_job("raw_and_after", selection=[RAW, dg.AssetKey(["after_raw"])])
    return dg.Definitions(assets=[raw_transactions, after_raw], jobs=[ingest_week_job, with_downstream],
                          resources={"lake": LakeResource(uri=lake.uri)})


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        inst.add_dynamic_partitions(shop_week_partitions.name, [str(w) for w in range(200607, 200612)])
        yield inst


@pytest.fixture
def lake(tmp_path) -> Lake:
    return Lake.from_uri(str(tmp_path / "lake"))


def _land(lake: Lake, paths: list[Path]) -> None:
    for path in paths:
        lake.write_bytes(f"{LANDING}/{path.name}", path.read_bytes())


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {c.check_name: c for c in result.get_asset_check_evaluations()}


def test_a_week_whose_every_row_is_quarantined_fails_the_blocking_check(tmp_path, lake, instance):
    (week,) = write_sample_weeks(tmp_path, weeks=1, baskets_per_week=30)
    rows = corrupt(week)
    _land(lake, [week])
    result = _defs(lake).resolve_job_def("ingest_week").execute_in_process(
        partition_key="200607", instance=instance, raise_on_error=False, run_config=QUIET)
    assert not result.success
    checks = _checks(result)
    assert checks["rows_reconcile"].passed and checks["schema_valid"].passed  # written as meant
    share = checks["quarantine_share"]
    assert not share.passed and share.blocking
    meta = {k: v.value for k, v in share.metadata.items()}
    assert meta["quarantine_share"] == 1.0 and meta["rows_quarantined"] == rows and meta["failing_weeks"] == [200607]
    assert meta["problems"] == f"week 200607: every row of {week.name} quarantined ({rows} of {rows}): nothing in raw"
    # What was written stays: raw empty, every row kept in quarantine with its reason.
    assert lake.read_parquet(raw_key(200607)).num_rows == 0
    reasons = lake.read_parquet(quarantine_key(200607)).column("REJECT_REASON").to_pylist()
    assert reasons == ["STORE_FORMAT 'ZZ' is not an allowed code"] * rows


def test_the_share_threshold_is_config_of_the_raw_asset(tmp_path, lake, instance):
    (week,) = write_sample_weeks(tmp_path, weeks=1, baskets_per_week=30)
    bad = corrupt(week, share=0.3)
    _land(lake, [week])
    job = _defs(lake).resolve_job_def("ingest_week")
    default = job.execute_in_process(partition_key="200607", instance=instance, run_config=QUIET)
    assert default.success and _checks(default)["quarantine_share"].passed  # 30% <= 0.5
    strict = {**QUIET, "ops": {"raw__transactions": {"config": {"max_quarantine_share": 0.2}}}}
    result = job.execute_in_process(partition_key="200607", instance=instance, run_config=strict, raise_on_error=False)
    assert not result.success
    meta = {k: v.value for k, v in _checks(result)["quarantine_share"].metadata.items()}
    lines = len(week.read_text().splitlines()) - 1
    assert meta["max_quarantine_share"] == 0.2
    assert meta["problems"] == (f"week 200607: {bad} of {lines} rows of {week.name} quarantined "
                                f"({bad / lines:.1%}), more than max_quarantine_share 0.2")


@pytest.mark.parametrize("corrupted, downstream_runs", [(False, True), (True, False)])
def test_a_failed_share_check_stops_what_is_downstream_of_the_week(tmp_path, lake, instance, corrupted, downstream_runs):
    (week,) = write_sample_weeks(tmp_path, weeks=1, baskets_per_week=30)
    if corrupted:
        corrupt(week)
    _land(lake, [week])
    result = _defs(lake).resolve_job_def("raw_and_after").execute_in_process(
        partition_key="200607", instance=instance, raise_on_error=False, run_config=QUIET)
    assert result.success is downstream_runs
    materialized = {m.asset_key for m in _materialized(result)}
    assert RAW in materialized  # raw is written either way: the check judges what was written
    assert (dg.AssetKey(["after_raw"]) in materialized) is downstream_runs


def _materialized(result: dg.ExecuteInProcessResult) -> list[dg.AssetMaterialization]:
    return [e.event_specific_data.materialization for e in result.all_events
            if e.event_type_value == "ASSET_MATERIALIZATION"]


def test_retail_runs_ingest_loads_nothing_when_the_only_week_is_all_quarantined(tmp_path, lake, instance):
    (week,) = write_sample_weeks(tmp_path, weeks=1, baskets_per_week=30)
    corrupt(week)
    _land(lake, [week])
    report = RunReport()
    ingest_weeks([200607], _defs(lake).resolve_job_def("ingest_week"), instance, report)
    assert report.weeks_loaded == [] and not report.refused  # not refused: its rows are kept, with reasons
    assert not report.ok
    (failed,) = report.failed_checks
    assert failed.startswith("week 200607: raw/transactions:quarantine_share failed")
    assert f"every row of {week.name} quarantined" in failed
    assert report.checks["raw/transactions:quarantine_share"] is False


def test_retail_runs_ingest_keeps_the_good_weeks_when_the_latest_is_all_quarantined(tmp_path, lake, instance):
    weeks = write_sample_weeks(tmp_path, weeks=4, baskets_per_week=30)  # 200607..200610
    corrupt(weeks[-1])
    _land(lake, weeks)
    report = RunReport()
    ingest_weeks([200607, 200608, 200609, 200610], _defs(lake).resolve_job_def("ingest_week"), instance, report)
    assert report.weeks_loaded == [200607, 200608, 200609]
    assert report.failed_checks and all("quarantine_share failed" in f for f in report.failed_checks)
    assert all("week 200610: every row of transactions_200610.csv quarantined" in f for f in report.failed_checks)
    # Over a range the check names the week it stopped, and the rest loads in one more range run.
    assert report.failed_checks[-1].startswith("weeks 200607..200610: raw/transactions:quarantine_share failed")
    assert report.ingest_runs == 2
    assert report.checks["raw/transactions:quarantine_share"] is False
