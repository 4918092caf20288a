"""Shared test fixtures: generated weeks, a fresh home per test, the real data when present."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The real weekly files are never part of the project: RETAIL_REAL_DATA names a folder of them
# (on this project's machines they sit beside the checkout).
REAL_DATA = Path(os.environ.get("RETAIL_REAL_DATA", PROJECT_ROOT.parent / "shared" / "data" / "dunnhumby"))


@pytest.fixture
def real_data() -> Path:
    if not (REAL_DATA / "transactions_200607.csv.gz").exists():
        pytest.skip(f"the real dunnhumby files are not at {REAL_DATA} (set RETAIL_REAL_DATA to a folder of them)")
    return REAL_DATA


ENV_OF_A_HOME = ("RETAIL_ENV", "RETAIL_LAKE", "RETAIL_DUCKDB_PATH", "DAGSTER_HOME", "RETAIL_REGISTRY_URI", "RETAIL_HOME",
                 "RETAIL_DEPLOYMENT", "RETAIL_WAREHOUSE", "RETAIL_MODEL_PACKAGE_GROUP", "RETAIL_ONLINE_FEATURE_STORE")


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    """A fresh home for one test: RETAIL_HOME points at it, nothing else of the developer's leaks in."""
    from retail_assets.settings import get_settings

    for var in ENV_OF_A_HOME:
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "home"
    monkeypatch.setenv("RETAIL_HOME", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def instance_of():
    """instance_of(settings): the Dagster instance of a home, as `retail run` opens it."""
    import dagster as dg

    from retail_assets.settings import prepare_dagster_home

    return lambda settings: dg.DagsterInstance.from_config(str(prepare_dagster_home(settings)))


@pytest.fixture(scope="module")
def moto_endpoint():
    """moto's server on a free loopback port, fresh for each test module: the stand-in for S3,
    SageMaker (training jobs, model packages), IAM and CloudWatch."""
    moto = Path(sys.executable).with_name("moto_server")
    if not moto.exists():
        pytest.skip("moto_server is not installed (dev dependency moto[server])")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                assert server.poll() is None, "moto_server exited"
                assert time.monotonic() < deadline, "moto_server did not start in 30 s"
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
