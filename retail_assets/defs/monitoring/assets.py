"""monitoring/*, per shop_week: the Production model's answers for the week, their quality on the
week's delayed labels, and the week's drift against the reference shipped in the bundle.

Thin bodies over retail_assets.monitoring; every file they write is under lake_keys.MONITORING.
"""

import base64
import json

import dagster as dg

from retail_assets.contract.lake_keys import (
    QUALITY_TREND,
    WEEKLY_QUALITY_PREFIX,
    drift_key,
    raw_key,
    weekly_quality_key,
    weekly_scores_key,
)
from retail_assets.defs.ml.resources import MlConfig, RegistryResource
from retail_assets.monitoring.drift import drift_html, drift_png, week_drift
from retail_assets.monitoring.quality import trend_png, week_labels, week_quality
from retail_assets.monitoring.scores import products_known_before, score_week
from retail_assets.partitions import shop_week_partitions
from retail_assets.resources import LakeResource

RAW = dg.AssetKey(["raw", "transactions"])
PIT = dg.AssetKey(["gold", "product_features_pit"])
SCORES = dg.AssetKey(["monitoring", "weekly_scores"])

# A week is scored once its raw partition exists and gold has been rebuilt after it landed (so
# product_features_pit holds the statistics as of that week): on the tick gold's product table
# is newly updated, every raw week not yet scored is. Quality and drift follow their scores.
SCORE_WHEN_GOLD_UPDATES = (
    dg.AutomationCondition.missing()
    & ~dg.AutomationCondition.any_deps_missing()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & dg.AutomationCondition.any_deps_match(dg.AutomationCondition.newly_updated()).allow(dg.AssetSelection.assets(PIT))
).with_label("scored when gold is rebuilt after the week landed")
AFTER_SCORES = dg.AutomationCondition.eager()


def _png_markdown(title: str, png: bytes) -> dg.MetadataValue:
    return dg.MetadataValue.md(f"![{title}](data:image/png;base64,{base64.b64encode(png).decode()})")


def _week(context: dg.AssetExecutionContext) -> int:
    return int(context.partition_key)


@dg.asset(
    key=["monitoring", "weekly_scores"],
    group_name="monitoring",
    partitions_def=shop_week_partitions,
    deps=[RAW, PIT],
    kinds={"onnx", "parquet"},
    automation_condition=SCORE_WHEN_GOLD_UPDATES,
    description="The Production model's answer for every basket of the week, with the product statistics "
                "known before the week (what the API would have said); no label is read.",
)
def weekly_scores(context: dg.AssetExecutionContext, lake: LakeResource, registry: RegistryResource) -> dg.MaterializeResult:
    week = _week(context)
    store = lake.get()
    bundle = registry.production_bundle()
    if bundle is None:
        raise dg.Failure(f"week {week}: the registry has no Production version to score it with "
                         "(train one first: the build_and_train job or `retail run`)")
    products, n_products = products_known_before(store, week)
    table = score_week(bundle, store.read_parquet(raw_key(week)), products, week)
    key = weekly_scores_key(week)
    digest = store.write_parquet(key, table)
    answers = table.column("predicted_label").value_counts().to_pylist()
    return dg.MaterializeResult(metadata={
        "baskets": table.num_rows,
        "model_version": bundle.version,
        "bundle_id": bundle.bundle_id[:12],
        "snapshot_week": week,
        "snapshot_products": n_products,
        "answers": dg.MetadataValue.json({d["values"]: d["counts"] for d in answers}),
        "uri": store.uri_of(key),
        "sha256": digest,
    })


