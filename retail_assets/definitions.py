"""The Dagster code location: everything under `defs/`, loaded by folder, with the resources
and the dbt assets of one installation's settings.

`dagster dev` and the code server load `defs` (settings from the environment); `retail run`
calls `build_definitions` with the settings of its `--home`.
"""

from pathlib import Path

import dagster as dg

from retail_assets.settings import RetailSettings, get_settings


def build_definitions(settings: RetailSettings) -> dg.Definitions:
    from retail_assets.defs.dbt.assets import build_dbt_assets
    from retail_assets.defs.dbt.project import dbt_project
    from retail_assets.defs.resources import resources_for
    from retail_assets.progress import progress_logger

    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(assets=[build_dbt_assets(dbt_project(settings.dbt_target))], resources=resources_for(settings),
                       loggers={**dg.default_loggers(), "progress": progress_logger}),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(get_settings())
