"""Weekly incremental builds equal full builds: weeks 1, 2 and 4 first, then week 3 as a
new file delivered late (every later week's history changes), then week 3 delivered again
with other labels and prices (var shop_weeks), each compared with a full build of the
same raw data, table by table and in the lake."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from dbt_lake_fixture import BASKETS, WEEK_3_CHANGES, relabel, write_raw_lake
from dbt_runner import build_lake, warehouse_table

MODELS = ("stg_transactions", "int_product_weekly", "int_category_weekly",
          "product_features_pit", "product_features_latest", "fct_baskets")
LAKE_TABLES = ("silver/transactions", "gold/fct_baskets", "gold/product_features_pit", "gold/product_features_latest")


@pytest.fixture(scope="module")
def incremental(tmp_path_factory) -> dict:
    """step -> its DbtRun (one warehouse throughout), plus "work" (the warehouse's directory),
    "lake", and the tables as they were after the late week."""
    work = tmp_path_factory.mktemp("dbt_incremental")
    lake = work / "lake"
    steps = {}
    write_raw_lake(lake, tuple(b for b in BASKETS if b.week != 200603))
    steps["weeks 1, 2, 4"] = build_lake(lake, work, command="run")
    write_raw_lake(lake, tuple(b for b in BASKETS if b.week == 200603), duplicate_first_line=False)
    steps["week 3 late"] = build_lake(lake, work, command="run")  # (data tests: the full builds' tests)
    steps["week 3 late snapshot"] = _snapshot(work, lake)
    shutil.rmtree(lake / "retail" / "raw" / "shop_week=200603")
    write_raw_lake(lake, relabel(BASKETS, **WEEK_3_CHANGES))
    steps["week 3 changed"] = build_lake(lake, work, "--vars", "{shop_weeks: [200603]}", command="run")
    return {"work": work, "lake": lake, **steps}


def _snapshot(work: Path, lake: Path) -> dict:
    return {"warehouse": {m: warehouse_table(work, m) for m in MODELS},
            "lake": {t: _lake_rows(lake, t) for t in LAKE_TABLES}}


def _lake_rows(lake: Path, key: str) -> list[dict]:
    rows = ds.dataset(lake / "retail" / key, format="parquet", partitioning="hive").to_table().to_pylist()
    return sorted(rows, key=lambda row: [str(v) for k, v in sorted(row.items()) if not isinstance(v, float)])


def _same(actual: list[dict], expected: list[dict], what: str) -> None:
    assert len(actual) == len(expected), what
    for got, want in zip(actual, expected, strict=True):
        assert got.keys() == want.keys(), what
        for column, value in want.items():
            if isinstance(value, float):
                assert got[column] == pytest.approx(value, rel=1e-12, abs=1e-12), (what, column, want)
            else:
                assert got[column] == value, (what, column, want)


def test_every_incremental_step_succeeds(incremental):
    for step in ("weeks 1, 2, 4", "week 3 late", "week 3 changed"):
        assert incremental[step].returncode == 0, (step, incremental[step].output[-3000:])
    assert set(incremental["week 3 changed"].statuses("").values()) == {"success"}


def test_new_and_late_weeks_give_the_tables_of_a_full_build(incremental, built):
    full_run, full_lake = built
    full_work = full_run.target_path.parent
    snapshot = incremental["week 3 late snapshot"]
    for model in MODELS:
        _same(snapshot["warehouse"][model], warehouse_table(full_work, model), model)
    for key in LAKE_TABLES:
        _same(snapshot["lake"][key], _lake_rows(full_lake, key), key)


def test_a_changed_week_rebuilds_it_and_every_later_week(incremental, built_relabelled):
    full_run, full_lake = built_relabelled
    full_work = full_run.target_path.parent
    for model in MODELS:
        _same(warehouse_table(incremental["work"], model), warehouse_table(full_work, model), model)
    for key in LAKE_TABLES:
        _same(_lake_rows(incremental["lake"], key), _lake_rows(full_lake, key), key)


def test_an_incremental_run_reads_only_the_weeks_it_builds(incremental):
    # (The late week's run compiled to the same lists, with week 3 new instead of changed.)
    compiled = incremental["week 3 changed"].target_path / "compiled" / "retail" / "models"
    stg = (compiled / "staging" / "stg_transactions.sql").read_text()
    assert "where SHOP_WEEK in (200603)" in stg  # only the changed week's raw file
    fct = (compiled / "marts" / "fct_baskets.sql").read_text()
    assert "where shop_week in (200603, 200604)" in fct  # the changed week and the later one
