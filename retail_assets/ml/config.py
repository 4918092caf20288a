"""Training configuration: validation window, quality gates, candidate hyper-parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

# Ordered from simplest to most complex: `select_winner` breaks ties towards the front.
CANDIDATE_NAMES = ("logistic_regression", "decision_tree", "random_forest", "xgboost")

# Sized for the real data (~470k baskets, ~40 features, 2 cores): a forest deeper or wider
# than this gives an ONNX file of hundreds of MB for no measurable gain.
DEFAULT_HYPERPARAMETERS: Mapping[str, Mapping[str, Any]] = {
    "logistic_regression": {"C": 1.0, "max_iter": 2000},
    "decision_tree": {"max_depth": 10, "min_samples_leaf": 50},
    "random_forest": {"n_estimators": 100, "max_depth": 12, "min_samples_leaf": 20, "n_jobs": -1},
    # max_depth 8: chosen by `python -m retail_assets.bench.xgb_search` on weeks <= 200740 (validated
    # on 200737-200740, inside the training weeks): macro-F1 0.8852 against 0.8816 at depth 6;
    # depth 10 with 450 trees gave 0.8865 for twice the trees and a much larger ONNX graph.
    "xgboost": {
        "n_estimators": 300,
        "max_depth": 8,
        "learning_rate": 0.1,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "tree_method": "hist",
        "n_jobs": -1,
    },
}

# The seed's KPI (accuracy, macro-F1, the lowest per-class precision) and a floor for the worst
# store format or region: a model good on average and bad for one region does not ship.
DEFAULT_GATES: Mapping[str, float] = {
    "accuracy": 0.75,
    "macro_f1": 0.70,
    "min_class_precision": 0.65,
    "worst_segment_macro_f1": 0.65,
    # macro-F1 minus the lookup baseline's on the same rows (training.lookup_baseline): a model must beat it.
    "macro_f1_over_baseline": 0.0001,
}
# Columns of the training table (gold fct_baskets) that define the segments; not model features
# as such, so a change of the feature set does not change them.
DEFAULT_SEGMENT_COLUMNS = ("store_format", "store_region")


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(
        {k: _frozen(v) if isinstance(v, Mapping) else v for k, v in mapping.items()}
    )


def _thawed(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _thawed(v) if isinstance(v, Mapping) else v for k, v in mapping.items()}


@dataclass(frozen=True)
class TrainingConfig:
    validation_weeks: int = 2  # the most recent K distinct shop_weeks validate
    gates: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_GATES))  # metric -> minimum
    # Per candidate, merged key by key over DEFAULT_HYPERPARAMETERS.
    hyperparameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    random_state: int = 42
    onnx_tolerance: float = 1e-4  # max |p_onnx - p_native| over the validation set
    onnx_min_label_agreement: float = 0.999
    segment_columns: tuple[str, ...] = DEFAULT_SEGMENT_COLUMNS
    segment_metric: str = "macro_f1"  # what the worst-segment floor is on
    segment_min_support: int = 100  # smaller segments are reported but not gated

    def __post_init__(self) -> None:
        if self.validation_weeks < 1:
            raise ValueError(f"validation_weeks must be >= 1, got {self.validation_weeks}")
        object.__setattr__(self, "segment_columns", tuple(self.segment_columns))
        for gate in self.gates:
            if gate.startswith("worst_segment_") and gate != f"worst_segment_{self.segment_metric}":
                raise ValueError(f"gate {gate!r} does not match segment_metric {self.segment_metric!r}")
        unknown = set(self.hyperparameters) - set(CANDIDATE_NAMES)
        if unknown:
            raise ValueError(f"hyper-parameters for unknown candidates {sorted(unknown)}; known: {CANDIDATE_NAMES}")
        if not 0.0 <= self.onnx_min_label_agreement <= 1.0:
            raise ValueError("onnx_min_label_agreement must be within [0, 1]")
        merged = _thawed(DEFAULT_HYPERPARAMETERS)
        for name, params in self.hyperparameters.items():
            merged[name].update(params)
        # Frozen all the way down, so a config shared between assets cannot be mutated by one.
        object.__setattr__(self, "gates", _frozen(self.gates))
        object.__setattr__(self, "hyperparameters", _frozen(merged))

    def params_for(self, name: str) -> dict[str, Any]:
        if name not in CANDIDATE_NAMES:
            raise ValueError(f"unknown candidate {name!r}; known: {CANDIDATE_NAMES}")
        return dict(self.hyperparameters.get(name, {}))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingConfig:
        """Build from e.g. Dagster run config or a YAML file; a misspelt key is an error, not ignored."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown training config keys {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return _thawed({f.name: getattr(self, f.name) for f in fields(self)})
