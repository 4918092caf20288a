"""The dbt project, prepared once per target, and the dbt resource that passes the settings to dbt."""

from __future__ import annotations

from functools import lru_cache

from dagster_dbt import DbtCliResource, DbtProject

from retail_assets.settings import DBT_PROJECT_DIR, dbt_executable


@lru_cache(maxsize=2)
def dbt_project(target: str) -> DbtProject:
    """The project for `target` (local or athena); parsed under `dagster dev`, or when a fresh
    checkout has no manifest yet (seconds), so the code location loads."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=target)
    project.prepare_if_dev()
    if not project.manifest_path.exists():
        DbtCliResource(project_dir=project, target=target, dbt_executable=dbt_executable()).cli(["parse", "--quiet"]).wait()
    return project


class RetailDbtResource(DbtCliResource):
    """dbt, plus the values its profile and models read (RetailSettings.dbt_vars), handed to dbt
    as `--vars` rather than through the environment."""

    dbt_vars: dict[str, str] = {}
