"""Jobs for what is not triggered by a sensor: build and train on everything in raw."""

import dagster as dg

from retail_assets.partitions import shop_week_partitions

build_and_train_job = dg.define_asset_job(
    "build_and_train",
    # monitoring/* is per week and follows the weekly loop, not a build over everything.
    selection=dg.AssetSelection.assets(["raw", "transactions"]).downstream(include_self=False)
    - dg.AssetSelection.groups("monitoring"),
    description="dbt silver/gold with tests, the feature store, candidates, gates, ONNX export, registration.",
)

weekly_build_job = dg.define_asset_job(
    "weekly_build",
    selection=dg.AssetSelection.assets(["raw", "transactions"]).downstream(include_self=False)
    - dg.AssetSelection.groups("monitoring", "ml"),
    description="A new week's dbt build, feature store and reports, with no retrain (what automation runs).",
)

weekly_monitoring_job = dg.define_asset_job(
    "weekly_monitoring",
    selection=dg.AssetSelection.groups("monitoring"),
    partitions_def=shop_week_partitions,
    description="One week scored by Production, measured on its delayed labels, and checked for drift.",
)
