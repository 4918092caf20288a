"""The bundle format (docs/contracts.md section 4): its files, its id, writing and verifying it.

A bundle is a directory (local path or S3 prefix) holding model.onnx, features.json,
product_features.parquet, metrics.json and bundle.json, and (bundles written since the
golden input) golden.json: real baskets and the answers the graph gave them when the bundle
was written, which a loader must reproduce (`bundle.py`). It is assembled in memory as
{file name: bytes}, so the id is computed over exactly the bytes that land, and published
through the lake's one atomic writer: locally into a temporary directory renamed into
place, on S3 one object per file with bundle.json last (a reader that finds bundle.json
finds every file it names). `bundle.py` loads a verified bundle into ONNX Runtime.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.fs as pafs

from retail_assets.contract.features import PRODUCT_STAT_COLUMNS, XX_RULE, FeatureSpec
from retail_assets.contract.lake import Lake, parquet_bytes

MODEL_FILE = "model.onnx"
FEATURES_FILE = "features.json"
PRODUCTS_FILE = "product_features.parquet"
METRICS_FILE = "metrics.json"
MANIFEST_FILE = "bundle.json"
GOLDEN_FILE = "golden.json"  # optional: older bundles lack it (serving refuses them unless told otherwise)
# Optional: the feature and predicted-class distributions of the rows the model was validated on,
# computed once at training time, which monitoring/drift compares each new week against.
DRIFT_REFERENCE_FILE = "drift_reference.json"
BUNDLE_FILES = (MODEL_FILE, FEATURES_FILE, PRODUCTS_FILE, METRICS_FILE, MANIFEST_FILE)


class BundleError(Exception):
    """A bundle (or the registry index) that cannot be loaded or fails verification."""


def compute_bundle_id(files: Mapping[str, bytes]) -> str:
    """The bundle id: sha256 hex digest over every file except bundle.json.

    Files are taken in sorted name order; each contributes its UTF-8 name, a NUL byte,
    its size as 8 bytes big-endian, then its bytes (the framing keeps names and
    contents from running into each other).
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


def json_bytes(document: Any) -> bytes:
    # allow_nan=False: NaN is not JSON, and a reader in another language would reject the file.
    return (json.dumps(document, indent=2, allow_nan=False) + "\n").encode()


def bundle_files(
    version: str,
    model_name: str,
    onnx_bytes: bytes,
    spec: FeatureSpec,
    product_table: pa.Table,
    metrics: Mapping[str, Any],
    lineage: Mapping[str, Any],
    created_at: str | None = None,
    golden: Mapping[str, Any] | None = None,
    drift_reference: Mapping[str, Any] | None = None,
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Every bundle file's bytes (bundle.json last), and the bundle.json document.

    `golden`: the golden.json document (`bundle.golden_from_lake`, `golden.golden_document`), covered by the bundle id;
    `drift_reference`: drift_reference.json (`monitoring.drift.drift_reference`), covered too."""
    missing = {"prod_code", *PRODUCT_STAT_COLUMNS} - set(product_table.column_names)
    if missing:
        raise ValueError(f"product table lacks columns {sorted(missing)}")
    files = {
        MODEL_FILE: onnx_bytes,
        FEATURES_FILE: json_bytes(spec.to_json()),
        PRODUCTS_FILE: parquet_bytes(product_table),
        METRICS_FILE: json_bytes(dict(metrics)),
    }
    if golden is not None:
        files[GOLDEN_FILE] = json_bytes(dict(golden))
    if drift_reference is not None:
        files[DRIFT_REFERENCE_FILE] = json_bytes(dict(drift_reference))
    manifest = {
        "version": version,
        "bundle_id": compute_bundle_id(files),
        "model_name": model_name,
        "created_at": created_at or datetime.now(UTC).isoformat(timespec="seconds"),
        "lineage": dict(lineage),
        "rules": [XX_RULE],  # applied by Bundle.score, in the API and the scorer alike
    }
    files[MANIFEST_FILE] = json_bytes(manifest)
    return files, manifest


def write_bundle(dest: str, files: Mapping[str, bytes], *, overwrite: bool = False) -> str:
    """Publish a bundle's files at `dest` (a directory or s3:// prefix); returns its URI.

    A bundle is immutable once registered: an existing one is refused unless `overwrite`
    (for the unregistered leftover of a failed run).
    """
    parent, _, name = dest.rstrip("/").rpartition("/")
    lake = Lake.from_uri(parent or ".")
    if lake.exists(f"{name}/{MANIFEST_FILE}") and not overwrite:
        raise FileExistsError(f"bundle {lake.uri_of(name)} exists; bundles are immutable")
    ordered = {n: files[n] for n in sorted(files, key=lambda n: n == MANIFEST_FILE)}
    lake.write_directory(name, ordered)
    return lake.uri_of(name)


# --------------------------------------------------------------------------- reading


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


def json_object(files: Mapping[str, bytes], name: str) -> dict[str, Any]:
    try:
        value = json.loads(files[name])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise BundleError(f"{name} must hold a JSON object")
    return value


def verify_files(files: Mapping[str, bytes]) -> dict[str, Any]:
    """bundle.json of a complete, unaltered bundle; BundleError naming what is wrong otherwise."""
    missing = [name for name in BUNDLE_FILES if name not in files]
    if missing:
        raise BundleError(f"missing files {missing}")
    manifest = json_object(files, MANIFEST_FILE)
    for key in ("version", "bundle_id"):
        if not isinstance(manifest.get(key), str) or not manifest[key]:
            raise BundleError(f"{MANIFEST_FILE} has no {key!r}")
    actual = compute_bundle_id(files)
    if manifest["bundle_id"] != actual:
        raise BundleError(f"bundle_id mismatch: {MANIFEST_FILE} says {manifest['bundle_id']}, "
                          f"the files hash to {actual} (corrupt or partially written bundle)")
    return manifest


def read_verified_files(uri: str) -> tuple[dict[str, bytes], dict[str, Any]]:
    """(files, bundle.json) of the bundle at `uri`; BundleError naming the bundle otherwise."""
    try:
        files = read_bundle_files(uri)
    except (OSError, pa.ArrowException) as exc:
        raise BundleError(f"bundle {uri}: cannot be read: {exc}") from None
    try:
        return files, verify_files(files)
    except BundleError as exc:
        raise BundleError(f"bundle {uri}: {exc}") from None
