from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from bundles import basket, onnx_model, write_bundle, write_index

from retail_assets.contract.bundle import load_bundle
from retail_assets.contract.bundle_format import BundleError, compute_bundle_id, read_bundle_files
from retail_assets.contract.features import FeatureSpec, default_spec
from retail_assets.contract.registry_index import resolve_production
from serving.reloader import BundleReloader


def test_compute_bundle_id_is_order_free_and_ignores_the_manifest() -> None:
    files = {"b.bin": b"2", "a.json": b"1"}
    bundle_id = compute_bundle_id(files)
    assert len(bundle_id) == 64 and int(bundle_id, 16) >= 0
    assert compute_bundle_id({"a.json": b"1", "b.bin": b"2", "bundle.json": b"x"}) == bundle_id
    assert compute_bundle_id({"a.json": b"1", "b.bin": b"3"}) != bundle_id
    assert compute_bundle_id({"a.jso": b"n1", "b.bin": b"2"}) != bundle_id  # names are framed


def test_load_and_predict(bundle_dir: Path) -> None:
    bundle = load_bundle(str(bundle_dir))
    assert bundle.version == "v0001"
    assert bundle.bundle_id == compute_bundle_id(read_bundle_files(str(bundle_dir)))
    assert bundle.metrics_summary() == {"accuracy": 0.61, "macro_f1": 0.58}
    body = basket(6)
    baskets = {"basket_id": [1], **{k: [body[k]] for k in (
        "store_format", "store_region", "shop_weekday", "shop_hour",
        "cust_price_sensitivity", "cust_lifestage")}}
    lines = {"basket_id": [1] * 6, **{k: [line[k] for line in body["lines"]]
                                      for k in ("prod_code", "quantity", "spend")}}
    labels, proba = bundle.predict(baskets, lines)
    assert proba.shape == (1, 3) and proba.dtype == np.float32
    assert labels.tolist() == [bundle.classes[int(proba[0].argmax())]]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def corrupt(bundle_dir: Path, name: str, data: bytes) -> None:
    (bundle_dir / name).write_bytes(data)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: corrupt(d, "model.onnx", (d / "model.onnx").read_bytes()[:-7]), "bundle_id mismatch"),
        (lambda d: (d / "product_features.parquet").unlink(), "missing files"),
        (lambda d: corrupt(d, "extra.txt", b"late write"), "bundle_id mismatch"),
        (lambda d: corrupt(d, "bundle.json", b"{not json"), "bundle.json is not valid JSON"),
    ],
    ids=["truncated-model", "missing-file", "extra-file", "bad-manifest"],
)
def test_damaged_bundles_are_refused(bundle_dir: Path, damage, message: str) -> None:
    damage(bundle_dir)
    with pytest.raises(BundleError, match=message):
        load_bundle(str(bundle_dir))


def test_broken_onnx_with_a_correct_id_is_refused(tmp_path: Path) -> None:
    write_bundle(tmp_path / "b", model=b"this is not an onnx model")
    with pytest.raises(BundleError, match="model.onnx cannot be loaded"):
        load_bundle(str(tmp_path / "b"))


def test_model_whose_inputs_differ_from_features_json_is_refused(tmp_path: Path) -> None:
    write_bundle(tmp_path / "b", model=onnx_model(numeric=default_spec().numeric[:5]))
    with pytest.raises(BundleError, match="do not match the features of features.json"):
        load_bundle(str(tmp_path / "b"))


def test_zipmap_output_is_refused(tmp_path: Path) -> None:
    write_bundle(tmp_path / "b", model=onnx_model(zipmap=True))
    with pytest.raises(BundleError, match="zipmap"):
        load_bundle(str(tmp_path / "b"))


def test_features_serving_cannot_compute_are_refused(tmp_path: Path, model_bytes: bytes) -> None:
    spec = default_spec()
    spec = FeatureSpec(numeric=(*spec.numeric[:-1], "basket_colour"),
                       categorical=spec.categorical, classes=spec.classes)
    write_bundle(tmp_path / "b", model=model_bytes, spec=spec)
    with pytest.raises(BundleError, match="basket_colour"):
        load_bundle(str(tmp_path / "b"))


def test_resolve_production(tmp_path: Path, bundle_dir: Path) -> None:
    index = write_index(tmp_path / "registry" / "index.json", "v0001", {"v0001": bundle_dir})
    ref = resolve_production(str(index))
    assert (ref.version, ref.bundle_uri) == ("v0001", str(bundle_dir))
    # A relative bundle_uri is a lake key, resolved in the lake the index sits in.
    lake_index = tmp_path / "lake" / "retail" / "artifacts" / "registry" / "index.json"
    write_index(lake_index, "v0001", {"v0001": bundle_dir})
    data = json.loads(lake_index.read_text())
    data["versions"]["v0001"]["bundle_uri"] = "retail/artifacts/models/v0001"
    lake_index.write_text(json.dumps(data))
    assert resolve_production(str(lake_index)).bundle_uri == str(tmp_path / "lake/retail/artifacts/models/v0001")
    write_index(index, None, {"v0001": bundle_dir})
    assert resolve_production(str(index)) is None
    index.write_text('{"production": "v0009", "versions": {}}')
    with pytest.raises(BundleError, match="v0009"):
        resolve_production(str(index))


def test_reloader_swaps_refuses_and_retries(tmp_path: Path, bundle_dir: Path, model_bytes: bytes) -> None:
    index = tmp_path / "registry" / "index.json"
    reloader = BundleReloader(registry_uri=str(index), reload_seconds=0.01)
    assert reloader.refresh() is False and reloader.current is None  # no index yet
    assert "cannot be read" in reloader.stats.last_error

    write_index(index, "v0001", {"v0001": bundle_dir})
    assert reloader.refresh() is True and reloader.current.version == "v0001"
    first = reloader.current
    assert reloader.refresh() is False and reloader.current is first  # nothing changed

    bad = write_bundle(tmp_path / "models" / "v0002", "v0002", model=model_bytes, bundle_id="0" * 64)
    write_index(index, "v0002", {"v0001": bundle_dir, "v0002": bad})
    assert reloader.refresh() is False and reloader.current is first
    assert "bundle_id mismatch" in reloader.stats.last_error and reloader.stats.failures == 1

    write_bundle(bad, "v0002", model=model_bytes)  # fixed in place
    assert reloader.refresh() is False  # still backing off after the failure
    reloader._retry_at = 0.0
    assert reloader.refresh() is True and reloader.current.version == "v0002"
    assert reloader.stats.last_error is None


def test_reloader_refuses_a_version_the_index_does_not_name(tmp_path: Path, bundle_dir: Path) -> None:
    index = write_index(tmp_path / "index.json", "v0005", {"v0005": bundle_dir})  # holds v0001
    reloader = BundleReloader(registry_uri=str(index))
    assert reloader.refresh() is False
    assert "the registry says v0005" in reloader.stats.last_error


def test_fixed_bundle_uri(bundle_dir: Path) -> None:
    reloader = BundleReloader(bundle_uri=str(bundle_dir))
    assert reloader.refresh() is True and reloader.source == "bundle"
    assert reloader.refresh() is False and reloader.current.version == "v0001"
