"""Write a model bundle (contracts.md section 4) that serving can load.

The bundle is assembled in memory as {file name: bytes}, so bundle_id is computed over
exactly the bytes that land on disk, and then published. Publishing is the only place that
knows where bytes go: a local directory (a temp dir renamed into place) or an s3:// prefix
through the Lake (one PUT per file, bundle.json last, so a reader that finds bundle.json
finds every file it names).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import pyarrow as pa
import pyarrow.parquet as pq

from retail_assets.lake import PARQUET_OPTIONS
from serving.bundle import compute_bundle_id
from serving.features import PRODUCT_STAT_COLUMNS, FeatureSpec

BUNDLE_FILES = ("model.onnx", "features.json", "product_features.parquet", "metrics.json")
MANIFEST = "bundle.json"


def _json_bytes(document: Any) -> bytes:
    # allow_nan=False: NaN is not JSON, and a reader in another language would reject the file.
    return (json.dumps(document, indent=2, sort_keys=False, allow_nan=False) + "\n").encode()


def _parquet_bytes(table: pa.Table) -> bytes:
    missing = {"prod_code", *PRODUCT_STAT_COLUMNS} - set(table.column_names)
    if missing:
        raise ValueError(f"product table lacks columns {sorted(missing)}")
    buffer = io.BytesIO()
    pq.write_table(table, buffer, **PARQUET_OPTIONS)
    return buffer.getvalue()


def bundle_files(
    version: str,
    model_name: str,
    onnx_bytes: bytes,
    spec: FeatureSpec,
    product_table: pa.Table,
    metrics: Mapping[str, Any],
    lineage: Mapping[str, Any],
    created_at: str | None = None,
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Every bundle file's bytes, and the bundle.json document (also among the files)."""
    files = {
        "model.onnx": onnx_bytes,
        "features.json": _json_bytes(spec.to_json()),
        "product_features.parquet": _parquet_bytes(product_table),
        "metrics.json": _json_bytes(dict(metrics)),
    }
    manifest = {
        "version": version,
        "bundle_id": compute_bundle_id(files),
        "model_name": model_name,
        "created_at": created_at or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "lineage": dict(lineage),
    }
    files[MANIFEST] = _json_bytes(manifest)
    return files, manifest


def local_path(dest: str | os.PathLike[str]) -> Path:
    """The local directory a bundle destination names; the one place that parses destinations."""
    text = os.fspath(dest)
    if text.startswith("file://"):
        text = text[len("file://"):]
    elif "://" in text:
        raise NotImplementedError(f"bundle destinations are local paths or s3:// prefixes, got {text!r}")
    return Path(text).resolve()


def publish_local(dest: str | os.PathLike[str], files: Mapping[str, bytes], overwrite: bool = False) -> Path:
    """Write files into directory `dest` all at once: into a temp dir beside it, then a rename.

    A killed run leaves a `.tmp-*` dir and no half bundle. An existing bundle is refused unless
    `overwrite` (a bundle is immutable once registered; overwriting is for an unregistered
    leftover of a failed run).
    """
    target = local_path(dest)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not overwrite:
        raise FileExistsError(f"bundle directory {target} exists; bundles are immutable")
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
    try:
        for name, data in files.items():
            with open(staging / name, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        if target.exists():
            # rename() cannot replace a non-empty directory: move the old one aside first.
            retired = Path(tempfile.mkdtemp(prefix=f".old-{target.name}-", dir=target.parent))
            os.replace(target, retired / target.name)
            os.replace(staging, target)
            shutil.rmtree(retired)
        else:
            os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def publish_s3(dest: str, files: Mapping[str, bytes], overwrite: bool = False) -> str:
    """Write files under the s3:// prefix `dest`, the manifest last; refuse an existing bundle."""
    from retail_assets.lake import Lake

    lake = Lake.from_uri(dest)
    if lake.exists(MANIFEST) and not overwrite:
        raise FileExistsError(f"bundle {dest} exists; bundles are immutable")
    for name in sorted(files, key=lambda n: n == MANIFEST):
        lake.write_bytes(name, files[name])
    return lake.uri


def write_bundle(
    dest: str | os.PathLike[str],
    version: str,
    model_name: str,
    onnx_bytes: bytes,
    spec: FeatureSpec,
    product_table: pa.Table,
    metrics: Mapping[str, Any],
    lineage: Mapping[str, Any],
    *,
    created_at: str | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write the bundle into directory `dest` (e.g. <lake>/retail/artifacts/models/<version>).

    `dest` may also be an s3:// prefix. Returns the bundle.json content, which is what
    `ModelRegistry.register` takes.
    """
    files, manifest = bundle_files(version, model_name, onnx_bytes, spec, product_table, metrics, lineage, created_at)
    if os.fspath(dest).startswith("s3://"):
        publish_s3(os.fspath(dest), files, overwrite=overwrite)
    else:
        publish_local(dest, files, overwrite=overwrite)
    return manifest


def verify_bundle(dest: str | os.PathLike[str]) -> dict[str, Any]:
    """Re-read a bundle (directory or s3:// prefix), recompute its id and return bundle.json; raise if
    files are missing or altered."""
    from serving.bundle import read_bundle_files

    directory = os.fspath(dest) if os.fspath(dest).startswith("s3://") else str(local_path(dest))
    files = read_bundle_files(directory)
    manifest = json.loads(files.pop(MANIFEST))
    missing = set(BUNDLE_FILES) - set(files)
    if missing:
        raise ValueError(f"bundle {directory} lacks {sorted(missing)}")
    actual = compute_bundle_id(files)
    if actual != manifest["bundle_id"]:
        raise ValueError(f"bundle {directory}: bundle_id {manifest['bundle_id']} recorded, {actual} computed")
    return manifest
