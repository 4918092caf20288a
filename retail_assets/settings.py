"""The one place that reads the environment.

Everything else asks `get_settings()`; nothing branches on `RETAIL_ENV` outside this module.
Settings are read lazily (on first call), never at import time, so tests and the CLI can
set `RETAIL_HOME` before anything is resolved.
"""

from __future__ import annotations

import json
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
    training_image: str | None = None  # the pipeline image a SageMaker training job runs
    training_instance_type: str = "ml.m5.xlarge"
    # Where dbt runs: DuckDB (local, or over the S3 lake on AWS) or Athena (the AWS default).
    warehouse: Literal["duckdb", "athena"] = "duckdb"
    s3_endpoint_url: str | None = None  # an S3-compatible endpoint (moto, MinIO); None = AWS

    @property
    def is_aws(self) -> bool:
        return self.env == "aws"

    @property
    def ml_backend(self) -> str:
        """Where training runs and versions are registered: in process + files, or SageMaker."""
        return "sagemaker" if self.is_aws else "local"

    @property
    def dbt_target(self) -> str:
        return "athena" if self.warehouse == "athena" else "local"

    def duckdb_s3_secret(self) -> dict | None:
        """The DuckDB S3 secret (without keys: the profile adds them) when DuckDB reads an S3 lake."""
        if self.warehouse != "duckdb" or not self.lake_uri.startswith("s3://"):
            return None
        secret = {"type": "s3", "region": self.aws_region}
        if self.s3_endpoint_url:
            scheme, _, host = self.s3_endpoint_url.partition("://")
            secret.update(endpoint=host.rstrip("/"), use_ssl=scheme == "https", url_style="path")
        return secret

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
            **self._duckdb_s3_env(),
        }

    def _duckdb_s3_env(self) -> dict[str, str]:
        """What dbt_project/profiles.yml reads to give DuckDB httpfs and the S3 secret."""
        secret = self.duckdb_s3_secret()
        if secret is None:
            return {}
        return {"RETAIL_DUCKDB_HTTPFS": duckdb_httpfs_extension(), "RETAIL_DUCKDB_S3": json.dumps(secret)}


def s3_connection(environ: dict[str, str] | None = None) -> tuple[str, str | None]:
    """(region, endpoint URL or None for AWS itself) for S3 clients, read at each call.

    Not cached like the settings: a lake opened later in the process (or a test that points
    AWS_ENDPOINT_URL at a local S3) must see the endpoint as it is now.
    """
    e = os.environ if environ is None else environ
    return (e.get("AWS_REGION", e.get("AWS_DEFAULT_REGION", "ap-southeast-1")),
            e.get("AWS_ENDPOINT_URL_S3") or e.get("AWS_ENDPOINT_URL") or None)


def settings_from_env(environ: dict[str, str] | None = None) -> RetailSettings:
    e = os.environ if environ is None else environ
    region, endpoint = s3_connection(e)
    env = e.get("RETAIL_ENV", "local")
    if env not in ("local", "aws"):
        raise ValueError(f"RETAIL_ENV must be 'local' or 'aws', got {env!r}")
    home = Path(e.get("RETAIL_HOME", "./.retail")).expanduser().resolve()
    if env == "aws":
        deployment = e.get("RETAIL_DEPLOYMENT", "dev")
        lake = e.get("RETAIL_LAKE", f"s3://mlops-{deployment}-retail")
    else:
        lake = e.get("RETAIL_LAKE", str(home / "lake"))
    warehouse = e.get("RETAIL_WAREHOUSE", "athena" if env == "aws" else "duckdb")
    if warehouse not in ("duckdb", "athena"):
        raise ValueError(f"RETAIL_WAREHOUSE must be 'duckdb' or 'athena', got {warehouse!r}")
    if warehouse == "athena" and not lake.startswith("s3://"):
        raise ValueError(f"RETAIL_WAREHOUSE=athena needs an s3:// lake, got {lake!r}")
    return RetailSettings(
        env=env,  # type: ignore[arg-type]
        home=home,
        lake_uri=lake,
        duckdb_path=Path(e.get("RETAIL_DUCKDB_PATH", str(home / "warehouse.duckdb"))),
        dagster_home=Path(e.get("DAGSTER_HOME", str(home / "dagster"))),
        aws_region=region,
        sagemaker_role_arn=e.get("RETAIL_SAGEMAKER_ROLE_ARN"),
        model_package_group=e.get("RETAIL_MODEL_PACKAGE_GROUP", "mlops-dev-price-sensitivity"),
        training_image=e.get("RETAIL_TRAINING_IMAGE"),
        training_instance_type=e.get("RETAIL_TRAINING_INSTANCE_TYPE", "ml.m5.xlarge"),
        warehouse=warehouse,  # type: ignore[arg-type]
        s3_endpoint_url=endpoint,
    )


@lru_cache(maxsize=1)
def get_settings() -> RetailSettings:
    return settings_from_env()


def use_home(home: Path | str) -> RetailSettings:
    """Point this process (and its children) at one home; used by the CLI and tests."""
    os.environ["RETAIL_HOME"] = str(Path(home).resolve())
    # Paths derived from an earlier home must not leak into this one (on AWS the lake is a bucket).
    derived = ["RETAIL_DUCKDB_PATH", "DAGSTER_HOME", "RETAIL_REGISTRY_URI", "RETAIL_DUCKDB_HTTPFS", "RETAIL_DUCKDB_S3"]
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
