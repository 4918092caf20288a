"""Training configuration and the model registry, as Dagster resources."""


from typing import Any

import dagster as dg
import pyarrow as pa

from retail_assets.lake import Lake
from retail_assets.ml.bundle_writer import write_bundle
from retail_assets.ml.config import DEFAULT_GATES, TrainingConfig
from retail_assets.ml.metrics import check_gates, classification_report
from retail_assets.ml.registry import LocalRegistry
from serving.bundle import BundleError, load_bundle
from serving.features import CLASSES, default_spec


class MlConfig(dg.ConfigurableResource):
    """Split, gates and promotion tolerance; set in the launchpad or through `retail run` flags."""

    validation_weeks: int = 2
    min_accuracy: float = DEFAULT_GATES["accuracy"]
    min_macro_f1: float = DEFAULT_GATES["macro_f1"]
    promotion_metric: str = "macro_f1"
    promotion_tolerance: float = 0.0

    def training_config(self) -> TrainingConfig:
        return TrainingConfig(
            validation_weeks=self.validation_weeks,
            gates={"accuracy": self.min_accuracy, "macro_f1": self.min_macro_f1},
        )


class RegistryResource(dg.ConfigurableResource):
    """The model registry; bundles live in the lake under retail/artifacts/models/<version>."""

    lake_uri: str

    def registry(self) -> LocalRegistry:
        lake = Lake.from_uri(self.lake_uri)
        if not lake.is_local:
            raise NotImplementedError("the S3/SageMaker registry is not wired yet; run with RETAIL_ENV=local")
        return LocalRegistry(lake.path("retail/artifacts/registry"))

    def _rescore_production(self, registry: LocalRegistry, model) -> float | None:
        """Production's macro-F1 on the challenger's validation rows, when its features match."""
        current = registry.production()
        if current is None:
            return None
        try:
            bundle = load_bundle(registry.get(current)["bundle_uri"])
        except BundleError:
            return None  # unreadable Production bundle: fall back to its stored metrics
        if bundle.spec.encoded_names() != default_spec().encoded_names():
            return None
        labels, _ = bundle.predict_encoded(model.X_valid)
        report = classification_report([CLASSES[i] for i in model.y_valid], list(labels), CLASSES)
        return float(report["macro_f1"])

    def register_and_promote(
        self, *, onnx_bytes: bytes, model, product_table: pa.Table, lineage: dict[str, Any],
        tolerance: float, metric: str = "macro_f1", config: TrainingConfig | None = None,
    ) -> dict[str, Any]:
        registry = self.registry()
        lake = Lake.from_uri(self.lake_uri)
        version = registry.next_version()
        bundle_dir = lake.path(f"retail/artifacts/models/{version}")
        metrics = {**{k: v for k, v in model.metrics.items()}, "model_name": model.name}
        info = write_bundle(bundle_dir, version, model.name, onnx_bytes, default_spec(), product_table, metrics, lineage)
        registered = registry.register(bundle_dir, info, model.metrics)
        gates_failed = check_gates(model.metrics, config or TrainingConfig())
        decision = registry.promote_if_better(
            registered, metric=metric, tolerance=tolerance, gates_failed=gates_failed,
            production_value=self._rescore_production(registry, model),
        )
        return {
            "version": registered,
            "bundle_uri": bundle_dir,
            "bundle_id": info["bundle_id"],
            "model_name": model.name,
            "stage": registry.get(registered)["stage"],
            "promoted": decision.promoted,
            "decision": decision.reason,
            "comparison": decision.to_dict(),
            "production": registry.production(),
        }
