"""What the pipeline, the CLI and CI do with a registry: register a trained model and promote it
on merit, gate the Production version, import a version from another deployment.

Plain code over the `ModelRegistry` interface; the Dagster resource and `retail registry` call it.
Bundles in the lake are filed by their lake key (retail/artifacts/models/vNNNN), so a copied
lake serves its own bundles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from retail_assets.contract.bundle import golden_from_lake, load_bundle
from retail_assets.contract.bundle_format import (
    MANIFEST_FILE,
    BundleError,
    bundle_files,
    json_bytes,
    read_verified_files,
    write_bundle,
)
from retail_assets.contract.features import CLASSES, UNCLASSIFIED, default_spec
from retail_assets.contract.lake_keys import bundle_key, lake_uri_of
from retail_assets.registry.base import ModelRegistry, bundle_location


def rescore_production(registry: ModelRegistry, lake_uri: str, model: Any, metric: str,
                       config: Any) -> float | None:
    """Production's `metric` on the candidate's validation rows (None when it cannot be re-scored).

    The same number the candidate is judged by: the same rows, the same report, the same key,
    so promotion never compares one metric with another.
    """
    from retail_assets.ml.metrics import evaluation_report
    from retail_assets.ml.training import segment_columns

    current = registry.production()
    if current is None:
        return None
    try:
        bundle = load_bundle(bundle_location(lake_uri, registry.get(current)))
    except BundleError:
        return None  # unreadable Production bundle: fall back to its stored metrics
    valid_frame = getattr(model, "valid_frame", None)
    frame = valid_frame if valid_frame is not None else model.X_valid
    try:
        labels, _ = bundle.predict_features(frame)
        segments = segment_columns(frame, config) if valid_frame is not None else None
    except ValueError:
        return None  # the validation rows lack a feature Production needs
    report = evaluation_report([CLASSES[i] for i in model.y_valid], list(labels), CLASSES, segments=segments,
                               segment_metric=config.segment_metric, segment_min_support=config.segment_min_support)
    if metric not in report or not isinstance(report[metric], (int, float)):
        raise KeyError(f"promotion metric {metric!r} is not a number the evaluation reports "
                       f"(it has {sorted(k for k, v in report.items() if isinstance(v, (int, float)))})")
    return float(report[metric])


def drift_reference_of(model: Any) -> dict[str, Any] | None:
    """drift_reference.json for a trained candidate: its validation rows' features and its answers for
    them (monitoring.drift); None for a model that kept no validation frame to describe."""
    from retail_assets.monitoring.drift import drift_reference

    frame = getattr(model, "valid_frame", None)
    spec = getattr(model, "spec", None) or default_spec()
    if frame is None or not hasattr(model.model, "predict"):
        return None
    from retail_assets.contract.baskets import every_line_unclassified

    predicted = np.asarray([CLASSES[int(i)] for i in model.model.predict(model.X_valid)], dtype=object)
    if {"xx_class_lines", "n_lines"} <= set(frame.columns):  # the answers as served: the XX rule applied
        ruled = every_line_unclassified({c: frame[c].to_numpy() for c in ("xx_class_lines", "n_lines")})
        predicted[ruled] = UNCLASSIFIED
    weeks = sorted({int(w) for w in frame["shop_week"]}) if "shop_week" in frame else []
    return drift_reference(frame, spec.numeric, list(spec.categorical), predicted.tolist(),
                           source=f"validation weeks {', '.join(map(str, weeks))}, scored at training time")


def register_model_version(registry: ModelRegistry, lake_uri: str, *, onnx_bytes: bytes, model: Any,
                           product_table: pa.Table, lineage: dict[str, Any], config: Any, metric: str,
                           tolerance: float, hold: str = "") -> dict[str, Any]:
    """Write the bundle into the lake, register it, and promote it if it passed the gates and is not
    worse than Production on `metric` re-scored on the same validation rows."""
    from retail_assets.ml.metrics import check_gates, gate_results, headline_metrics

    version = registry.next_version()
    key = bundle_key(version)
    metrics = {**model.metrics, "model_name": model.name, "gates": gate_results(model.metrics, config)}
    # golden.json: real validation baskets and this graph's answers, which serving must reproduce.
    golden = golden_from_lake(lake_uri, list(lineage.get("validation_weeks") or []), onnx_bytes, default_spec(),
                              product_table)
    files, info = bundle_files(version, model.name, onnx_bytes, default_spec(), product_table, metrics, lineage,
                               golden=golden, drift_reference=drift_reference_of(model))
    # `version` is not registered yet, so anything at its key is the leftover of a run that
    # failed before registering: replacing it is safe, refusing it would wedge every later run.
    write_bundle(lake_uri_of(lake_uri, key), files, overwrite=True)
    registered = registry.register(key, info, headline_metrics(model.metrics))
    decision = registry.promote_if_better(
        registered, metric=metric, tolerance=tolerance,
        gates_failed=[*check_gates(model.metrics, config), *([f"promotion held: {hold}"] if hold else [])],
        production_value=rescore_production(registry, lake_uri, model, metric, config),
    )
    return {
        "version": registered,
        "bundle_uri": lake_uri_of(lake_uri, key),
        "bundle_id": info["bundle_id"],
        "model_name": model.name,
        "stage": registry.get(registered)["stage"],
        "promoted": decision.promoted,
        "decision": decision.reason,
        "comparison": decision.to_dict(),
        "production": registry.production(),
    }


def gate(registry: ModelRegistry, minimums: Mapping[str, float]) -> tuple[str, list[str]]:
    """(Production version, the minimums its registered metrics miss); ValueError without one."""
    version = registry.production()
    if version is None:
        raise ValueError("the registry has no Production version")
    metrics = registry.get(version).get("metrics", {})
    failures = []
    for name, minimum in minimums.items():
        value = metrics.get(name)
        if not isinstance(value, (int, float)) or value < minimum:
            failures.append(f"{name}={value!r} (minimum {minimum})")
    return version, failures


def import_version(source: ModelRegistry, source_lake_uri: str, target: ModelRegistry, target_lake_uri: str,
                   version: str, *, promote: bool, reason: str, actor: str) -> dict[str, Any]:
    """Copy `version`'s bundle from another deployment's lake into this one and register it here.

    The copy is verified (its id recomputed) before it is written; its bundle.json names the
    version it gets here and where it came from, which leaves the bundle id unchanged.
    """
    entry = source.get(version)
    files, manifest = read_verified_files(bundle_location(source_lake_uri, entry))
    new_version = target.next_version()
    manifest = {**manifest, "version": new_version,
                "lineage": {**manifest.get("lineage", {}),
                            "imported_from": {"lake": source_lake_uri, "version": version}}}
    files = {**files, MANIFEST_FILE: json_bytes(manifest)}
    key = bundle_key(new_version)
    write_bundle(lake_uri_of(target_lake_uri, key), files, overwrite=True)
    registered = target.register(key, manifest, entry.get("metrics", {}), actor=actor)
    if promote:
        target.promote(registered, f"imported {version} from {source_lake_uri}: {reason}", actor=actor)
    return {"version": registered, "imported": version, "bundle_id": manifest["bundle_id"],
            "production": target.production()}
