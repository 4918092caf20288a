"""Training configuration, the training back end and the model registry, as Dagster resources."""


import json
from typing import Any

import dagster as dg
import pyarrow as pa

from retail_assets.contract.lake_keys import TRAINING_TABLE, lake_uri_of
from retail_assets.ml.config import DEFAULT_GATES, TrainingConfig
from retail_assets.registry import ModelRegistry, open_registry
from retail_assets.registry.versions import register_model_version


class MlConfig(dg.ConfigurableResource):
    """Split, gates and promotion tolerance; set in the launchpad or through `retail run` flags."""

    validation_weeks: int = 2
    min_accuracy: float = DEFAULT_GATES["accuracy"]
    min_macro_f1: float = DEFAULT_GATES["macro_f1"]
    min_class_precision: float = DEFAULT_GATES["min_class_precision"]
    segment_floor: float = DEFAULT_GATES["worst_segment_macro_f1"]  # worst store format/region, macro-F1
    segment_min_support: int = 100
    promotion_metric: str = "macro_f1"
    promotion_tolerance: float = 0.0
    # Over retail_assets.ml.config.DEFAULT_HYPERPARAMETERS, e.g. '{"xgboost": {"n_estimators": 500}}'.
    hyperparameters_json: str = ""

    def training_config(self) -> TrainingConfig:
        return TrainingConfig(
            validation_weeks=self.validation_weeks,
            hyperparameters=json.loads(self.hyperparameters_json) if self.hyperparameters_json else {},
            gates={"accuracy": self.min_accuracy, "macro_f1": self.min_macro_f1,
                   "min_class_precision": self.min_class_precision, "worst_segment_macro_f1": self.segment_floor},
            segment_min_support=self.segment_min_support,
        )


class TrainingResource(dg.ConfigurableResource):
    """Where candidates are trained: in this process ("local") or as a SageMaker training job.

    Both run `retail_assets.ml.train_entry`; the job gets the offline training table as its
    `train` channel and returns the fitted candidates in its model artifact.
    """

    backend: str = "local"
    lake_uri: str = ""
    region: str = "ap-southeast-1"
    image: str | None = None
    role_arn: str | None = None
    instance_type: str = "ml.m5.xlarge"
    use_spot: bool = True
    max_runtime_seconds: int = 3 * 3600
    poll_seconds: float = 30.0

    def train(self, training_table: pa.Table, config: TrainingConfig, log: Any = None) -> list:
        if self.backend == "local":
            from retail_assets.ml.train_entry import run_training

            return run_training(training_table.to_pandas(), config)
        if self.backend == "sagemaker":
            from retail_assets.ml.sagemaker_training import SageMakerTrainingSpec, train_on_sagemaker

            spec = SageMakerTrainingSpec(
                image=self.image, role_arn=self.role_arn, lake_uri=self.lake_uri, instance_type=self.instance_type,
                use_spot=self.use_spot, max_runtime_seconds=self.max_runtime_seconds, region=self.region,
            )
            return train_on_sagemaker(spec, lake_uri_of(self.lake_uri, TRAINING_TABLE), config,
                                      log=log, poll_seconds=self.poll_seconds)
        raise ValueError(f"unknown training backend {self.backend!r}; expected 'local' or 'sagemaker'")


class RegistryResource(dg.ConfigurableResource):
    """The model registry; bundles live in the lake under retail/artifacts/models/<version>."""

    lake_uri: str
    backend: str = "local"  # or "sagemaker": a model package group
    model_package_group: str | None = None
    region: str | None = None

    def registry(self) -> ModelRegistry:
        return open_registry(self.backend, self.lake_uri, model_package_group=self.model_package_group,
                             region=self.region)

    def register_and_promote(self, *, onnx_bytes: bytes, model: Any, product_table: pa.Table,
                             lineage: dict[str, Any], tolerance: float = 0.0, metric: str = "macro_f1",
                             config: TrainingConfig | None = None) -> dict[str, Any]:
        return register_model_version(self.registry(), self.lake_uri, onnx_bytes=onnx_bytes, model=model,
                                      product_table=product_table, lineage=lineage, config=config or TrainingConfig(),
                                      metric=metric, tolerance=tolerance)