@dg.asset(
    key=["monitoring", "weekly_quality"],
    group_name="monitoring",
    partitions_def=shop_week_partitions,
    deps=[SCORES, RAW],
    kinds={"parquet"},
    automation_condition=AFTER_SCORES,
    description="Accuracy and macro-F1 (per class, store format and region) of the week's scores on its "
                "labels, used as delayed labels; the series across weeks and its trend.",
    check_specs=[dg.AssetCheckSpec("accuracy_above_floor", asset=["monitoring", "weekly_quality"], blocking=True,
                                   description="the week's accuracy is at least ml_config.quality_floor; "
                                               "failing asks for a retrain (and may roll Production back)")],
)
def weekly_quality(context: dg.AssetExecutionContext, lake: LakeResource, ml_config: MlConfig) -> dg.MaterializeResult:
    week = _week(context)
    store = lake.get()
    report = week_quality(store.read_parquet(weekly_scores_key(week)), week_labels(store.read_parquet(raw_key(week))))
    report["week"] = week
    store.write_bytes(weekly_quality_key(week), json.dumps(report, indent=2, allow_nan=False).encode())
    series = quality_series(store)
    png = trend_png(series, ml_config.quality_floor)
    store.write_bytes(QUALITY_TREND, png)
    floor = ml_config.quality_floor
    passed = report["accuracy"] >= floor
    return dg.MaterializeResult(
        metadata={
            "accuracy": report["accuracy"], "macro_f1": report["macro_f1"], "baskets": report["baskets"],
            "model_version": report["model_version"],
            "per_class": dg.MetadataValue.json(report["per_class"]),
            "segments": dg.MetadataValue.json(report["segments"]),
            "series": dg.MetadataValue.json(series),
            "trend_png": _png_markdown("weekly accuracy and macro-F1", png),
            "trend_png_uri": store.uri_of(QUALITY_TREND),
        },
        check_results=[dg.AssetCheckResult(
            check_name="accuracy_above_floor", passed=passed,
            metadata={"accuracy": report["accuracy"], "floor": floor, "model_version": report["model_version"],
                      "week": week},
            description=None if passed else f"week {week}: accuracy {report['accuracy']:.4f} of "
                                            f"{report['model_version']} < floor {floor}",
        )],
    )


def quality_series(store) -> list[dict]:
    """Every scored week's headline figures, in week order, from the quality documents in the lake."""
    series = []
    for info in store.list_files(WEEKLY_QUALITY_PREFIX):
        if info.path.endswith("/quality.json"):
            doc = json.loads(store.read_bytes(store.key_of(info.path)))
            series.append({k: doc[k] for k in ("week", "accuracy", "macro_f1", "baskets", "model_version")})
    return sorted(series, key=lambda p: p["week"])


@dg.asset(
    key=["monitoring", "drift"],
    group_name="monitoring",
    partitions_def=shop_week_partitions,
    deps=[SCORES],
    kinds={"parquet"},
    automation_condition=AFTER_SCORES,
    description="PSI of every feature and of the answers of the week against the drift reference in the "
                "bundle that scored it; an HTML and PNG report in the lake.",
    check_specs=[dg.AssetCheckSpec("no_drift", asset=["monitoring", "drift"], blocking=True,
                                   description="no more than ml_config.drift_max_drifted_share of the features "
                                               "above ml_config.drift_psi_threshold, nor the answers; failing "
                                               "asks for a retrain")],
)
def drift(context: dg.AssetExecutionContext, lake: LakeResource, registry: RegistryResource,
          ml_config: MlConfig) -> dg.MaterializeResult:
    week = _week(context)
    store = lake.get()
    scores = store.read_parquet(weekly_scores_key(week))
    versions = sorted(set(scores.column("model_version").to_pylist()))
    if len(versions) != 1:
        raise dg.Failure(f"week {week}: scores come from {versions or 'no model'}; expected one version")
    reference = registry.drift_reference(versions[0])
    features = {name: scores.column(name).to_pylist() for name in reference["features"] if name in scores.column_names}
    report = week_drift(reference, features, scores.column("predicted_label").to_pylist(),
                        threshold=ml_config.drift_psi_threshold, max_drifted_share=ml_config.drift_max_drifted_share)
    report.update(week=week, model_version=versions[0])
    title = f"drift of week {week} against {versions[0]}'s reference"
    png = drift_png(report, title)
    store.write_files({drift_key(week, "report.png"): png,
                       drift_key(week, "report.html"): drift_html(report, title, "report.png").encode(),
                       drift_key(week, "drift.json"): json.dumps(report, indent=2, allow_nan=False).encode()})
    return dg.MaterializeResult(
        metadata={
            "statistic": report["statistic"], "max_feature_psi": report["max_feature_psi"],
            "worst_feature": report["worst_feature"] or "", "prediction_psi": report["prediction_psi"],
            "drifted_features": dg.MetadataValue.json(report["drifted_features"]),
            "psi": dg.MetadataValue.json({n: r["psi"] for n, r in report["features"].items()}),
            "report_png": _png_markdown(title, png),
            "report_uri": store.uri_of(drift_key(week, "report.html")),
        },
        check_results=[dg.AssetCheckResult(
            check_name="no_drift", passed=not report["drifted"],
            metadata={"drifted_share": report["drifted_share"], "prediction_psi": report["prediction_psi"],
                      "threshold": report["threshold"], "week": week},
            description="; ".join(report["reasons"]) or None,
        )],
    )

