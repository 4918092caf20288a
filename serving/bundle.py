"""Reading model bundles and the registry index (docs/contracts.md section 4).

A bundle is a directory (local path or S3 prefix) holding model.onnx, features.json,
product_features.parquet, metrics.json and bundle.json. The model takes the raw feature
values, one input per feature (categorical encoding is inside the graph); bundles written
before that take one encoded float matrix named `features`, and still load. Storage goes through
pyarrow.fs, so S3 needs no boto3. A bundle is verified and smoke-run before anyone
can serve it; anything wrong raises BundleError.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import onnxruntime as ort
import pyarrow as pa
import pyarrow.fs as pafs

from serving.features import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    FeatureSpec,
    ProductTable,
    basket_features,
    encode,
)

MODEL_FILE = "model.onnx"
FEATURES_FILE = "features.json"
PRODUCTS_FILE = "product_features.parquet"
METRICS_FILE = "metrics.json"
MANIFEST_FILE = "bundle.json"
BUNDLE_FILES = (MODEL_FILE, FEATURES_FILE, PRODUCTS_FILE, METRICS_FILE, MANIFEST_FILE)


class BundleError(Exception):
    """A bundle (or the registry index) that cannot be loaded or fails verification."""


def compute_bundle_id(files: Mapping[str, bytes]) -> str:
    """The bundle id: sha256 hex digest over every file except bundle.json.

    Files are taken in sorted name order; each contributes its UTF-8 name, a NUL byte,
    its size as 8 bytes big-endian, then its bytes (the framing keeps names and
    contents from running into each other). The pipeline calls this too.
    """
    digest = hashlib.sha256()
    for name in sorted(files):
        if name == MANIFEST_FILE:
            continue
        data = bytes(files[name])
        digest.update(name.encode("utf-8"))
        digest.update(b"\0")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


# --------------------------------------------------------------------------- storage


@lru_cache(maxsize=16)
def _bucket_filesystem(base: str) -> pafs.FileSystem:
    # One filesystem per bucket: from_uri may resolve the bucket's region with a request,
    # which the reloader should not repeat on every poll.
    return pafs.FileSystem.from_uri(base)[0]


def _filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    if "://" not in uri:
        return pafs.LocalFileSystem(), str(Path(uri).expanduser().resolve())
    parts = urlsplit(uri)
    if parts.scheme in ("s3", "gs") and parts.netloc:
        base = f"{parts.scheme}://{parts.netloc}" + (f"?{parts.query}" if parts.query else "")
        return _bucket_filesystem(base), parts.netloc + parts.path.rstrip("/")
    return pafs.FileSystem.from_uri(uri)


def read_bytes(uri: str) -> bytes:
    fs, path = _filesystem(uri)
    with fs.open_input_stream(path) as stream:
        return stream.read()


def read_bundle_files(uri: str) -> dict[str, bytes]:
    """Every file directly inside the bundle directory, by name."""
    fs, path = _filesystem(uri)
    infos = fs.get_file_info(pafs.FileSelector(path, allow_not_found=False, recursive=False))
    files: dict[str, bytes] = {}
    for info in infos:
        if info.type == pafs.FileType.File:
            with fs.open_input_stream(info.path) as stream:
                files[posixpath.basename(info.path)] = stream.read()
    return files


# --------------------------------------------------------------------------- model inputs

ENCODED_INPUT = "features"  # the single input of bundles written before encoding moved into the graph
UNKNOWN_CATEGORY = ""  # what a missing or unknown category is sent as; the graph one-hot encodes it to zeros


def _category_column(one_hot: np.ndarray, categories: tuple[str, ...]) -> np.ndarray:
    values = np.asarray(categories, dtype=object)[one_hot.argmax(axis=1)] if len(categories) else \
        np.full(len(one_hot), UNKNOWN_CATEGORY, dtype=object)
    return np.where(one_hot.any(axis=1), values, UNKNOWN_CATEGORY).astype(object).reshape(-1, 1)


def decode_inputs(X: np.ndarray, spec: FeatureSpec) -> dict[str, np.ndarray]:
    """The raw-input feeds (one [N, 1] array per feature) that an encoded matrix stands for."""
    X = np.asarray(X, dtype=np.float32)
    feeds = {name: X[:, [j]] for j, name in enumerate(spec.numeric)}
    start = len(spec.numeric)
    for name, categories in spec.categorical.items():
        feeds[name] = _category_column(X[:, start:start + len(categories)], categories)
        start += len(categories)
    return feeds


def model_inputs(columns: Any, spec: FeatureSpec) -> dict[str, np.ndarray]:
    """Feeds for a raw-input model: float32 [N, 1] per numeric feature, string [N, 1] per categorical.

    Values go through `encode` first, so they are validated exactly as for an encoded model
    (non-finite numbers refused; a missing or non-string category is unknown), and a
    category outside features.json is sent as "" - the graph maps both to zeros.
    """
    return decode_inputs(encode(columns, spec), spec)


# --------------------------------------------------------------------------- bundle


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
    input_name: str = ENCODED_INPUT
    raw_inputs: bool = False  # one input per feature (True) or the legacy encoded matrix
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def classes(self) -> tuple[str, ...]:
        return self.spec.classes

    def _run(self, feeds: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        raw_labels, proba = self.session.run(None, feeds)[:2]
        labels = np.asarray(raw_labels).reshape(-1)
        if labels.dtype.kind in "iu":
            labels = np.asarray(self.spec.classes, dtype=object)[labels]
        return labels.astype(object), np.asarray(proba, dtype=np.float32)

    def predict_features(self, columns: Any) -> tuple[np.ndarray, np.ndarray]:
        """Labels and probabilities for feature columns (basket_features' output, a DataFrame, ...)."""
        if self.raw_inputs:
            return self._run(model_inputs(columns, self.spec))
        return self._run({self.input_name: encode(columns, self.spec)})

    def predict_encoded(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Run the model on encoded features (contracts.md section 3): (labels, float32 [N, C]).

        A raw-input model gets the matrix decoded back into columns, which is exact: an
        all-zero one-hot block becomes "" (unknown), as an unknown value would.
        """
        if self.raw_inputs:
            return self._run(decode_inputs(X, self.spec))
        return self._run({self.input_name: X})

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


def _json_object(files: Mapping[str, bytes], name: str) -> dict[str, Any]:
    try:
        value = json.loads(files[name])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise BundleError(f"{name} must hold a JSON object")
    return value


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
    if not _takes_raw_inputs(session, spec):
        if len(inputs) != 1 or inputs[0].type != "tensor(float)":
            raise BundleError(f"{MODEL_FILE} must have one float tensor input, got "
                              f"{[(i.name, i.type) for i in inputs]}")
        width = len(spec.encoded_names())
        shape = inputs[0].shape
        if len(shape) != 2 or (isinstance(shape[1], int) and shape[1] != width):
            raise BundleError(f"{MODEL_FILE} input shape {shape} does not match the "
                              f"{width} encoded features of {FEATURES_FILE}")
    else:
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


def _takes_raw_inputs(session: ort.InferenceSession, spec: FeatureSpec) -> bool:
    """Raw-input models name their inputs after the features; the legacy one has one `features` matrix."""
    features = {*spec.numeric, *spec.categorical}
    return any(i.name in features for i in session.get_inputs())


def _smoke_test(bundle: Bundle) -> None:
    """One prediction on an all-zero row: proves the outputs have the contract's shape."""
    width = len(bundle.spec.encoded_names())
    try:
        labels, proba = bundle.predict_encoded(np.zeros((2, width), dtype=np.float32))
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
    try:
        files = read_bundle_files(uri)
    except (OSError, pa.ArrowException) as exc:
        raise BundleError(f"bundle {uri}: cannot be read: {exc}") from None
    try:
        return _load(uri, files, onnx_threads)
    except BundleError as exc:
        raise BundleError(f"bundle {uri}: {exc}") from None


def _load(uri: str, files: dict[str, bytes], onnx_threads: int) -> Bundle:
    missing = [name for name in BUNDLE_FILES if name not in files]
    if missing:
        raise BundleError(f"missing files {missing}")
    manifest = _json_object(files, MANIFEST_FILE)
    for key in ("version", "bundle_id"):
        if not isinstance(manifest.get(key), str) or not manifest[key]:
            raise BundleError(f"{MANIFEST_FILE} has no {key!r}")
    actual = compute_bundle_id(files)
    if manifest["bundle_id"] != actual:
        raise BundleError(f"bundle_id mismatch: {MANIFEST_FILE} says {manifest['bundle_id']}, "
                          f"the files hash to {actual} (corrupt or partially written bundle)")
    try:
        spec = FeatureSpec.from_json(_json_object(files, FEATURES_FILE))
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
        bundle_id=actual,
        model_name=str(manifest.get("model_name", "unknown")),
        created_at=manifest.get("created_at"),
        manifest=manifest,
        metrics=_json_object(files, METRICS_FILE),
        spec=spec,
        products=products,
        session=session,
        input_name=session.get_inputs()[0].name,
        raw_inputs=_takes_raw_inputs(session, spec),
    )
    _smoke_test(bundle)
    return bundle


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class ProductionRef:
    """What the registry index says should be serving."""

    version: str
    bundle_uri: str
    bundle_id: str | None


def parse_index(data: bytes, index_uri: str) -> ProductionRef | None:
    """The Production entry of a registry index; None when nothing is in Production."""
    try:
        index = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"registry index {index_uri} is not valid JSON: {exc}") from None
    if not isinstance(index, dict):
        raise BundleError(f"registry index {index_uri} must hold a JSON object")
    version = index.get("production")
    if version is None:
        return None
    entry = (index.get("versions") or {}).get(version) if isinstance(index.get("versions"), dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("bundle_uri"), str):
        raise BundleError(f"registry index {index_uri}: production {version!r} has no "
                          "versions[...].bundle_uri")
    bundle_uri = entry["bundle_uri"]
    if "://" not in bundle_uri and not Path(bundle_uri).is_absolute() and "://" not in index_uri:
        bundle_uri = str(Path(index_uri).parent / bundle_uri)  # relative to the index
    bundle_id = entry.get("bundle_id")
    return ProductionRef(str(version), bundle_uri, bundle_id if isinstance(bundle_id, str) else None)


def resolve_production(index_uri: str) -> ProductionRef | None:
    """Read the registry index at `index_uri` and return its Production entry."""
    try:
        data = read_bytes(index_uri)
    except (OSError, pa.ArrowException) as exc:
        raise BundleError(f"registry index {index_uri} cannot be read: {exc}") from None
    return parse_index(data, index_uri)
