"""Blocking gates: a model that fails one is not exported, registered or promoted."""


import dagster as dg

from retail_assets.defs.ml.resources import MlConfig
from retail_assets.ml.metrics import check_gates


@dg.asset_check(asset=["ml", "model"], blocking=True, description="validation accuracy and macro-F1 at or above the configured gates")
def quality_gates(model, ml_config: MlConfig) -> dg.AssetCheckResult:
    config = ml_config.training_config()
    failed = check_gates(model.metrics, config)
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(failed) if failed else "all gates pass",
        metadata={
            **{f"gate/{k}": float(v) for k, v in config.gates.items()},
            **{k: float(model.metrics[k]) for k in config.gates},
            "model_name": model.name,
        },
    )


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
