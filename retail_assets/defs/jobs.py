"""Jobs for what is not triggered by a sensor: build and train on everything in raw."""

import dagster as dg

build_and_train_job = dg.define_asset_job(
    "build_and_train",
    selection=dg.AssetSelection.assets(["raw", "transactions"]).downstream(include_self=False),
    description="dbt silver/gold with tests, the feature store, candidates, gates, ONNX export, registration.",
)
