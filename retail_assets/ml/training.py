"""Temporal split and the four candidate models, trained on gold `fct_baskets`.

Class imbalance (LA/MM/UM are far from equal shares) is handled by re-weighting, never by
resampling: every candidate weights a basket by n_baskets / (n_classes * n_baskets_of_its_class),
computed on the training weeks only. sklearn models take `class_weight="balanced"`; XGBoost has
no class weights for multi-class, so it gets the same numbers as `sample_weight`. Weighting keeps
every basket (no duplicated or dropped rows, so training time and the split stay honest) and
trades a little accuracy for recall on the minority classes, which is what the macro-F1 gate
asks for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.class_weight import compute_sample_weight
from xgboost import XGBClassifier

from retail_assets.ml.config import CANDIDATE_NAMES, TrainingConfig
from retail_assets.ml.metrics import classification_report
from serving.features import CLASSES, default_spec, encode

__all__ = ["CANDIDATE_NAMES", "CandidateResult", "SplitInfo", "build_candidate", "temporal_split", "train_candidates"]

WEEK_COLUMN = "shop_week"
LABEL_COLUMN = "label"
BASKET_COLUMN = "basket_id"
UNLABELLED = "XX"  # BASKET_PRICE_SENSITIVITY of a basket the source did not classify


@dataclass(frozen=True)
class SplitInfo:
    train_weeks: tuple[int, ...]
    validation_weeks: tuple[int, ...]
    n_train: int
    n_valid: int
    excluded_xx: int  # XX baskets dropped, both sides together
    excluded_xx_valid: int  # of which in the validation weeks (what `retail evaluate` reports)

    def to_dict(self) -> dict[str, Any]:
        return {
            "train_weeks": list(self.train_weeks),
            "validation_weeks": list(self.validation_weeks),
            "n_train": self.n_train,
            "n_valid": self.n_valid,
            "excluded_xx": self.excluded_xx,
            "excluded_xx_valid": self.excluded_xx_valid,
        }


@dataclass(frozen=True)
class CandidateResult:
    name: str
    model: Any  # fitted; predicts indices into CLASSES
    metrics: dict[str, Any]  # metrics.classification_report on the validation weeks
    train_seconds: float
    X_valid: np.ndarray  # float32 [N, F], encoded exactly as serving encodes
    y_valid: np.ndarray  # int64 indices into CLASSES
    split: SplitInfo


def temporal_split(frame: pd.DataFrame, validation_weeks: int) -> tuple[pd.DataFrame, pd.DataFrame, SplitInfo]:
    """Train on all but the last `validation_weeks` distinct weeks; validate on those.

    One row is one basket, and a basket lies in one week, so no basket can be on both sides;
    a repeated basket_id would break that and is refused.
    """
    missing = {WEEK_COLUMN, LABEL_COLUMN, BASKET_COLUMN} - set(frame.columns)
    if missing:
        raise ValueError(f"frame lacks columns {sorted(missing)}")
    duplicated = frame[BASKET_COLUMN].duplicated()
    if duplicated.any():
        examples = frame.loc[duplicated, BASKET_COLUMN].head(3).tolist()
        raise ValueError(f"{int(duplicated.sum())} repeated basket_id values (e.g. {examples}); "
                         "expected one row per basket")
    unknown = set(frame[LABEL_COLUMN].dropna().unique()) - set(CLASSES) - {UNLABELLED}
    if unknown or frame[LABEL_COLUMN].isna().any():
        raise ValueError(f"label must be one of {CLASSES + (UNLABELLED,)}; found {sorted(unknown)} and "
                         f"{int(frame[LABEL_COLUMN].isna().sum())} nulls")

    if validation_weeks < 1:  # weeks[-0:] would silently validate on everything
        raise ValueError(f"validation_weeks must be >= 1, got {validation_weeks}")
    weeks = sorted(int(w) for w in frame[WEEK_COLUMN].unique())
    if len(weeks) < validation_weeks + 1:
        raise ValueError(f"need at least {validation_weeks + 1} distinct shop_weeks for a temporal split with "
                         f"{validation_weeks} validation weeks; got {len(weeks)}: {weeks}")
    valid_weeks = weeks[-validation_weeks:]
    in_valid = frame[WEEK_COLUMN].astype(int).isin(valid_weeks)
    is_xx = frame[LABEL_COLUMN] == UNLABELLED
    train = frame[~in_valid & ~is_xx].reset_index(drop=True)
    valid = frame[in_valid & ~is_xx].reset_index(drop=True)
    info = SplitInfo(
        train_weeks=tuple(weeks[:-validation_weeks]),
        validation_weeks=tuple(valid_weeks),
        n_train=len(train),
        n_valid=len(valid),
        excluded_xx=int(is_xx.sum()),
        excluded_xx_valid=int((is_xx & in_valid).sum()),
    )
    return train, valid, info


def build_candidate(name: str, config: TrainingConfig) -> ClassifierMixin:
    """An unfitted estimator for `name`, with the config's hyper-parameters."""
    params = config.params_for(name)
    seed = config.random_state
    if name == "logistic_regression":
        # Scaling inside the pipeline, so the ONNX graph carries it and serving feeds raw features.
        return Pipeline([
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(class_weight="balanced", random_state=seed, **params)),
        ])
    if name == "decision_tree":
        return DecisionTreeClassifier(class_weight="balanced", random_state=seed, **params)
    if name == "random_forest":
        return RandomForestClassifier(class_weight="balanced", random_state=seed, **params)
    if name == "xgboost":
        # Balancing comes through sample_weight in `_fit` (see the module docstring).
        return XGBClassifier(objective="multi:softprob", random_state=seed, **params)
    raise ValueError(f"unknown candidate {name!r}; known: {CANDIDATE_NAMES}")


