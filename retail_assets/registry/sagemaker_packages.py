"""How a registry version is written as a SageMaker model package: approval statuses, and the
CustomerMetadataProperties that carry its identity, headline metrics and lineage."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from retail_assets.registry.base import ARCHIVED, CHALLENGER, PRODUCTION, REJECTED

PENDING, APPROVED, SM_REJECTED = "PendingManualApproval", "Approved", "Rejected"
METRIC_KEYS = ("accuracy", "macro_f1", "macro_precision", "macro_recall", "min_class_precision",
               "worst_segment_macro_f1", "worst_segment_accuracy")
VALUE_LIMIT = 1024  # CustomerMetadataProperties values


def clip(text: Any) -> str:
    text = str(text)
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 1] + "…"


def properties(values: Mapping[str, Any]) -> dict[str, str]:
    """CustomerMetadataProperties: strings of 1..1,024 characters (empty values are left out)."""
    return {k: clip(v) for k, v in values.items() if v is not None and str(v) != ""}


def weeks_text(weeks: Sequence[int]) -> str:
    return f"{weeks[0]}..{weeks[-1]} ({len(weeks)})" if weeks else ""


def package_properties(version: str, bundle_uri: str, bundle_info: Mapping[str, Any],
                       metrics: Mapping[str, Any]) -> dict[str, str]:
    """CustomerMetadataProperties of a new version: identity, headline metrics, lineage."""
    lineage = bundle_info.get("lineage", {}) or {}
    features = list(lineage.get("features", []))
    props = {
        "version": version,
        "stage": CHALLENGER,
        "bundle_uri": bundle_uri,
        "bundle_id": bundle_info["bundle_id"],
        "model_name": bundle_info["model_name"],
        "created_at": bundle_info.get("created_at", ""),
        **{f"metric.{k}": repr(float(metrics[k])) for k in METRIC_KEYS if k in metrics},
        "lineage.train_weeks": weeks_text(lineage.get("train_weeks", [])),
        "lineage.validation_weeks": ",".join(map(str, lineage.get("validation_weeks", []))),
        "lineage.n_train": str(lineage.get("n_train", "")),
        "lineage.n_valid": str(lineage.get("n_valid", "")),
        "lineage.git_sha": str(lineage.get("git_sha") or ""),
        "lineage.dbt_manifest_sha256": str(lineage.get("dbt_manifest_sha256") or ""),
        "lineage.n_features": str(len(features)),
        "lineage.features_sha256": hashlib.sha256(json.dumps(features).encode()).hexdigest(),
        "lineage.features": ",".join(features),
        "lineage.libraries": ",".join(f"{k}={v}" for k, v in (lineage.get("libraries") or {}).items()),
        "lineage.dagster_run_id": str(lineage.get("dagster_run_id") or ""),
    }
    return properties(props)


def stage_of(package: Mapping[str, Any], production: str | None, version: str) -> str:
    status = package.get("ModelApprovalStatus")
    recorded = (package.get("CustomerMetadataProperties") or {}).get("stage")
    if status == APPROVED:
        return PRODUCTION if version == production else ARCHIVED
    if status == SM_REJECTED:
        return ARCHIVED if recorded == ARCHIVED else REJECTED
    return CHALLENGER


def production_of(packages: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Production is the latest Approved package."""
    approved = [v for v, p in packages.items() if p.get("ModelApprovalStatus") == APPROVED]
    return max(approved) if approved else None


def entry_from_package(version: str, package: Mapping[str, Any], production: str | None) -> dict[str, Any]:
    """A package as an index.json entry, the shape both registries publish."""
    props = dict(package.get("CustomerMetadataProperties") or {})
    metrics = {k.removeprefix("metric."): float(v) for k, v in props.items() if k.startswith("metric.")}
    lineage = {k.removeprefix("lineage."): v for k, v in props.items() if k.startswith("lineage.")}
    return {
        "stage": stage_of(package, production, version),
        "bundle_uri": props.get("bundle_uri"),
        "bundle_id": props.get("bundle_id"),
        "model_name": props.get("model_name"),
        "metrics": metrics,
        "created_at": props.get("created_at"),
        "lineage": lineage,
        "model_package_arn": package["ModelPackageArn"],
        "approval_status": package.get("ModelApprovalStatus"),
        "approval_description": package.get("ApprovalDescription"),
        "previous_production": props.get("previous_production"),
    }
