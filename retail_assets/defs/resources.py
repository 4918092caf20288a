"""Resource bindings for one installation, built from its settings (the same keys on every back end)."""

from __future__ import annotations

from typing import Any

import dagster as dg

from retail_assets.contract.lake_keys import DAGSTER_STORAGE, FEATURE_STORE_OFFLINE, lake_uri_of
from retail_assets.defs.dbt.project import RetailDbtResource
from retail_assets.defs.features.resources import OnlineFeatureStore
from retail_assets.defs.ml.resources import MlConfig, RegistryResource, TrainingResource
from retail_assets.resources import LakeResource, LakeTableIOManager
from retail_assets.settings import DBT_PROJECT_DIR, RetailSettings, dbt_executable


def resources_for(settings: RetailSettings) -> dict[str, Any]:
    """Every resource the assets take, for the installation `settings` describes."""
    io_manager: Any
    if settings.is_aws:
        from dagster_aws.s3 import S3PickleIOManager, S3Resource

        bucket, _, prefix = settings.lake.removeprefix("s3://").partition("/")
        io_manager = S3PickleIOManager(
            s3_resource=S3Resource(region_name=settings.aws_region, endpoint_url=settings.s3_endpoint_url),
            s3_bucket=bucket,
            s3_prefix=f"{prefix}/{DAGSTER_STORAGE}".strip("/"),
        )
    else:
        assert settings.dagster_home is not None
        io_manager = dg.FilesystemIOManager(base_dir=str(settings.dagster_home / "storage"))
    feature_store = OnlineFeatureStore()
    if settings.online_feature_store == "sagemaker":
        from retail_assets.feature_store import feature_group_name

        feature_store = OnlineFeatureStore(
            backend="sagemaker", feature_group=feature_group_name(settings.lake), region=settings.aws_region,
            role_arn=settings.sagemaker_role_arn, offline_s3_uri=lake_uri_of(settings.lake, FEATURE_STORE_OFFLINE),
        )
    return {
        "lake": LakeResource(uri=settings.lake),
        "io_manager": io_manager,
        "lake_io_manager": LakeTableIOManager(uri=settings.lake),
        "feature_store": feature_store,
        "ml_config": MlConfig(),
        "registry": RegistryResource(lake_uri=settings.lake, backend=settings.ml_backend,
                                     model_package_group=settings.model_package_group, region=settings.aws_region),
        "training": TrainingResource(
            backend=settings.ml_backend, lake_uri=settings.lake, region=settings.aws_region,
            image=settings.training_image, role_arn=settings.sagemaker_role_arn,
            instance_type=settings.training_instance_type,
        ),
        "dbt": RetailDbtResource(
            project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), target=settings.dbt_target,
            dbt_executable=dbt_executable(), dbt_vars=settings.dbt_vars(),
        ),
    }
