import json
import os

import numpy as np
import pytest

from retail_assets.contract import lake as lake_module
from retail_assets.contract.bundle import load_bundle
from retail_assets.contract.bundle_format import (
    BundleError,
    bundle_files,
    compute_bundle_id,
    read_verified_files,
    write_bundle,
)
from retail_assets.contract.features import default_spec
from retail_assets.ml.export import export_onnx, onnx_feeds, onnx_session

FILES = {"model.onnx", "features.json", "product_features.parquet", "metrics.json", "bundle.json"}


@pytest.fixture(scope="module")
def exported(candidates):
    result = candidates["xgboost"]
    return result, export_onnx(result.model, result.spec)


def _write(dest, exported, products, **kwargs):
    result, data = exported
    metrics = {k: v for k, v in result.metrics.items() if k in ("accuracy", "macro_f1", "per_class")}
    lineage = {"validation_weeks": list(result.split.validation_weeks), "git_sha": "abc123"}
    overwrite = kwargs.pop("overwrite", False)
    files, manifest = bundle_files("v0001", "xgboost", data, default_spec(), products, metrics, lineage, **kwargs)
    write_bundle(str(dest), files, overwrite=overwrite)
    return manifest


def verify_bundle(dest):
    return read_verified_files(str(dest))[1]


def test_bundle_holds_every_file_and_its_id_verifies(tmp_path, exported, products):
    dest = tmp_path / "models" / "v0001"
    manifest = _write(dest, exported, products, created_at="2024-01-01T00:00:00+00:00")
    assert {p.name for p in dest.iterdir()} == FILES
    assert not [p for p in dest.parent.iterdir() if p.name.startswith(".")]  # no staging left over
    files = {p.name: p.read_bytes() for p in dest.iterdir()}
    assert manifest["bundle_id"] == compute_bundle_id(files)
    assert json.loads(files["bundle.json"]) == manifest
    assert list(manifest) == ["version", "bundle_id", "model_name", "created_at", "lineage", "rules"]
    assert manifest["version"] == "v0001" and manifest["lineage"]["git_sha"] == "abc123"
    assert json.loads(files["features.json"]) == default_spec().to_json()
    assert verify_bundle(dest) == manifest


def test_serving_loads_the_bundle_and_predicts_like_the_export(tmp_path, exported, products):
    result, data = exported
    dest = tmp_path / "v0001"
    manifest = _write(dest, exported, products)
    bundle = load_bundle(str(dest))
    assert (bundle.version, bundle.bundle_id, bundle.model_name) == ("v0001", manifest["bundle_id"], "xgboost")
    labels, proba = bundle.predict_features(result.X_valid)
    session = onnx_session(data)
    _, expected = session.run(None, onnx_feeds(session, result.X_valid))
    np.testing.assert_array_equal(proba, expected)
    assert set(labels) <= {"LA", "MM", "UM"}


def test_same_inputs_give_the_same_bundle_id(tmp_path, exported, products):
    first = _write(tmp_path / "a", exported, products)
    second = _write(tmp_path / "b", exported, products)
    assert first["bundle_id"] == second["bundle_id"]


def test_tampered_bundle_fails_verification(tmp_path, exported, products):
    dest = tmp_path / "v0001"
    _write(dest, exported, products)
    (dest / "metrics.json").write_text('{"accuracy": 1.0}')
    with pytest.raises(BundleError, match="bundle_id"):
        verify_bundle(dest)


def test_existing_bundle_is_refused_unless_overwritten(tmp_path, exported, products):
    dest = tmp_path / "v0001"
    _write(dest, exported, products)
    with pytest.raises(FileExistsError):
        _write(dest, exported, products)
    (dest / "stray.txt").write_text("left by a failed run")
    _write(dest, exported, products, overwrite=True)
    assert {p.name for p in dest.iterdir()} == FILES
    assert [p.name for p in tmp_path.iterdir()] == ["v0001"]


