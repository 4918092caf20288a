"""The one place that reads the environment, for the pipeline and (through `LakeSettings`) serving.

Everything else is handed a settings object: the Dagster resources are built from one
(`retail_assets.definitions.build_definitions`), the CLI builds one for `--home`. Settings are
read lazily (`get_settings()` on first call), never at import time, and nothing outside this
module branches on `RETAIL_ENV` or writes the environment. Every location derives from the
lake by one rule (`retail_assets.contract.lake_keys`): the registry index, bundles, tables.
"""

from __future__ import annotations

import json
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from retail_assets.aws_names import name as aws_name
from retail_assets.contract.lake_keys import registry_index_uri

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEFAULT_HOME = "./.retail"


def dbt_executable() -> str:
    """dbt from this interpreter's environment, so an un-activated venv still finds it."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def duckdb_httpfs_extension() -> str:
    """Path of the httpfs extension shipped as a Python package (it cannot be downloaded here)."""
    import importlib.util

    import duckdb

    spec = importlib.util.find_spec("duckdb_extension_httpfs")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("DuckDB over S3 needs the duckdb-extension-httpfs package (pipeline extra)")
    path = Path(next(iter(spec.submodule_search_locations))) / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    if not path.exists():
        raise RuntimeError(f"no httpfs extension for DuckDB {duckdb.__version__} at {path}")
    return str(path)


def s3_connection() -> tuple[str, str | None]:
    """(region, endpoint URL or None for AWS itself) for S3 clients, read at each call.

    Not cached like the settings: a lake opened later in the process (or a test that points
    AWS_ENDPOINT_URL at a local S3) must see the endpoint as it is now.
    """
    e = os.environ
    return (e.get("AWS_REGION", e.get("AWS_DEFAULT_REGION", "ap-southeast-1")),
            e.get("AWS_ENDPOINT_URL_S3") or e.get("AWS_ENDPOINT_URL") or None)


class LakeSettings(BaseSettings):
    """Where one installation lives: the back end, its home and its lake, and what derives from them.

    Shared by the pipeline's `RetailSettings` and serving's `ServingSettings`, so both find the
    lake (and from it the registry) by the same rule. Environment: RETAIL_ENV, RETAIL_HOME,
    RETAIL_LAKE, RETAIL_DEPLOYMENT.
    """

    model_config = SettingsConfigDict(env_prefix="RETAIL_", extra="ignore", populate_by_name=True)

    env: Literal["local", "aws"] = "local"
    home: Path = Path(DEFAULT_HOME)
    deployment: str = "dev"  # dev or prod on AWS: names the bucket and the model package group
    # A local directory, or s3://bucket[/prefix]; default <home>/lake locally, s3://mlops-<deployment>-retail on AWS.
    lake: str = ""

    @model_validator(mode="after")
    def _derive_lake(self) -> LakeSettings:
        self.home = Path(self.home).expanduser().resolve()
        if not self.lake:
            self.lake = f"s3://{aws_name('lake_bucket', self.deployment)}" if self.env == "aws" else str(self.home / "lake")
        return self

    @property
    def is_aws(self) -> bool:
        return self.env == "aws"

    @property
    def lake_uri(self) -> str:
        return self.lake

    @property
    def registry_index_uri(self) -> str:
        return registry_index_uri(self.lake)


class RetailSettings(LakeSettings):
    """The pipeline's settings: warehouse, Dagster storage, training and registry back ends."""

    duckdb_path: Path | None = None  # default <home>/warehouse.duckdb
    dagster_home: Path | None = Field(default=None, validation_alias=AliasChoices("DAGSTER_HOME", "RETAIL_DAGSTER_HOME"))
    aws_region: str = Field(default="ap-southeast-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    s3_endpoint_url: str | None = Field(default=None, validation_alias=AliasChoices("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"))
    sagemaker_role_arn: str | None = None
    model_package_group: str = ""  # default mlops-<deployment>-price-sensitivity
    training_image: str | None = None  # the pipeline image a SageMaker training job runs
    training_instance_type: str = "ml.m5.xlarge"
    # Where dbt runs: DuckDB (local, or over the S3 lake on AWS) or Athena (the AWS default).
    warehouse: Literal["duckdb", "athena", ""] = ""
    # Where the online product table is published besides the lake (the bundle carries the
    # lake's copy): a SageMaker Feature Store feature group (the AWS default) or nowhere else
    # ("lake": an account without Feature Store, or a stand-in such as moto that has no PutRecord).
    online_feature_store: Literal["lake", "sagemaker", ""] = ""

    @model_validator(mode="after")
    def _derive(self) -> RetailSettings:
        self.duckdb_path = Path(self.duckdb_path or self.home / "warehouse.duckdb").resolve()
        self.dagster_home = Path(self.dagster_home or self.home / "dagster").resolve()
        self.model_package_group = self.model_package_group or aws_name("model_package_group", self.deployment)
        self.warehouse = self.warehouse or ("athena" if self.is_aws else "duckdb")
        self.online_feature_store = self.online_feature_store or ("sagemaker" if self.is_aws else "lake")
        if self.online_feature_store == "sagemaker" and not self.is_aws:
            raise ValueError("RETAIL_ONLINE_FEATURE_STORE=sagemaker needs RETAIL_ENV=aws")
        if self.warehouse == "athena" and not self.lake.startswith("s3://"):
            raise ValueError(f"RETAIL_WAREHOUSE=athena needs an s3:// lake, got {self.lake!r}")
        return self

    @property
    def ml_backend(self) -> str:
        """Where training runs and versions are registered: in process + files, or SageMaker."""
        return "sagemaker" if self.is_aws else "local"

    @property
    def dbt_target(self) -> str:
        return "athena" if self.warehouse == "athena" else "local"

    def for_deployment(self, deployment: str) -> RetailSettings:
        """The same settings for another deployment (its own bucket and model package group)."""
        return self.model_copy(update={"deployment": deployment, "lake": f"s3://{aws_name('lake_bucket', deployment)}",
                                       "model_package_group": aws_name("model_package_group", deployment)})

    def duckdb_s3_secret(self) -> dict[str, Any] | None:
        """The DuckDB S3 secret (without keys: the profile adds them) when DuckDB reads an S3 lake."""
        if self.warehouse != "duckdb" or not self.lake.startswith("s3://"):
            return None
        secret: dict[str, Any] = {"type": "s3", "region": self.aws_region}
        if self.s3_endpoint_url:
            scheme, _, host = self.s3_endpoint_url.partition("://")
            secret.update(endpoint=host.rstrip("/"), use_ssl=scheme == "https", url_style="path")
        return secret

    def dbt_vars(self) -> dict[str, str]:
        """What dbt_project/profiles.yml and the models read, passed as dbt `--vars`."""
        secret = self.duckdb_s3_secret()
        return {
            "lake_root": self.lake,
            "duckdb_path": str(self.duckdb_path),
            "duckdb_httpfs": duckdb_httpfs_extension() if secret else "",
            "duckdb_s3": json.dumps(secret) if secret else "",
        }

    def serving_env(self) -> dict[str, str]:
        """The environment of a server process started for this home (`retail serve`)."""
        return {**os.environ, "RETAIL_ENV": self.env, "RETAIL_HOME": str(self.home), "RETAIL_LAKE": self.lake,
                "RETAIL_DEPLOYMENT": self.deployment}


def settings_for_home(home: Path | str | None) -> RetailSettings:
    """The settings of the installation at `home` (None: the environment's own).

    Locally every location derives from the home, whatever the environment says of an earlier
    one; on AWS the lake is the deployment's bucket, so only local paths follow the home.
    """
    if home is None:
        return get_settings()
    overrides: dict[str, Any] = {"home": Path(home), "duckdb_path": None, "dagster_home": None}
    if os.environ.get("RETAIL_ENV", "local") == "local":
        overrides["lake"] = ""
    return RetailSettings(**overrides)


def prepare_dagster_home(settings: RetailSettings) -> Path:
    """Create the home's Dagster storage folder, with telemetry off; returns it."""
    assert settings.dagster_home is not None
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")
    return settings.dagster_home


@lru_cache(maxsize=1)
def get_settings() -> RetailSettings:
    return RetailSettings()
