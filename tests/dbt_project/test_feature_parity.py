"""One definition of a feature: dbt's SQL and the serving runtime agree, feature by
feature, on generated baskets (the real ones: test_dbt_real_data.py)."""

from __future__ import annotations

import pytest
from dbt_runner import build_lake
from feature_parity import assert_same_feature_set, compare_week
from raw_weeks import write_csv_weeks

from retail_assets.sample import write_sample_weeks

WEEKS = 5


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    work = tmp_path_factory.mktemp("dbt_parity")
    files = write_sample_weeks(work / "landing", weeks=WEEKS, baskets_per_week=400, seed=11)
    write_csv_weeks(files, work / "lake")
    run = build_lake(work / "lake", work, command="run")
    assert run.returncode == 0, run.output[-3000:]
    return work


def test_both_sides_define_the_same_features(generated):
    assert_same_feature_set(generated)


@pytest.mark.parametrize("week", [200607, 200609, 200611])
def test_serving_computes_the_features_dbt_computed(generated, week):
    # The first week knows no product; later weeks see classes and label shares.
    assert compare_week(generated, week) == 400
