"""silver/* and gold/*: the dbt project, with dbt tests surfacing as asset checks.

`dbt build` runs models and their tests together, so a failed test stops what is downstream
in dbt and fails this step, which blocks the feature and training assets in Dagster too.
"""


from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from retail_assets.settings import DBT_PROJECT_DIR, dbt_executable, get_settings

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target="local")
if not dbt_project.manifest_path.exists():
    # A fresh checkout has no manifest yet: parse once (seconds) so the code location loads.
    DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()).cli(["parse", "--quiet"]).wait()


class LayerTranslator(DagsterDbtTranslator):
    """Keys and groups come from each model's `meta.dagster`; everything rebuilds when raw changes."""

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        return dg.AutomationCondition.eager()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=LayerTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def dbt_silver_gold(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    lake = get_settings().lake_uri
    yield from dbt.cli(["build", "--vars", f'{{"lake_root": "{lake}"}}'], context=context).stream()
