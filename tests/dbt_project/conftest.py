"""Lakes built once per module: the base fixture, and the same with week 3 relabelled."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt_lake_fixture import BASKETS, relabel, write_raw_lake
from dbt_runner import DbtRun, build_lake


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[DbtRun, Path]:
    """(the dbt build, the lake) for the base fixture."""
    work = tmp_path_factory.mktemp("dbt_base")
    lake = write_raw_lake(work / "lake")
    return build_lake(lake, work), lake


@pytest.fixture(scope="module")
def built_relabelled(tmp_path_factory) -> tuple[DbtRun, Path]:
    """The base fixture with week 200603's labels swapped (LA <-> UM, MM -> LA)."""
    work = tmp_path_factory.mktemp("dbt_relabelled")
    baskets = relabel(BASKETS, 200603, {"LA": "UM", "UM": "LA", "MM": "LA"})
    lake = write_raw_lake(work / "lake", baskets)
    return build_lake(lake, work), lake
