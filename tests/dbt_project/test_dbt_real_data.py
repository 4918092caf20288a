"""dbt on a few weeks of the real dunnhumby files: every data test holds on real codes, a
query for one region and week reads one file, and the serving runtime computes the
features dbt computed for a few thousand real baskets."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from dbt_runner import build_lake, files_read
from feature_parity import assert_same_feature_set, compare_week
from raw_weeks import write_csv_weeks

WEEKS = ("200607", "200609", "200610", "200611")
REAL_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "dunnhumby"  # as tests/conftest.py


@pytest.fixture(scope="module")
def real_build(tmp_path_factory):
    # Module-scoped (one build for the three tests), so it checks for the files itself.
    if not (REAL_DATA / "transactions_200607.csv.gz").exists():
        pytest.skip(f"the real dunnhumby files are not at {REAL_DATA} (they live in ../shared, beside the project)")
    work = tmp_path_factory.mktemp("dbt_real")
    write_csv_weeks([REAL_DATA / f"transactions_{w}.csv.gz" for w in WEEKS], work / "lake")
    return build_lake(work / "lake", work), work


@pytest.mark.slow
def test_real_weeks_build_with_every_test_passing(real_data, real_build):
    run, work = real_build
    assert run.returncode == 0, run.output[-3000:]
    assert set(run.statuses("").values()) <= {"success", "pass"}
    baskets = pq.read_table(work / "lake" / "retail" / "gold" / "fct_baskets")
    assert baskets.num_rows > 10_000
    assert sorted(set(baskets.column("shop_week").to_pylist())) == [int(w) for w in WEEKS]


@pytest.mark.slow
def test_one_region_and_week_of_real_silver_is_one_file(real_data, real_build, tmp_path):
    _, work = real_build
    silver = work / "lake" / "retail" / "silver" / "transactions"
    read, _, lines = files_read(
        f"select count(*) from read_parquet('{silver}/*/*/*.parquet', hive_partitioning = true) "
        "where store_region = 'W02' and shop_week = 200610", tmp_path)
    assert read == [str(silver / "shop_week=200610" / "store_region=W02" / "part-0.parquet")]
    assert len(list(silver.rglob("*.parquet"))) == 12 * len(WEEKS) and lines > 0


@pytest.mark.slow
def test_serving_computes_the_features_dbt_computed_for_real_baskets(real_data, real_build):
    _, work = real_build
    assert_same_feature_set(work)
    assert compare_week(work, 200611) > 3000  # three weeks of history: classes, shares, prices
