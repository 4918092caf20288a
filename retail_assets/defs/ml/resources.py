"""Training configuration, the training back end and the model registry, as Dagster resources."""


import json
from typing import Any

import dagster as dg
import pyarrow as pa

from retail_assets.lake import Lake
from retail_assets.ml.bundle_writer import write_bundle
from retail_assets.ml.config import DEFAULT_GATES, TrainingConfig
from retail_assets.ml.metrics import check_gates, classification_report, gate_results, headline_metrics
from retail_assets.ml.registry import ModelRegistry, open_registry
from serving.bundle import BundleError, load_bundle
from serving.features import CLASSES, default_spec

# Where LakeTableIOManager keeps the offline store: what a SageMaker training job reads.
TRAINING_TABLE_KEY = "retail/features/training_table.parquet"


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
            return train_on_sagemaker(spec, Lake.from_uri(self.lake_uri).uri_of(TRAINING_TABLE_KEY), config,
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

    def _rescore_production(self, registry: ModelRegistry, model) -> float | None:
        """Production's macro-F1 on the challenger's validation rows, encoded with Production's own features."""
        current = registry.production()
        if current is None:
            return None
        try:
            bundle = load_bundle(registry.get(current)["bundle_uri"])
        except BundleError:
            return None  # unreadable Production bundle: fall back to its stored metrics
        frame = getattr(model, "valid_frame", None)
        try:
            labels, _ = bundle.predict_features(frame if frame is not None else model.X_valid)
        except ValueError:
            return None  # the validation rows lack a feature Production needs
        report = classification_report([CLASSES[i] for i in model.y_valid], list(labels), CLASSES)
        return float(report["macro_f1"])

    def register_and_promote(
        self, *, onnx_bytes: bytes, model, product_table: pa.Table, lineage: dict[str, Any],
        tolerance: float, metric: str = "macro_f1", config: TrainingConfig | None = None,
    ) -> dict[str, Any]:
        registry = self.registry()
        lake = Lake.from_uri(self.lake_uri)
        version = registry.next_version()
        bundle_uri = lake.uri_of(f"retail/artifacts/models/{version}")
        config = config or TrainingConfig()
        metrics = {**model.metrics, "model_name": model.name, "gates": gate_results(model.metrics, config)}
        # `version` is not registered yet, so anything at its path is the leftover of a run that
        # failed before registering: replacing it is safe, refusing it would wedge every later run.
        info = write_bundle(bundle_uri, version, model.name, onnx_bytes, default_spec(), product_table, metrics, lineage,
                            overwrite=True)
        registered = registry.register(bundle_uri, info, headline_metrics(model.metrics))
        gates_failed = check_gates(model.metrics, config)
        decision = registry.promote_if_better(
            registered, metric=metric, tolerance=tolerance, gates_failed=gates_failed,
            production_value=self._rescore_production(registry, model),
        )
        return {
            "version": registered,
            "bundle_uri": bundle_uri,
            "bundle_id": info["bundle_id"],
            "model_name": model.name,
            "stage": registry.get(registered)["stage"],
            "promoted": decision.promoted,
            "decision": decision.reason,
            "comparison": decision.to_dict(),
            "production": registry.production(),
        }
