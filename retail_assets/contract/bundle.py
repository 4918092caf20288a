"""A loaded model bundle: verified files, the ONNX Runtime session, and predictions.

The graph takes the raw feature values, one input per feature (categorical encoding is
inside it), which `encoding.model_inputs` builds. A bundle is verified (bundle_format) and
smoke-run before anyone can serve it; anything wrong raises BundleError.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import onnxruntime as ort
import pyarrow as pa

from retail_assets.contract.baskets import basket_features
from retail_assets.contract.bundle_format import (
    FEATURES_FILE,
    METRICS_FILE,
    MODEL_FILE,
    PRODUCTS_FILE,
    BundleError,
    json_object,
    read_verified_files,
)
from retail_assets.contract.encoding import model_inputs
from retail_assets.contract.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES, FeatureSpec
from retail_assets.contract.products import ProductTable


@dataclass(frozen=True, eq=False)
class Bundle:
    """A verified, loaded bundle, ready to predict. Immutable: reloading swaps objects."""

    uri: str
    version: str
    bundle_id: str
    model_name: str
    created_at: str | None
    manifest: dict[str, Any]
    metrics: dict[str, Any]
    spec: FeatureSpec
    products: ProductTable
    session: ort.InferenceSession = field(repr=False)
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def classes(self) -> tuple[str, ...]:
        return self.spec.classes

    def predict_features(self, columns: Any) -> tuple[np.ndarray, np.ndarray]:
        """Labels and float32 [N, C] probabilities for feature columns (basket_features' output,
        a DataFrame, a pyarrow Table, ...)."""
        raw_labels, proba = self.session.run(None, model_inputs(columns, self.spec))[:2]
        labels = np.asarray(raw_labels).reshape(-1)
        if labels.dtype.kind in "iu":
            labels = np.asarray(self.spec.classes, dtype=object)[labels]
        return labels.astype(object), np.asarray(proba, dtype=np.float32)

    def predict(self, baskets: Any, lines: Any) -> tuple[np.ndarray, np.ndarray]:
        """Labels and class probabilities for `baskets` (see features.basket_features)."""
        return self.predict_features(basket_features(baskets, lines, self.products))

    def metrics_summary(self) -> dict[str, Any]:
        """The scalar top-level entries of metrics.json (accuracy, macro F1, ...)."""
        return {
            k: v for k, v in self.metrics.items()
            if isinstance(v, (int, float, str, bool)) or v is None
        }

    def describe(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "bundle_id": self.bundle_id,
            "model_name": self.model_name,
            "created_at": self.created_at,
            "bundle_uri": self.uri,
            "loaded_at": self.loaded_at.isoformat(),
            "classes": list(self.classes),
            "n_features": len(self.spec.encoded_names()),
            "n_products": len(self.products),
            "metrics": self.metrics_summary(),
        }


def _check_spec(spec: FeatureSpec) -> None:
    # basket_features computes exactly the contract's features; a model can use a
    # subset of them (and any category lists), but nothing else.
    unknown = [n for n in spec.numeric if n not in NUMERIC_FEATURES]
    unknown += [n for n in spec.categorical if n not in CATEGORICAL_FEATURES]
    if unknown:
        raise BundleError(f"{FEATURES_FILE} names features serving cannot compute: {unknown}")


def _session(model: bytes, spec: FeatureSpec, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    try:
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own, unexported exception types
        raise BundleError(f"{MODEL_FILE} cannot be loaded by onnxruntime: {exc}") from None

    inputs, outputs = session.get_inputs(), session.get_outputs()
    expected = {**{n: "tensor(float)" for n in spec.numeric}, **{n: "tensor(string)" for n in spec.categorical}}
    got = {i.name: i.type for i in inputs}
    if got != expected:
        raise BundleError(f"{MODEL_FILE} inputs {sorted(got.items())} do not match the features of "
                          f"{FEATURES_FILE} (one float input per numeric, one string input per categorical "
                          f"feature: {sorted(expected.items())})")
    if len(outputs) < 2 or not outputs[1].type.startswith("tensor("):
        raise BundleError(f"{MODEL_FILE} outputs must be (label, probabilities tensor), got "
                          f"{[(o.name, o.type) for o in outputs]} (export without zipmap)")
    return session


def _smoke_test(bundle: Bundle) -> None:
    """Predictions on all-zero rows with unknown categories: prove the outputs have the contract's shape."""
    zeros = {**{n: np.zeros(2) for n in bundle.spec.numeric}, **{n: ["", ""] for n in bundle.spec.categorical}}
    try:
        labels, proba = bundle.predict_features(zeros)
    except Exception as exc:  # noqa: BLE001 - any failure here means the bundle is unusable
        raise BundleError(f"{MODEL_FILE} failed a test prediction: {exc}") from None
    n_classes = len(bundle.classes)
    if proba.shape != (2, n_classes):
        raise BundleError(f"{MODEL_FILE} probabilities have shape {proba.shape}, "
                          f"expected (N, {n_classes}) for classes {list(bundle.classes)}")
    if not set(labels.tolist()) <= set(bundle.classes):
        raise BundleError(f"{MODEL_FILE} predicts labels outside {list(bundle.classes)}")


def load_bundle(uri: str, *, onnx_threads: int = 1) -> Bundle:
    """Read, verify and load the bundle at `uri` (path or s3:// URI)."""
    files, manifest = read_verified_files(uri)
    try:
        return _load(uri, files, manifest, onnx_threads)
    except BundleError as exc:
        raise BundleError(f"bundle {uri}: {exc}") from None


def _load(uri: str, files: dict[str, bytes], manifest: dict[str, Any], onnx_threads: int) -> Bundle:
    try:
        spec = FeatureSpec.from_json(json_object(files, FEATURES_FILE))
    except ValueError as exc:
        raise BundleError(str(exc)) from None
    _check_spec(spec)
    try:
        products = ProductTable.from_parquet(pa.BufferReader(files[PRODUCTS_FILE]))
    except (ValueError, OSError, pa.ArrowException) as exc:
        raise BundleError(f"{PRODUCTS_FILE}: {exc}") from None
    session = _session(files[MODEL_FILE], spec, onnx_threads)
    bundle = Bundle(
        uri=uri,
        version=manifest["version"],
        bundle_id=manifest["bundle_id"],
        model_name=str(manifest.get("model_name", "unknown")),
        created_at=manifest.get("created_at"),
        manifest=manifest,
        metrics=json_object(files, METRICS_FILE),
        spec=spec,
        products=products,
        session=session,
    )
    _smoke_test(bundle)
    return bundle
