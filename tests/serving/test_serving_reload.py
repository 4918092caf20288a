"""Hot reload through the running app: the reloader polls every 0.05 s in these tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bundles import basket, write_bundle, write_index


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def served_version(client) -> str:
    return client.post("/predict", json=basket()).json()["model_version"]


def test_ready_once_the_index_points_to_a_bundle(make_client, registry_index: Path,
                                                 bundle_dir: Path) -> None:
    client = make_client()
    assert client.get("/ready").status_code == 503
    write_index(registry_index, None, {})  # a registry with nothing in Production yet
    time.sleep(0.15)
    assert client.get("/ready").status_code == 503
    write_index(registry_index, "v0001", {"v0001": bundle_dir})
    eventually(lambda: client.get("/ready").status_code == 200)
    assert served_version(client) == "v0001"


def test_new_production_version_is_served_without_restart(
    make_client, registry_index: Path, bundle_dir: Path, model_bytes: bytes
) -> None:
    models = bundle_dir.parent
    write_index(registry_index, "v0001", {"v0001": bundle_dir})
    client = make_client()
    first_id = client.get("/model").json()["bundle_id"]
    assert served_version(client) == "v0001"

    v2 = write_bundle(models / "v0002", "v0002", model=model_bytes, metrics={"accuracy": 0.7})
    write_index(registry_index, "v0002", {"v0001": bundle_dir, "v0002": v2})
    eventually(lambda: served_version(client) == "v0002")
    answer = client.post("/predict", json=basket()).json()
    assert answer["bundle_id"] != first_id
    assert client.get("/model").json()["metrics"] == {"accuracy": 0.7}

    # A corrupt bundle (files do not hash to its bundle_id) is refused; v0002 keeps serving.
    v3 = write_bundle(models / "v0003", "v0003", model=model_bytes, bundle_id="f" * 64)
    write_index(registry_index, "v0003", {"v0002": v2, "v0003": v3})
    eventually(lambda: "bundle_id mismatch" in (client.get("/model").json()["last_reload_error"] or ""))
    assert served_version(client) == "v0002"
    assert client.get("/ready").status_code == 200

    # So is one whose model does not load, even with a correct bundle_id.
    v4 = write_bundle(models / "v0004", "v0004", model=b"\x08\x07garbage")
    write_index(registry_index, "v0004", {"v0002": v2, "v0004": v4})
    eventually(lambda: "cannot be loaded" in (client.get("/model").json()["last_reload_error"] or ""))
    assert served_version(client) == "v0002"
    metrics = client.get("/metrics").text
    assert 'retail_model_reloads_total{result="failure"} 2' in metrics
    assert 'retail_model_reloads_total{result="success"} 2' in metrics

    # And a good version after them is picked up.
    v5 = write_bundle(models / "v0005", "v0005", model=model_bytes, metrics={"accuracy": 0.8})
    write_index(registry_index, "v0005", {"v0002": v2, "v0005": v5})
    eventually(lambda: served_version(client) == "v0005")
    assert client.get("/model").json()["last_reload_error"] is None


def test_fixed_bundle_uri_ignores_the_registry(make_client, bundle_dir: Path) -> None:
    client = make_client(bundle_uri=str(bundle_dir))
    assert client.get("/model").json()["source"] == "bundle"
    assert served_version(client) == "v0001"


def tampered_golden(bundle_dir: Path) -> dict:
    """The bundle's golden.json with one expected probability moved: a model that no longer
    answers as it did when the bundle was written."""
    import json

    golden = json.loads((bundle_dir / "golden.json").read_text())
    golden["expected"][1]["probabilities"][0] += 0.01
    return golden


def test_not_ready_while_the_only_bundle_fails_its_golden_input(make_client, registry_index: Path,
                                                                 bundle_dir: Path, model_bytes: bytes) -> None:
    bad = write_bundle(bundle_dir.parent / "v0002", "v0002", model=model_bytes, golden=tampered_golden(bundle_dir))
    write_index(registry_index, "v0002", {"v0002": bad})
    client = make_client()
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert "golden.json not reproduced: golden basket 1 (basket_id 1)" in ready.json()["reason"]
    assert client.post("/predict", json=basket()).status_code == 503


def test_a_reload_swaps_only_after_the_golden_check(make_client, registry_index: Path, bundle_dir: Path,
                                                    model_bytes: bytes) -> None:
    models = bundle_dir.parent
    write_index(registry_index, "v0001", {"v0001": bundle_dir})
    client = make_client()
    assert client.get("/ready").json()["golden"]["matched"] is True

    bad = write_bundle(models / "v0002", "v0002", model=model_bytes, golden=tampered_golden(bundle_dir))
    write_index(registry_index, "v0002", {"v0001": bundle_dir, "v0002": bad})
    eventually(lambda: (client.get("/model").json()["last_refused"] or {}).get("version") == "v0002")
    model = client.get("/model").json()
    assert model["model_version"] == "v0001" and "golden.json not reproduced" in model["last_refused"]["reason"]
    assert "golden.json not reproduced" in model["last_reload_error"]
    assert client.get("/ready").status_code == 200 and served_version(client) == "v0001"

    # A bundle without a golden input proves nothing: refused too.
    bare = write_bundle(models / "v0003", "v0003", model=model_bytes, golden=False)
    write_index(registry_index, "v0003", {"v0001": bundle_dir, "v0003": bare})
    eventually(lambda: (client.get("/model").json()["last_refused"] or {}).get("version") == "v0003")
    assert "no golden.json" in client.get("/model").json()["last_refused"]["reason"]
    assert served_version(client) == "v0001"


def test_bundles_without_golden_input_served_when_allowed(make_client, registry_index: Path,
                                                         model_bytes: bytes, tmp_path: Path) -> None:
    bare = write_bundle(tmp_path / "models" / "v0001", "v0001", model=model_bytes, golden=False)
    write_index(registry_index, "v0001", {"v0001": bare})
    client = make_client(require_golden=False)
    assert client.get("/ready").status_code == 200 and client.get("/model").json()["golden"] is None
    assert served_version(client) == "v0001"
