"""Training configuration: validation window, quality gates, candidate hyper-parameters."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Mapping

# Ordered from simplest to most complex: `select_winner` breaks ties towards the front.
CANDIDATE_NAMES = ("logistic_regression", "decision_tree", "random_forest", "xgboost")

# Sized for the real data (~470k baskets, ~40 features, 2 cores): a forest deeper or wider
# than this gives an ONNX file of hundreds of MB for no measurable gain.
DEFAULT_HYPERPARAMETERS: Mapping[str, Mapping[str, Any]] = {
    "logistic_regression": {"C": 1.0, "max_iter": 2000},
    "decision_tree": {"max_depth": 10, "min_samples_leaf": 50},
    "random_forest": {"n_estimators": 100, "max_depth": 12, "min_samples_leaf": 20, "n_jobs": -1},
    "xgboost": {
        "n_estimators": 300,
        "max_depth": 6,
        "learning_rate": 0.1,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "tree_method": "hist",
        "n_jobs": -1,
    },
}

DEFAULT_GATES: Mapping[str, float] = {"accuracy": 0.75, "macro_f1": 0.70}


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

    def __post_init__(self) -> None:
        if self.validation_weeks < 1:
            raise ValueError(f"validation_weeks must be >= 1, got {self.validation_weeks}")
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
    def from_dict(cls, data: Mapping[str, Any]) -> "TrainingConfig":
        """Build from e.g. Dagster run config or a YAML file; a misspelt key is an error, not ignored."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown training config keys {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return _thawed({f.name: getattr(self, f.name) for f in fields(self)})