def test_a_failure_while_publishing_leaves_no_bundle_and_no_staging(tmp_path, exported, products, monkeypatch):
    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(lake_module.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        _write(tmp_path / "v0001", exported, products)
    assert list(tmp_path.iterdir()) == []


def test_bad_inputs_are_refused(tmp_path, exported, products):
    with pytest.raises(ValueError, match="gs://"):
        _write("gs://bucket/retail/artifacts/models/v0001", exported, products)
    with pytest.raises(ValueError, match="log_price_index"):
        _write(tmp_path / "v0001", exported, products.drop_columns(["log_price_index"]))
    assert not os.listdir(tmp_path)


def test_serving_sends_raw_values_and_answers_like_the_native_pipeline(tmp_path, exported, products):
    # The API path: basket lines -> serving's features -> raw inputs -> the graph encodes.
    from retail_assets.contract.baskets import basket_features
    from retail_assets.contract.products import ProductTable
    from retail_assets.ml.training import model_input_frame

    result, _ = exported
    dest = tmp_path / "v0001"
    _write(dest, exported, products)
    bundle = load_bundle(str(dest))
    baskets = {"basket_id": [1, 2, 3], "store_format": ["LS", "XLS", None], "store_region": ["E01", "Z99", "W03"],
               "shop_weekday": [1, 4, 7], "shop_hour": [9, 13, 20], "cust_price_sensitivity": ["LA", None, "UM"],
               "cust_lifestage": ["YA", "OT", "XX"]}
    lines = {"basket_id": [1, 1, 2, 3], "prod_code": ["PRD0900001", "PRD0900002", "PRD0900001", "PRD0999999"],
             "quantity": [1, 2, 1, 3], "spend": [1.5, 2.0, 0.7, 9.9]}
    labels, proba = bundle.predict(baskets, lines)
    features = basket_features(baskets, lines, ProductTable.from_arrow(products))
    native = result.model.predict_proba(model_input_frame(features, result.spec))
    np.testing.assert_allclose(proba, native, atol=1e-5)
    assert list(labels) == [("LA", "MM", "UM")[i] for i in native.argmax(axis=1)]


def test_a_graph_whose_inputs_do_not_match_features_json_is_refused(tmp_path, exported, products):
    from retail_assets.contract.bundle_format import BundleError
    from retail_assets.contract.features import FeatureSpec

    result, data = exported
    spec = default_spec()
    fewer = FeatureSpec(numeric=spec.numeric[:-1], categorical=spec.categorical, classes=spec.classes)
    files, _ = bundle_files("v0001", "xgboost", data, fewer, products, {"accuracy": 1.0}, {})
    write_bundle(str(tmp_path / "v0001"), files)
    with pytest.raises(BundleError, match="inputs .* do not match the features of features.json"):
        load_bundle(str(tmp_path / "v0001"))


def test_a_basket_of_xx_products_only_is_answered_xx(tmp_path, exported, products):
    """The bundle carries the XX rule and the same loaded bundle answers the API and the scorer."""
    import pyarrow as pa

    classed = pa.table({
        "prod_code": ["PRD0900001", "PRD0900002", "PRD0900003"],
        "n_lines": pa.array([10, 6, 4], pa.int64()),
        "p_la": [0.5, 0.2, 0.1], "p_mm": [0.25, 0.3, 0.2], "p_um": [0.25, 0.5, 0.7],
        "log_price_index": [0.1, 0.0, 0.2],
        "n_solo_la": pa.array([3, 0, 0], pa.int64()), "n_solo_mm": pa.array([0, 0, 0], pa.int64()),
        "n_solo_um": pa.array([0, 0, 0], pa.int64()), "n_solo_xx": pa.array([0, 4, 2], pa.int64()),
    })
    dest = tmp_path / "v0001"
    manifest = _write(dest, exported, classed)
    assert manifest["rules"] == ["xx_when_every_line_is_xx"]
    bundle = load_bundle(str(dest))
    baskets = {"basket_id": [1, 2, 3], "store_format": ["LS"] * 3, "store_region": ["E01"] * 3,
               "shop_weekday": [1, 2, 3], "shop_hour": [9, 10, 11]}
    lines = {"basket_id": [1, 1, 2, 3, 3], "prod_code": ["PRD0900002", "PRD0900003", "PRD0900001", "PRD0900002",
                                                          "PRD0999999"],
             "quantity": [1] * 5, "spend": [1.0] * 5}
    labels, proba = bundle.predict(baskets, lines)
    assert labels[0] == "XX"  # every line an XX product
    assert labels[1] in ("LA", "MM", "UM") and labels[2] in ("LA", "MM", "UM")  # an unknown product is not XX
    assert proba.shape == (3, 3)
