"""silver/* and gold/*: the dbt project, with dbt tests surfacing as asset checks.

`dbt build` runs models and their tests together, so a failed test stops what is downstream
in dbt and fails this step, which blocks the feature and training assets in Dagster too.
Models are incremental by week: a run builds the new weeks, and the weeks whose raw data
changed since they were built (raw_changes.py); `full_refresh` rebuilds every week.
"""

import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject, dbt_assets

from retail_assets.defs.dbt.project import RetailDbtResource
from retail_assets.defs.dbt.raw_changes import HASHES, MARKER, raw_weeks


class LayerTranslator(DagsterDbtTranslator):
    """Keys and groups come from each model's `meta.dagster`; everything rebuilds when raw changes."""

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        return dg.AutomationCondition.eager()


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False  # rebuild every week (dbt build --full-refresh), not just new and changed ones


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """silver/* and gold/* for the project of the installation's dbt target."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=LayerTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
    )
    def dbt_silver_gold(context: dg.AssetExecutionContext, dbt: RetailDbtResource, config: DbtBuildConfig):
        weeks = raw_weeks(context.instance)
        dbt_vars: dict[str, Any] = dict(dbt.dbt_vars)
        if weeks.changed and not config.full_refresh:
            context.log.info(f"raw weeks changed since they were built: {weeks.changed}")
            dbt_vars["shop_weeks"] = weeks.changed
        args = ["build", "--vars", json.dumps(dbt_vars)] + (["--full-refresh"] if config.full_refresh else [])
        for event in dbt.cli(args, context=context).stream():
            if isinstance(event, dg.Output) and context.asset_key_for_output(event.output_name) == MARKER:
                event = event.with_metadata({**event.metadata, HASHES: dg.MetadataValue.json(weeks.covered),
                                             "rebuilt_changed_weeks": dg.MetadataValue.json(dbt_vars.get("shop_weeks", []))})
            yield event

    return dbt_silver_gold
