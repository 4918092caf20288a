"""The automation sensor that evaluates every asset's AutomationCondition, running by default, so a
week the landing sensor ingests flows on to dbt, the feature store and the models without anyone
switching it on in the UI."""

import dagster as dg

automation = dg.AutomationConditionSensorDefinition(
    "retail_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Materializes what an asset's automation condition asks for (eager downstream of raw).",
)
