"""The one place that reads the environment.

Everything else asks `get_settings()`; nothing branches on `RETAIL_ENV` outside this module.
Settings are read lazily (on first call), never at import time, so tests and the CLI can
set `RETAIL_HOME` before anything is resolved.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def dbt_executable() -> str:
    """dbt from this interpreter's environment, so an un-activated venv still finds it."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


@dataclass(frozen=True)
class RetailSettings:
    env: Literal["local", "aws"]
    home: Path
    lake_uri: str  # a local directory, or s3://bucket[/prefix] on AWS
    duckdb_path: Path
    dagster_home: Path
    aws_region: str
    sagemaker_role_arn: str | None
    model_package_group: str

    @property
    def is_aws(self) -> bool:
        return self.env == "aws"

    @property
    def dbt_target(self) -> str:
        return "athena" if self.is_aws else "local"

    @property
    def registry_uri(self) -> str:
        return f"{self.lake_uri.rstrip('/')}/retail/artifacts/registry"

    def subprocess_env(self) -> dict[str, str]:
        """Variables a child process (dbt, uvicorn, a training script) needs to see this home."""
        return {
            "RETAIL_ENV": self.env,
            "RETAIL_HOME": str(self.home),
            "RETAIL_LAKE": self.lake_uri,
            "RETAIL_DUCKDB_PATH": str(self.duckdb_path),
            "RETAIL_REGISTRY_URI": f"{self.registry_uri}/index.json",
        }


def settings_from_env(environ: dict[str, str] | None = None) -> RetailSettings:
    e = os.environ if environ is None else environ
    env = e.get("RETAIL_ENV", "local")
    if env not in ("local", "aws"):
        raise ValueError(f"RETAIL_ENV must be 'local' or 'aws', got {env!r}")
    home = Path(e.get("RETAIL_HOME", "./.retail")).expanduser().resolve()
    if env == "aws":
        deployment = e.get("RETAIL_DEPLOYMENT", "dev")
        lake = e.get("RETAIL_LAKE", f"s3://mlops-{deployment}-retail")
    else:
        lake = e.get("RETAIL_LAKE", str(home / "lake"))
    return RetailSettings(
        env=env,  # type: ignore[arg-type]
        home=home,
        lake_uri=lake,
        duckdb_path=Path(e.get("RETAIL_DUCKDB_PATH", str(home / "warehouse.duckdb"))),
        dagster_home=Path(e.get("DAGSTER_HOME", str(home / "dagster"))),
        aws_region=e.get("AWS_REGION", e.get("AWS_DEFAULT_REGION", "ap-southeast-1")),
        sagemaker_role_arn=e.get("RETAIL_SAGEMAKER_ROLE_ARN"),
        model_package_group=e.get("RETAIL_MODEL_PACKAGE_GROUP", "mlops-dev-price-sensitivity"),
    )


@lru_cache(maxsize=1)
def get_settings() -> RetailSettings:
    return settings_from_env()


def use_home(home: Path | str) -> RetailSettings:
    """Point this process (and its children) at one home; used by the CLI and tests."""
    os.environ["RETAIL_HOME"] = str(Path(home).resolve())
    # Paths derived from an earlier home must not leak into this one (on AWS the lake is a bucket).
    derived = ["RETAIL_DUCKDB_PATH", "DAGSTER_HOME", "RETAIL_REGISTRY_URI"]
    if os.environ.get("RETAIL_ENV", "local") == "local":
        derived.append("RETAIL_LAKE")
    for name in derived:
        os.environ.pop(name, None)
    get_settings.cache_clear()
    settings = get_settings()
    os.environ.update(settings.subprocess_env())
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")
    return settings
