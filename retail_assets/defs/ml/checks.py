"""Blocking gates: a model that fails one is not exported, registered or promoted.

Two checks on `ml/model`, so the UI says which kind of gate stopped a run: `quality_gates`
(accuracy, macro-F1, the lowest per-class precision) and `segment_floor` (the worst store
format or region). Thresholds come from the `ml_config` resource; the reason is the check's
description, and every gate's value and minimum are in its metadata (the per-class and
per-segment tables and the plot are on `ml/model` itself).
"""


import dataclasses

import dagster as dg

from retail_assets.defs.ml.resources import MlConfig
from retail_assets.ml.config import TrainingConfig
from retail_assets.ml.metrics import check_gates, gate_results


def _gate_check(model, config: TrainingConfig, keep, extra: dict | None = None) -> dg.AssetCheckResult:
    subset = dataclasses.replace(config, gates={k: v for k, v in config.gates.items() if keep(k)})
    failed = check_gates(model.metrics, subset)
    rows = gate_results(model.metrics, subset)
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=("FAILED: " + "; ".join(failed)) if failed else "all gates pass",
        metadata={
            "model_name": model.name,
            **{r["gate"]: r["value"] for r in rows},
            **{f"{r['gate']}/minimum": r["minimum"] for r in rows},
            **({"reasons": dg.MetadataValue.json(failed)} if failed else {}),
            **(extra or {}),
        },
    )


@dg.asset_check(asset=["ml", "model"], blocking=True,
                description="accuracy, macro-F1 and every class's precision at or above the configured gates")
def quality_gates(model, ml_config: MlConfig) -> dg.AssetCheckResult:
    return _gate_check(model, ml_config.training_config(), lambda gate: not gate.startswith("worst_segment_"))


@dg.asset_check(asset=["ml", "model"], blocking=True,
                description="no store format or region below the configured floor (segments with enough baskets)")
def segment_floor(model, ml_config: MlConfig) -> dg.AssetCheckResult:
    config = ml_config.training_config()
    worst = model.metrics.get("worst_segment")
    extra = {}
    if worst:
        extra["worst_segment"] = f"{worst['column']}={worst['value']} ({worst['n']} baskets)"
    return _gate_check(model, config, lambda gate: gate.startswith("worst_segment_"), extra)


@dg.asset_check(
    asset=["ml", "onnx_model"],
    blocking=True,
    additional_ins={"model": dg.AssetIn(["ml", "model"])},
    description="ONNX Runtime's probabilities equal the native model's on the whole validation set",
)
def onnx_parity_check(onnx_model: bytes, model, ml_config: MlConfig) -> dg.AssetCheckResult:
    from retail_assets.ml.export import onnx_parity

    config = ml_config.training_config()
    result = onnx_parity(model.model, onnx_model, model.X_valid, config.onnx_tolerance, config.onnx_min_label_agreement)
    return dg.AssetCheckResult(
        passed=result["passed"],
        description=f"max |Δp| {result['max_abs_diff']:.2e} (≤ {config.onnx_tolerance}), labels agree {result['label_agreement']:.4%}",
        metadata={k: v for k, v in result.items() if isinstance(v, (int, float))},
    )
