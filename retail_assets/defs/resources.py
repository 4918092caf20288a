"""Resource bindings, decided once from the settings module."""

import os

import dagster as dg
from dagster_dbt import DbtCliResource

from retail_assets.defs.ml.resources import MlConfig, RegistryResource, TrainingResource
from retail_assets.resources import LakeResource, LakeTableIOManager
from retail_assets.settings import DBT_PROJECT_DIR, dbt_executable, get_settings


@dg.definitions
def resources() -> dg.Definitions:
    settings = get_settings()
    if settings.is_aws:
        from dagster_aws.s3 import S3PickleIOManager, S3Resource

        bucket, _, prefix = settings.lake_uri.removeprefix("s3://").partition("/")
        io_manager = S3PickleIOManager(
            s3_resource=S3Resource(region_name=settings.aws_region, endpoint_url=settings.s3_endpoint_url),
            s3_bucket=bucket,
            s3_prefix=f"{prefix}/retail/dagster".strip("/"),
        )
    else:
        io_manager = dg.FilesystemIOManager(base_dir=str(settings.dagster_home / "storage"))
    # dagster-dbt hands dbt nothing but os.environ: export what the profile reads (warehouse
    # path, lake, and for DuckDB over S3 the httpfs extension and the S3 secret).
    os.environ.update(settings.subprocess_env())
    return dg.Definitions(
        resources={
            "lake": LakeResource(uri=settings.lake_uri),
            "io_manager": io_manager,
            "lake_io_manager": LakeTableIOManager(uri=settings.lake_uri),
            "ml_config": MlConfig(),
            "registry": RegistryResource(lake_uri=settings.lake_uri, backend=settings.ml_backend,
                                         model_package_group=settings.model_package_group, region=settings.aws_region),
            "training": TrainingResource(
                backend=settings.ml_backend, lake_uri=settings.lake_uri, region=settings.aws_region,
                image=settings.training_image, role_arn=settings.sagemaker_role_arn,
                instance_type=settings.training_instance_type,
            ),
            "dbt": DbtCliResource(
                project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR), target=settings.dbt_target,
                dbt_executable=dbt_executable(),
            ),
        }
    )
