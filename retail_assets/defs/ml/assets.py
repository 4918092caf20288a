"""ml/*: candidates on a temporal split → the winner → ONNX → a registered, promoted version."""


import base64

import dagster as dg
import pyarrow as pa

from retail_assets.contract.lake_keys import report_key
from retail_assets.defs.ml.resources import MlConfig, RegistryResource, TrainingResource
from retail_assets.ml.lineage import build_lineage
from retail_assets.ml.metrics import evaluation_png, gate_results, select_winner
from retail_assets.ml.report import candidates_table, gate_table, per_class_table, segment_table
from retail_assets.resources import LakeResource

# sklearn, xgboost and the ONNX converters are imported inside the asset bodies: the code
# location then loads in seconds less, and only the run that trains pays for them.
# Candidates flow between assets as retail_assets.ml.training.CandidateResult.

# Not eager: a new week does not retrain. The weekly policy (retail_assets.monitoring.policy, run by
# defs/monitoring/sensors.py and `retail replay`) launches build_and_train when a monitoring check
# fails or every `retrain_every_weeks` weeks; launching the job in the UI retrains on demand.


def _png_markdown(title: str, png: bytes) -> dg.MetadataValue:
    return dg.MetadataValue.md(f"![{title}](data:image/png;base64,{base64.b64encode(png).decode()})")


@dg.asset(
    key=["ml", "candidates"],
    group_name="ml",
    ins={"training_table": dg.AssetIn(["features", "training_table"], input_manager_key="lake_io_manager")},
    kinds={"scikit-learn", "xgboost"},
    description="Logistic Regression, Decision Tree, Random Forest and XGBoost, validated on the latest weeks.",
)
def candidates(context: dg.AssetExecutionContext, training_table: pa.Table, ml_config: MlConfig,
               training: TrainingResource) -> list:
    results = training.train(training_table, ml_config.training_config(), log=context.log)
    split = results[0].split.to_dict()
    context.add_output_metadata({
        "candidates": dg.MetadataValue.md(candidates_table(results)),
        **{f"{r.name}/accuracy": r.metrics["accuracy"] for r in results},
        **{f"{r.name}/macro_f1": r.metrics["macro_f1"] for r in results},
        "train_weeks": f"{split['train_weeks'][0]}..{split['train_weeks'][-1]} ({len(split['train_weeks'])})",
        "validation_weeks": ", ".join(map(str, split["validation_weeks"])),
        "n_train": split["n_train"],
        "n_valid": split["n_valid"],
        "training_backend": training.backend,
    })
    return results


@dg.asset(
    key=["ml", "model"],
    group_name="ml",
    ins={"candidates": dg.AssetIn(["ml", "candidates"])},
    kinds={"scikit-learn"},
    description="The winning candidate (best validation macro-F1 among those passing the gates); gated by blocking checks.",
)
def model(context: dg.AssetExecutionContext, candidates: list, lake: LakeResource, ml_config: MlConfig):
    config = ml_config.training_config()
    winner = select_winner(candidates, config)
    metrics = winner.metrics
    png = evaluation_png(metrics, floor=config.gates.get(f"worst_segment_{config.segment_metric}"))
    key = report_key(context.run.run_id, "evaluation.png")
    lake.get().write_bytes(key, png)
    worst = metrics.get("worst_segment")
    context.add_output_metadata({
        "winner": winner.name,
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "macro_precision": metrics["macro_precision"],
        "macro_recall": metrics["macro_recall"],
        "min_class_precision": metrics["min_class_precision"],
        **({f"worst_segment_{metrics['segment_metric']}": worst[metrics["segment_metric"]],
            "worst_segment": f"{worst['column']}={worst['value']} ({worst['n']} baskets)"} if worst else {}),
        "gates": dg.MetadataValue.md(gate_table(gate_results(metrics, config))),
        "per_class": dg.MetadataValue.md(per_class_table(metrics)),
        "segments": dg.MetadataValue.md(segment_table(metrics, config.gates.get(f"worst_segment_{config.segment_metric}"))),
        "confusion_matrix": dg.MetadataValue.json(metrics["confusion_matrix"]),
        "evaluation_png": _png_markdown("confusion matrix and segments", png),
        "evaluation_png_uri": lake.get().uri_of(key),
    })
    return winner


@dg.asset(
    key=["ml", "onnx_model"],
    group_name="ml",
    ins={"model": dg.AssetIn(["ml", "model"])},
    kinds={"onnx"},
    description="The winner as one ONNX graph (raw feature values in, encoding inside; label and probabilities out).",
)
def onnx_model(context: dg.AssetExecutionContext, model) -> bytes:
    from retail_assets.ml.export import export_onnx

    data = export_onnx(model.model, model.spec)
    context.add_output_metadata({"model_name": model.name, "bytes": len(data)})
    return data


@dg.asset(
    key=["ml", "registered_model"],
    group_name="ml",
    ins={
        "onnx_model": dg.AssetIn(["ml", "onnx_model"]),
        "model": dg.AssetIn(["ml", "model"]),
        "online_product_features": dg.AssetIn(["features", "online_product_features"], input_manager_key="lake_io_manager"),
    },
    kinds={"onnx"},
    description="A registry version (bundle + metrics + lineage), promoted to Production only if not worse.",
)
def registered_model(
    context: dg.AssetExecutionContext,
    onnx_model: bytes,
    model,
    online_product_features: pa.Table,
    registry: RegistryResource,
    ml_config: MlConfig,
) -> dg.MaterializeResult:
    lineage = build_lineage(model.split.to_dict(), run_id=context.run.run_id)
    outcome = registry.register_and_promote(
        onnx_bytes=onnx_model, model=model, product_table=online_product_features, lineage=lineage,
        tolerance=ml_config.promotion_tolerance, metric=ml_config.promotion_metric, config=ml_config.training_config(),
        hold=ml_config.hold_promotion,
    )
    context.log.info(f"{outcome['version']}: {outcome['decision']}")
    return dg.MaterializeResult(metadata={k: (dg.MetadataValue.json(v) if isinstance(v, (dict, list)) else v) for k, v in outcome.items()})
