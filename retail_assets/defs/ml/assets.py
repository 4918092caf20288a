"""ml/*: candidates on a temporal split → the winner → ONNX → a registered, promoted version."""


import base64

import dagster as dg
import pyarrow as pa

from retail_assets.defs.ml.resources import MlConfig, RegistryResource
from retail_assets.ml.lineage import build_lineage
from retail_assets.ml.metrics import confusion_matrix_png, select_winner
from retail_assets.resources import LakeResource

# sklearn, xgboost and the ONNX converters are imported inside the asset bodies: the code
# location then loads in seconds less, and only the run that trains pays for them.
# Candidates flow between assets as retail_assets.ml.training.CandidateResult.

EAGER = dg.AutomationCondition.eager()


def _metrics_table(results: list) -> str:
    rows = ["| candidate | accuracy | macro-F1 | train s |", "|---|---|---|---|"]
    rows += [f"| {r.name} | {r.metrics['accuracy']:.4f} | {r.metrics['macro_f1']:.4f} | {r.train_seconds:.1f} |" for r in results]
    return "\n".join(rows)


@dg.asset(
    key=["ml", "candidates"],
    group_name="ml",
    ins={"training_table": dg.AssetIn(["features", "training_table"], input_manager_key="lake_io_manager")},
    kinds={"scikit-learn", "xgboost"},
    automation_condition=EAGER,
    description="Logistic Regression, Decision Tree, Random Forest and XGBoost, validated on the latest weeks.",
)
def candidates(context: dg.AssetExecutionContext, training_table: pa.Table, ml_config: MlConfig) -> list:
    from retail_assets.ml.training import train_candidates

    results = train_candidates(training_table.to_pandas(), ml_config.training_config())
    split = results[0].split.to_dict()
    context.add_output_metadata({
        "candidates": dg.MetadataValue.md(_metrics_table(results)),
        **{f"{r.name}/accuracy": r.metrics["accuracy"] for r in results},
        **{f"{r.name}/macro_f1": r.metrics["macro_f1"] for r in results},
        "train_weeks": f"{split['train_weeks'][0]}..{split['train_weeks'][-1]} ({len(split['train_weeks'])})",
        "validation_weeks": ", ".join(map(str, split["validation_weeks"])),
        "n_train": split["n_train"],
        "n_valid": split["n_valid"],
    })
    return results


@dg.asset(
    key=["ml", "model"],
    group_name="ml",
    ins={"candidates": dg.AssetIn(["ml", "candidates"])},
    kinds={"scikit-learn"},
    automation_condition=EAGER,
    description="The winning candidate (best validation macro-F1); gated by blocking checks.",
)
def model(context: dg.AssetExecutionContext, candidates: list, lake: LakeResource):
    winner = select_winner(candidates)
    png = confusion_matrix_png(winner.metrics)
    key = f"retail/artifacts/reports/{context.run_id}/confusion_matrix.png"
    lake.get().write_bytes(key, png)
    per_class = winner.metrics["per_class"]
    context.add_output_metadata({
        "winner": winner.name,
        "accuracy": winner.metrics["accuracy"],
        "macro_f1": winner.metrics["macro_f1"],
        "macro_precision": winner.metrics["macro_precision"],
        "macro_recall": winner.metrics["macro_recall"],
        "per_class": dg.MetadataValue.json(per_class),
        "confusion_matrix": dg.MetadataValue.json(winner.metrics["confusion_matrix"]),
        "confusion_matrix_png": dg.MetadataValue.md(f"![confusion matrix](data:image/png;base64,{base64.b64encode(png).decode()})"),
        "confusion_matrix_uri": lake.get().uri_of(key),
    })
    return winner


@dg.asset(
    key=["ml", "onnx_model"],
    group_name="ml",
    ins={"model": dg.AssetIn(["ml", "model"])},
    kinds={"onnx"},
    automation_condition=EAGER,
    description="The winner as one ONNX graph (float32 features in; label and probabilities out).",
)
def onnx_model(context: dg.AssetExecutionContext, model) -> bytes:
    from retail_assets.ml.export import export_onnx

    data = export_onnx(model.model, n_features=model.X_valid.shape[1])
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
    automation_condition=EAGER,
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
    lineage = build_lineage(model.split.to_dict(), run_id=context.run_id)
    outcome = registry.register_and_promote(
        onnx_bytes=onnx_model, model=model, product_table=online_product_features, lineage=lineage,
        tolerance=ml_config.promotion_tolerance, metric=ml_config.promotion_metric, config=ml_config.training_config(),
    )
    context.log.info(f"{outcome['version']}: {outcome['decision']}")
    return dg.MaterializeResult(metadata={k: (dg.MetadataValue.json(v) if isinstance(v, (dict, list)) else v) for k, v in outcome.items()})