def encode_labels(labels: pd.Series | np.ndarray) -> np.ndarray:
    """LA/MM/UM -> 0/1/2 (indices into CLASSES); anything else is an error."""
    index = {c: i for i, c in enumerate(CLASSES)}
    values = np.asarray(labels, dtype=object)
    bad = sorted({str(v) for v in values if v not in index})
    if bad:
        raise ValueError(f"labels outside {CLASSES}: {bad}")
    return np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))


def _fit(name: str, model: ClassifierMixin, X: np.ndarray, y: np.ndarray) -> ClassifierMixin:
    if name == "xgboost":
        return model.fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    return model.fit(X, y)


def train_candidates(
    frame: pd.DataFrame, config: TrainingConfig, names: tuple[str, ...] = CANDIDATE_NAMES
) -> list[CandidateResult]:
    """Split `frame` (gold fct_baskets) by week, fit each candidate, score it on the validation weeks."""
    train, valid, split = temporal_split(frame, config.validation_weeks)
    spec = default_spec()
    X_train, X_valid = encode(train, spec), encode(valid, spec)
    y_train, y_valid = encode_labels(train[LABEL_COLUMN]), encode_labels(valid[LABEL_COLUMN])
    absent = [CLASSES[i] for i in range(len(CLASSES)) if not (y_train == i).any()]
    if absent:
        # A model that never saw a class outputs fewer probability columns than the bundle promises.
        raise ValueError(f"training weeks {split.train_weeks} hold no baskets labelled {absent}")
    if len(y_valid) == 0:
        raise ValueError(f"validation weeks {split.validation_weeks} hold no labelled baskets")

    results = []
    for name in names:
        started = time.perf_counter()
        model = _fit(name, build_candidate(name, config), X_train, y_train)
        seconds = time.perf_counter() - started
        predicted = np.asarray(model.predict(X_valid), dtype=np.int64)
        report = classification_report(
            [CLASSES[i] for i in y_valid], [CLASSES[i] for i in predicted], CLASSES
        )
        results.append(CandidateResult(name, model, report, seconds, X_valid, y_valid, split))
    return results
