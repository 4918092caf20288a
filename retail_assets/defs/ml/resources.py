"""Training configuration, the training back end and the model registry, as Dagster resources."""


import json
from typing import TYPE_CHECKING, Any

import dagster as dg
import pyarrow as pa

from retail_assets.contract.lake_keys import TRAINING_TABLE, lake_uri_of
from retail_assets.ml.config import DEFAULT_GATES, TrainingConfig
from retail_assets.registry import ModelRegistry, open_registry
from retail_assets.registry.base import bundle_location

if TYPE_CHECKING:
    from retail_assets.contract.bundle import Bundle
from retail_assets.registry.versions import register_model_version


class MlConfig(dg.ConfigurableResource):
    """Split, gates and promotion tolerance; set in the launchpad or through `retail run` flags."""

    validation_weeks: int = 2
    min_accuracy: float = DEFAULT_GATES["accuracy"]
    min_macro_f1: float = DEFAULT_GATES["macro_f1"]
    min_class_precision: float = DEFAULT_GATES["min_class_precision"]
    segment_floor: float = DEFAULT_GATES["worst_segment_macro_f1"]  # worst store format/region, macro-F1
    segment_min_support: int = 100
    # How much macro-F1 the winner must add over the lookup baseline (majority class of its lines).
    min_margin_over_baseline: float = DEFAULT_GATES["macro_f1_over_baseline"]
    # Non-empty: register the new version but promote nothing, for this reason (e.g. `retail run`
    # with refused files or weeks stopped by a check: a model of partial data must not serve).
    hold_promotion: str = ""
    promotion_metric: str = "macro_f1"
    promotion_tolerance: float = 0.0
    # The weekly loop (monitoring/*, docs/monitoring.md): a scored week's accuracy on its delayed labels
    # below the floor fails weekly_quality's check; a feature drifts above the PSI threshold, and a week
    # drifts when more than the share of features do (or the answers do). Either asks for a retrain,
    # as does every `retrain_every_weeks`-th new week (0: never by the calendar).
    quality_floor: float = DEFAULT_GATES["accuracy"]
    drift_psi_threshold: float = 0.25
    drift_max_drifted_share: float = 0.2
    retrain_every_weeks: int = 4
    # Over retail_assets.ml.config.DEFAULT_HYPERPARAMETERS, e.g. '{"xgboost": {"n_estimators": 500}}'.
    hyperparameters_json: str = ""

    def training_config(self) -> TrainingConfig:
        return TrainingConfig(
            validation_weeks=self.validation_weeks,
            hyperparameters=json.loads(self.hyperparameters_json) if self.hyperparameters_json else {},
            gates={"accuracy": self.min_accuracy, "macro_f1": self.min_macro_f1,
                   "min_class_precision": self.min_class_precision, "worst_segment_macro_f1": self.segment_floor,
                   "macro_f1_over_baseline": self.min_margin_over_baseline},
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

    def sagemaker_client(self) -> Any:
        """The boto3 SageMaker client jobs are submitted and polled with (AWS_ENDPOINT_URL is honoured).

        The one seam for what stands in for SageMaker: the end-to-end test subclasses the resource
        and wraps this client so that the job's container part runs on this machine.
        """
        import boto3

        return boto3.client("sagemaker", region_name=self.region)

    def train(self, training_table: pa.Table, config: TrainingConfig, log: Any = None) -> list:
        if self.backend == "local":
            from retail_assets.ml.train_entry import run_training

            return run_training(training_table.to_pandas(), config, log=log)
        if self.backend == "sagemaker":
            from retail_assets.ml.sagemaker_training import SageMakerTrainingSpec, train_on_sagemaker

            spec = SageMakerTrainingSpec(
                image=self.image, role_arn=self.role_arn, lake_uri=self.lake_uri, instance_type=self.instance_type,
                use_spot=self.use_spot, max_runtime_seconds=self.max_runtime_seconds, region=self.region,
            )
            return train_on_sagemaker(spec, lake_uri_of(self.lake_uri, TRAINING_TABLE), config,
                                      log=log, client=self.sagemaker_client(), poll_seconds=self.poll_seconds)
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

    def production_bundle(self) -> "Bundle | None":
        """The Production version's bundle, loaded and verified (None without a Production version)."""
        from retail_assets.contract.bundle import load_bundle  # onnxruntime: only runs that score pay for it

        registry = self.registry()
        version = registry.production()
        return None if version is None else load_bundle(bundle_location(self.lake_uri, registry.get(version)))

    def drift_reference(self, version: str) -> dict[str, Any]:
        """drift_reference.json of `version`'s verified bundle; BundleError naming it when absent."""
        from retail_assets.contract.bundle_format import (
            DRIFT_REFERENCE_FILE,
            BundleError,
            json_object,
            read_verified_files,
        )

        files, _ = read_verified_files(bundle_location(self.lake_uri, self.registry().get(version)))
        if DRIFT_REFERENCE_FILE not in files:
            raise BundleError(f"{version}'s bundle has no {DRIFT_REFERENCE_FILE} (written before drift references); "
                              "retrain to get one")
        return json_object(files, DRIFT_REFERENCE_FILE)

    def register_and_promote(self, *, onnx_bytes: bytes, model: Any, product_table: pa.Table,
                             lineage: dict[str, Any], tolerance: float = 0.0, metric: str = "macro_f1",
                             config: TrainingConfig | None = None, hold: str = "") -> dict[str, Any]:
        return register_model_version(self.registry(), self.lake_uri, onnx_bytes=onnx_bytes, model=model,
                                      product_table=product_table, lineage=lineage, config=config or TrainingConfig(),
                                      metric=metric, tolerance=tolerance, hold=hold)
