"""Where a model version came from: data weeks, code, dbt project, libraries."""

from __future__ import annotations

import hashlib
import subprocess
from importlib import metadata
from typing import Any

from retail_assets.settings import DBT_PROJECT_DIR, PROJECT_ROOT

LIBRARIES = ("scikit-learn", "xgboost", "onnx", "onnxruntime", "skl2onnx", "onnxmltools", "dbt-core", "dagster", "numpy")


def git_sha() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def dbt_manifest_hash() -> str | None:
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    return hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.exists() else None


def library_versions() -> dict[str, str]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def build_lineage(split: dict[str, Any], run_id: str | None = None) -> dict[str, Any]:
    from retail_assets.contract.features import default_spec

    return {
        "train_weeks": split["train_weeks"],
        "validation_weeks": split["validation_weeks"],
        "n_train": split["n_train"],
        "n_valid": split["n_valid"],
        "excluded_xx": split["excluded_xx"],
        "git_sha": git_sha(),
        "dbt_manifest_sha256": dbt_manifest_hash(),
        "features": default_spec().encoded_names(),
        "libraries": library_versions(),
        "dagster_run_id": run_id,
    }
