"""Shared test fixtures: generated weeks, a fresh home per test, the real data when present."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REAL_DATA = PROJECT_ROOT.parent / "shared" / "data" / "dunnhumby"


@pytest.fixture
def real_data() -> Path:
    if not (REAL_DATA / "transactions_200607.csv.gz").exists():
        pytest.skip(f"the real dunnhumby files are not at {REAL_DATA} (they live in ../shared, beside the project)")
    return REAL_DATA


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    """A fresh RETAIL_HOME for one test; settings are re-read from it."""
    from retail_assets.settings import get_settings, use_home

    for var in ("RETAIL_ENV", "RETAIL_LAKE", "RETAIL_DUCKDB_PATH", "DAGSTER_HOME", "RETAIL_REGISTRY_URI", "RETAIL_HOME"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "home"
    use_home(path)
    yield path
    get_settings.cache_clear()
