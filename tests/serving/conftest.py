from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# tests/ has no __init__.py: make the bundle helpers importable as `bundles`.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _no_retail_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Serving settings come from the test, never from the developer's environment."""
    for name in list(os.environ):
        if name.startswith("RETAIL_"):
            monkeypatch.delenv(name)
    from serving.settings import get_settings

    get_settings.cache_clear()


@pytest.fixture(scope="session")
def model_bytes() -> bytes:
    from bundles import onnx_model

    return onnx_model()


@pytest.fixture
def bundle_dir(tmp_path: Path, model_bytes: bytes) -> Path:
    from bundles import write_bundle

    return write_bundle(tmp_path / "models" / "v0001", "v0001", model=model_bytes)


@pytest.fixture
def registry_index(tmp_path: Path) -> Path:
    return tmp_path / "lake" / "retail" / "artifacts" / "registry" / "index.json"


@pytest.fixture
def make_client(registry_index: Path):
    """A TestClient (lifespan running) over an app reading `registry_index`."""
    from fastapi.testclient import TestClient

    from serving.app import create_app
    from serving.settings import ServingSettings

    clients = []

    def make(**overrides):
        settings = ServingSettings(registry_uri=str(registry_index), reload_seconds=0.05, **overrides)
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client, registry_index: Path, bundle_dir: Path):
    from bundles import write_index

    write_index(registry_index, "v0001", {"v0001": bundle_dir})
    return make_client(max_baskets_per_request=5, max_lines_per_basket=50)


@pytest.fixture
def live_server(registry_index: Path, bundle_dir: Path):
    """A real server (uvicorn subprocess) on the test bundle, ready, polling the index every 0.2 s."""
    from bundles import write_index
    from live_server import LiveServer

    write_index(registry_index, "v0001", {"v0001": bundle_dir})
    server = LiveServer({"RETAIL_REGISTRY_URI": str(registry_index), "RETAIL_RELOAD_SECONDS": "0.2"})
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
