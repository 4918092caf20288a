"""Builds small, valid model bundles (and registry indexes) for the serving tests."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from retail_assets.contract.bundle_format import compute_bundle_id
from retail_assets.contract.features import PRODUCT_STAT_COLUMNS, FeatureSpec, default_spec

PRODUCTS = {
    "prod_code": ["PRD0000001", "PRD0000002", "PRD0000003", "PRD0000004"],
    "n_lines": [120, 0, 45, 7],
    "p_la": [0.6, 1 / 3, 0.2, 0.5],
    "p_mm": [0.3, 1 / 3, 0.3, 0.25],
    "p_um": [0.1, 1 / 3, 0.5, 0.25],
    "log_price_index": [0.25, -0.1, -0.5, 0.0],
}


@lru_cache(maxsize=8)
def onnx_model(seed: int = 0, zipmap: bool = False, numeric: tuple[str, ...] | None = None) -> bytes:
    """The project's Logistic Regression candidate (one input per feature, encoding inside the
    graph) fitted on random baskets and exported by the pipeline's exporter. `numeric`: train on
    these numeric features only (a graph whose inputs do not match features.json); `zipmap`:
    export with skl2onnx's zipmap output, which serving refuses."""
    from retail_assets.ml.config import TrainingConfig
    from retail_assets.ml.export import export_onnx
    from retail_assets.ml.training import build_candidate, model_input_frame

    spec = default_spec() if numeric is None else FeatureSpec(numeric, default_spec().categorical)
    features, y = training_set(seed)
    model = build_candidate("logistic_regression", TrainingConfig(), spec)
    model.fit(model_input_frame(features, spec), y)
    if not zipmap:
        return export_onnx(model, spec)
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    types = [(n, FloatTensorType([None, 1])) for n in spec.numeric] + [(n, StringTensorType([None, 1]))
                                                                       for n in spec.categorical]
    return convert_sklearn(model, initial_types=types, options={id(model): {"zipmap": True}},
                           target_opset={"": 15, "ai.onnx.ml": 3}).SerializeToString()


def training_set(seed: int = 0, n: int = 400) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Feature columns of random baskets over PRODUCTS, so the model sees realistic ranges,
    with labels 0/1/2 from a noisy rule (all three classes occur)."""
    from retail_assets.contract.baskets import basket_features
    from retail_assets.contract.features import CATEGORICAL_FEATURES
    from retail_assets.contract.products import ProductTable

    rng = np.random.default_rng(seed)
    codes = np.array(PRODUCTS["prod_code"] + ["PRD9999999"])
    per_basket = rng.integers(1, 12, n)
    ids = np.arange(n)
    line_ids = np.repeat(ids, per_basket)
    baskets = {"basket_id": ids, "shop_weekday": rng.integers(1, 8, n),
               "shop_hour": rng.integers(0, 24, n)}
    for name, values in CATEGORICAL_FEATURES.items():
        baskets[name] = rng.choice(list(values), n)
    lines = {"basket_id": line_ids, "prod_code": rng.choice(codes, len(line_ids)),
             "quantity": rng.integers(1, 4, len(line_ids)),
             "spend": rng.gamma(2.0, 1.5, len(line_ids))}
    table = ProductTable.from_arrow(pa.table({k: PRODUCTS[k] for k in ("prod_code", *PRODUCT_STAT_COLUMNS)}))
    features = basket_features(baskets, lines, table)
    score = features["avg_p_um"] - features["avg_p_la"] + rng.normal(0, 0.05, n)
    y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
    return features, y


def product_table_bytes(products: dict[str, list] = PRODUCTS) -> bytes:
    sink = pa.BufferOutputStream()
    table = pa.table({
        "prod_code": pa.array(products["prod_code"], pa.string()),
        **{c: pa.array(products[c], pa.int64() if c == "n_lines" else pa.float64())
           for c in PRODUCT_STAT_COLUMNS},
        **{c: pa.array(v, pa.int64()) for c, v in products.items() if c.startswith("n_solo_")},
    })
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def write_bundle(
    directory: Path,
    version: str = "v0001",
    *,
    model: bytes | None = None,
    spec: FeatureSpec | None = None,
    products: bytes | None = None,
    metrics: dict[str, Any] | None = None,
    model_name: str = "logistic_regression",
    bundle_id: str | None = None,
    golden: dict[str, Any] | None | bool = True,
    rules: list[str] | None = None,
) -> Path:
    """Write a bundle; `bundle_id` overrides the correct id (to build a corrupt one). `golden`:
    True computes golden.json from the bundle's own model (as the pipeline does), False leaves
    it out, a dict is written as it is (to build one the model does not reproduce)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "model.onnx": model if model is not None else onnx_model(),
        "features.json": json.dumps((spec or default_spec()).to_json()).encode(),
        "product_features.parquet": products if products is not None else product_table_bytes(),
        "metrics.json": json.dumps(metrics or {"accuracy": 0.61, "macro_f1": 0.58,
                                               "per_class": {"LA": {"f1": 0.6}}}).encode(),
    }
    if golden is True:
        golden = golden_of(files["model.onnx"], spec or default_spec(), files["product_features.parquet"])
    if isinstance(golden, dict):
        files["golden.json"] = json.dumps(golden).encode()
    manifest = {
        "version": version,
        "bundle_id": bundle_id or compute_bundle_id(files),
        "model_name": model_name,
        "created_at": "2024-01-01T00:00:00+00:00",
        "lineage": {"train_weeks": [200607, 200608, 200609], "validation_weeks": [200610]},
        **({"rules": rules} if rules is not None else {}),
    }
    files["bundle.json"] = json.dumps(manifest).encode()
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return directory


def golden_of(model: bytes, spec: FeatureSpec, products: bytes) -> dict[str, Any] | None:
    """golden.json for a bundle of these files, as the pipeline writes it; None when the model
    cannot run (a bundle built to be refused for its model)."""
    from retail_assets.contract.bundle import golden_for
    from retail_assets.contract.bundle_format import BundleError

    baskets = [basket(n, basket_id=i, store_format=fmt) for i, (n, fmt) in enumerate([(1, "LS"), (3, "MS"), (5, "XLS")])]
    try:
        return golden_for(model, spec, pq.read_table(pa.BufferReader(products)), baskets, source="tests",
                          observed=["UM", None, "LA"])
    except (BundleError, ValueError):
        return None


def write_index(index_path: Path, production: str | None, bundles: dict[str, Path]) -> Path:
    """Write a registry index naming `production` among `bundles` (version -> directory)."""
    index_path.parent.mkdir(parents=True, exist_ok=True)
    index = {
        "production": production,
        "versions": {
            version: {"stage": "Production" if version == production else "Archived",
                      "bundle_uri": str(path), "model_name": "logistic_regression"}
            for version, path in bundles.items()
        },
    }
    tmp = index_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(index))
    tmp.replace(index_path)  # atomic, like the registry
    return index_path


def basket(n_lines: int = 3, **overrides: Any) -> dict[str, Any]:
    """A valid /predict basket."""
    codes = PRODUCTS["prod_code"] + ["PRD9999999"]
    body = {
        "basket_id": 994100100398294,
        "store_format": "LS",
        "store_region": "E02",
        "shop_weekday": 3,
        "shop_hour": 17,
        "cust_price_sensitivity": "MM",
        "cust_lifestage": "YF",
        "lines": [{"prod_code": codes[i % len(codes)], "quantity": 1 + i % 3, "spend": 1.25 * (i + 1)}
                  for i in range(n_lines)],
    }
    body.update(overrides)
    return body
