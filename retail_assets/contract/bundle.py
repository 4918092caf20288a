"""A loaded model bundle: verified files, the ONNX Runtime session, and predictions.

The graph takes the raw feature values, one input per feature (categorical encoding is
inside it), which `encoding.model_inputs` builds. A bundle is verified (bundle_format),
smoke-run, and made to reproduce its golden input (golden.json, when it has one) before
anyone can serve it; anything wrong raises BundleError.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import onnxruntime as ort
import pyarrow as pa

from retail_assets.contract.baskets import basket_features, every_line_unclassified
from retail_assets.contract.bundle_format import (
    FEATURES_FILE,
    GOLDEN_FILE,
    METRICS_FILE,
    MODEL_FILE,
    PRODUCTS_FILE,
    BundleError,
    json_object,
    read_verified_files,
)
from retail_assets.contract.encoding import model_inputs
from retail_assets.contract.features import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    UNCLASSIFIED,
    XX_RULE,
    FeatureSpec,
)
from retail_assets.contract.golden import basket_columns, golden_document, golden_mismatch
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
    product_sha256: str = ""  # sha256 of product_features.parquet's bytes: the snapshot's identity
    golden: dict[str, Any] | None = field(default=None, repr=False)  # golden.json; None in older bundles

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

    @property
    def rules(self) -> tuple[str, ...]:
        """The answering rules bundle.json names (features.XX_RULE)."""
        rules = self.manifest.get("rules")
        return tuple(r for r in rules if isinstance(r, str)) if isinstance(rules, list) else ()

    def rule_mask(self, features: dict[str, np.ndarray]) -> np.ndarray | None:
        """Baskets a rule answers instead of the model (XX_RULE: every line a product of class XX)."""
        return every_line_unclassified(features) if XX_RULE in self.rules else None

    def score(self, baskets: Any, lines: Any) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Answers (the model's labels, XX where a rule of the bundle says so), the model's class
        probabilities and the feature columns they came from, for `baskets` (baskets.basket_features)."""
        features = basket_features(baskets, lines, self.products)
        labels, proba = self.predict_features(features)
        ruled = self.rule_mask(features)
        if ruled is not None and ruled.any():
            labels = labels.copy()
            labels[ruled] = UNCLASSIFIED
        return labels, proba, features

    def predict(self, baskets: Any, lines: Any) -> tuple[np.ndarray, np.ndarray]:
        """Answers and class probabilities for `baskets` (see `score`)."""
        labels, proba, _ = self.score(baskets, lines)
        return labels, proba

    def model_predict(self, baskets: Any, lines: Any) -> tuple[np.ndarray, np.ndarray]:
        """The model's own labels and probabilities, no rule applied: what golden.json records."""
        return self.predict_features(basket_features(baskets, lines, self.products))

    def metrics_summary(self) -> dict[str, Any]:
        """The scalar top-level entries of metrics.json (accuracy, macro F1, ...)."""
        return {
            k: v for k, v in self.metrics.items()
            if isinstance(v, (int, float, str, bool)) or v is None
        }

    @property
    def created_at_epoch(self) -> float | None:
        try:
            return datetime.fromisoformat(str(self.created_at)).timestamp()
        except ValueError:
            return None

    @property
    def lineage(self) -> dict[str, Any]:
        value = self.manifest.get("lineage")
        return value if isinstance(value, dict) else {}

    def training_weeks(self) -> dict[str, Any]:
        """{"first", "last", "n"} of the weeks the model was trained on (None when the lineage lacks them)."""
        weeks = sorted(int(w) for w in self.lineage.get("train_weeks") or [] if str(w).isdigit())
        return {"first": weeks[0] if weeks else None, "last": weeks[-1] if weeks else None, "n": len(weeks)}

    def product_snapshot(self) -> dict[str, Any]:
        """The product-feature table the bundle carries: its content hash, its size, and the last
        week it covers (the online table holds every week loaded when the bundle was written,
        the latest of which is its last validation week)."""
        lineage = self.lineage
        as_of = lineage.get("product_features_as_of_week")
        if as_of is None:
            weeks = [int(w) for w in (*(lineage.get("train_weeks") or []), *(lineage.get("validation_weeks") or []))
                     if str(w).isdigit()]
            as_of = max(weeks) if weeks else None
        return {"sha256": self.product_sha256, "as_of_week": as_of, "n_products": len(self.products)}

    def gates(self) -> list[dict[str, Any]]:
        """The quality gates of metrics.json (name, value, threshold, passed...), as written by training."""
        gates = self.metrics.get("gates")
        if isinstance(gates, dict):
            return [{"name": k, **v} if isinstance(v, dict) else {"name": k, "value": v} for k, v in gates.items()]
        return [g for g in gates if isinstance(g, dict)] if isinstance(gates, list) else []

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
            "training_weeks": self.training_weeks(),
            "validation_weeks": list(self.lineage.get("validation_weeks") or []),
            "product_snapshot": self.product_snapshot(),
            "golden": None if self.golden is None else {
                "baskets": len(self.golden.get("baskets", [])), "source": self.golden.get("source"),
                "tolerance": self.golden.get("tolerance"), "matched": True},
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


def _check_golden(bundle: Bundle) -> None:
    """The bundle must give its golden baskets the answers written beside them."""
    document = bundle.golden
    if document is None:
        return
    try:
        baskets = document["baskets"]
        labels, proba = bundle.model_predict(*basket_columns(baskets))
        problem = golden_mismatch(document, labels, proba)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BundleError(f"{GOLDEN_FILE} cannot be scored: {type(exc).__name__}: {exc}") from None
    if problem:
        raise BundleError(f"{GOLDEN_FILE} not reproduced: {problem}")


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
        product_sha256=hashlib.sha256(files[PRODUCTS_FILE]).hexdigest(),
        golden=json_object(files, GOLDEN_FILE) if GOLDEN_FILE in files else None,
    )
    _smoke_test(bundle)
    _check_golden(bundle)
    return bundle


def golden_for(onnx_bytes: bytes, spec: FeatureSpec, product_table: pa.Table, baskets: list[dict], *,
               source: str, observed: list[str | None] | None = None) -> dict[str, Any]:
    """golden.json for a bundle about to be written: `baskets` scored by its graph and product
    table through the same path serving takes (features from lines, then the graph)."""
    session = _session(onnx_bytes, spec, 1)
    # The rules every new bundle carries (bundle_format.bundle_files), so the golden answers are the served ones.
    scorer = Bundle(uri="", version="", bundle_id="", model_name="", created_at=None, manifest={"rules": [XX_RULE]},
                    metrics={},
                    spec=spec, products=ProductTable.from_arrow(product_table), session=session)
    return golden_document(baskets, scorer.model_predict, spec.classes, source=source, observed=observed)


def golden_from_lake(lake_uri: str, weeks: list[int | str], onnx_bytes: bytes, spec: FeatureSpec,
                     product_table: pa.Table, *, seed: int = 0) -> dict[str, Any]:
    """golden.json from a sample of the real baskets of `weeks` (the validation weeks) in the lake;
    from synthetic baskets over the product table's codes when no raw partition can be read."""
    from retail_assets.contract.golden import raw_sample, synthetic_baskets

    sample = raw_sample(lake_uri, weeks, seed=seed)
    if sample is None:
        codes = product_table.column("prod_code").to_pylist()
        return golden_for(onnx_bytes, spec, product_table, synthetic_baskets(codes, seed=seed),
                          source="synthetic baskets over the product table (no raw week readable)")
    baskets, observed, source = sample
    return golden_for(onnx_bytes, spec, product_table, baskets, source=source, observed=observed)
