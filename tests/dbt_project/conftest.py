"""Lakes built once per session: the base fixture, and the same with week 3 relabelled."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt_lake_fixture import BASKETS, WEEK_3_CHANGES, relabel, write_raw_lake
from dbt_runner import DbtRun, build_lake


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> tuple[DbtRun, Path]:
    """(the dbt build, the lake) for the base fixture."""
    work = tmp_path_factory.mktemp("dbt_base")
    lake = write_raw_lake(work / "lake")
    return build_lake(lake, work), lake


@pytest.fixture(scope="session")
def built_relabelled(tmp_path_factory) -> tuple[DbtRun, Path]:
    """The base fixture with week 200603's labels swapped (LA <-> UM, MM -> LA) and its prices tripled."""
    work = tmp_path_factory.mktemp("dbt_relabelled")
    baskets = relabel(BASKETS, **WEEK_3_CHANGES)
    lake = write_raw_lake(work / "lake", baskets)
    return build_lake(lake, work), lake
