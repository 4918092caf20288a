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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.class_weight import compute_sample_weight
from xgboost import XGBClassifier

from retail_assets.contract.features import CLASSES, FeatureSpec, default_spec
from retail_assets.ml.config import CANDIDATE_NAMES, TrainingConfig
from retail_assets.ml.metrics import evaluation_report

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
    X_valid: pd.DataFrame  # the model's input on the validation rows (`model_input_frame`), as serving feeds it
    y_valid: np.ndarray  # int64 indices into CLASSES
    split: SplitInfo
    # The validation rows as they came (every column of the training table): segments for the
    # gates, and what re-scores a Production model whose feature list differs from this one's.
    valid_frame: pd.DataFrame | None = field(default=None, repr=False)
    spec: FeatureSpec | None = None  # the features the model takes (features.json)


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


def feature_encoder(spec: FeatureSpec) -> ColumnTransformer:
    """Numeric features as they are, then one one-hot block per categorical feature (spec order).

    The same layout as retail_assets.contract.encoding.encode, but inside the model, so the ONNX graph takes
    the raw values; an unknown or missing category ("") encodes to an all-zero block.
    """
    return ColumnTransformer(
        [("numeric", "passthrough", list(spec.numeric)),
         ("categorical", OneHotEncoder(categories=[list(v) for v in spec.categorical.values()],
                                       handle_unknown="ignore", sparse_output=False, dtype=np.float32),
          list(spec.categorical))],
        sparse_threshold=0.0,
    )


def build_candidate(name: str, config: TrainingConfig, spec: FeatureSpec | None = None) -> Pipeline:
    """An unfitted pipeline for `name`: feature encoding, then the model with the config's hyper-parameters."""
    params = config.params_for(name)
    seed = config.random_state
    steps: list[tuple[str, Any]] = [("encode", feature_encoder(spec or default_spec()))]
    if name == "logistic_regression":
        # Scaling inside the pipeline, so the ONNX graph carries it and serving feeds raw features.
        steps.append(("scale", StandardScaler()))
        steps.append(("classify", LogisticRegression(class_weight="balanced", random_state=seed, **params)))
    elif name == "decision_tree":
        steps.append(("classify", DecisionTreeClassifier(class_weight="balanced", random_state=seed, **params)))
    elif name == "random_forest":
        steps.append(("classify", RandomForestClassifier(class_weight="balanced", random_state=seed, **params)))
    elif name == "xgboost":
        # Balancing comes through sample_weight in `_fit` (see the module docstring).
        steps.append(("classify", XGBClassifier(objective="multi:softprob", random_state=seed, **params)))
    else:
        raise ValueError(f"unknown candidate {name!r}; known: {CANDIDATE_NAMES}")
    return Pipeline(steps)


def model_input_frame(columns: Any, spec: FeatureSpec) -> pd.DataFrame:
    """The model's input for feature columns: what serving feeds the ONNX graph, as a DataFrame.

    Built by the contract's `model_inputs`, so training, the parity check and the API see the
    same values: numeric float32, categorical strings with "" for unknown or missing.
    """
    from retail_assets.contract.encoding import model_inputs

    return pd.DataFrame({name: values[:, 0] for name, values in model_inputs(columns, spec).items()})


def encode_labels(labels: pd.Series | np.ndarray) -> np.ndarray:
    """LA/MM/UM -> 0/1/2 (indices into CLASSES); anything else is an error."""
    index = {c: i for i, c in enumerate(CLASSES)}
    values = np.asarray(labels, dtype=object)
    bad = sorted({str(v) for v in values if v not in index})
    if bad:
        raise ValueError(f"labels outside {CLASSES}: {bad}")
    return np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))


def _fit(name: str, model: Pipeline, X: pd.DataFrame, y: np.ndarray) -> Pipeline:
    if name == "xgboost":
        return model.fit(X, y, classify__sample_weight=compute_sample_weight("balanced", y))
    return model.fit(X, y)


def segment_columns(frame: pd.DataFrame, config: TrainingConfig) -> dict[str, np.ndarray]:
    """The configured segment columns of `frame` (a missing one is an error: the gate needs it)."""
    missing = [c for c in config.segment_columns if c not in frame.columns]
    if missing:
        raise ValueError(f"the training table lacks segment columns {missing}; it has {sorted(frame.columns)}")
    return {c: frame[c].to_numpy(dtype=object) for c in config.segment_columns}


def score_candidate(model: Any, X_valid: pd.DataFrame, y_valid: np.ndarray, valid: pd.DataFrame,
                    config: TrainingConfig) -> dict[str, Any]:
    """The evaluation report (overall, per class, per segment) of a fitted model on the validation rows."""
    predicted = np.asarray(model.predict(X_valid), dtype=np.int64)
    return evaluation_report(
        [CLASSES[i] for i in y_valid], [CLASSES[i] for i in predicted], CLASSES,
        segments=segment_columns(valid, config), segment_metric=config.segment_metric,
        segment_min_support=config.segment_min_support,
    )


BASELINE = "lookup_baseline"


def lookup_baseline(frame: pd.DataFrame) -> np.ndarray:
    """The rule every candidate must beat: the class most of the basket's lines have (their
    products' classes from single-line baskets), MM (the commonest label) on a tie or when
    no line is classed. It uses nothing a model could not."""
    counts = frame[["la_class_lines", "mm_class_lines", "um_class_lines"]].to_numpy(dtype=np.int64)
    top = counts.max(axis=1)
    leaders = (counts == top[:, None]).sum(axis=1)
    return np.where((top > 0) & (leaders == 1), counts.argmax(axis=1), CLASSES.index("MM"))


def baseline_report(valid: pd.DataFrame, y_valid: np.ndarray, config: TrainingConfig) -> dict[str, Any]:
    predicted = lookup_baseline(valid)
    return evaluation_report(
        [CLASSES[i] for i in y_valid], [CLASSES[i] for i in predicted], CLASSES,
        segments=segment_columns(valid, config), segment_metric=config.segment_metric,
        segment_min_support=config.segment_min_support,
    )


def with_baseline(report: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """A candidate's report with the baseline's headline numbers beside it, and its margin over them."""
    return {**report, "baseline": {k: baseline[k] for k in ("accuracy", "macro_f1", "min_class_precision")},
            "macro_f1_over_baseline": report["macro_f1"] - baseline["macro_f1"]}


def train_candidates(
    frame: pd.DataFrame, config: TrainingConfig, names: tuple[str, ...] = CANDIDATE_NAMES, *,
    fitted: Mapping[str, tuple[Any, float]] | None = None,
    on_fitted: Callable[[str, Any, float], None] | None = None,
) -> list[CandidateResult]:
    """Split `frame` (gold fct_baskets) by week, fit each candidate, score it on the validation weeks.

    `fitted`: {name: (model, train_seconds)} already fitted on this split (a checkpoint after
    a spot interruption) and only scored; `on_fitted` is called after each new fit.
    """
    train, valid, split = temporal_split(frame, config.validation_weeks)
    spec = default_spec()
    X_train, X_valid = model_input_frame(train, spec), model_input_frame(valid, spec)
    y_train, y_valid = encode_labels(train[LABEL_COLUMN]), encode_labels(valid[LABEL_COLUMN])
    absent = [CLASSES[i] for i in range(len(CLASSES)) if not (y_train == i).any()]
    if absent:
        # A model that never saw a class outputs fewer probability columns than the bundle promises.
        raise ValueError(f"training weeks {split.train_weeks} hold no baskets labelled {absent}")
    if len(y_valid) == 0:
        raise ValueError(f"validation weeks {split.validation_weeks} hold no labelled baskets")

    baseline = baseline_report(valid, y_valid, config)  # also fails before hours of fitting on a bad table
    results = []
    for name in names:
        if fitted and name in fitted:
            model, seconds = fitted[name]
        else:
            started = time.perf_counter()
            model = _fit(name, build_candidate(name, config, spec), X_train, y_train)
            seconds = time.perf_counter() - started
            if on_fitted is not None:
                on_fitted(name, model, seconds)
        report = with_baseline(score_candidate(model, X_valid, y_valid, valid, config), baseline)
        results.append(CandidateResult(name, model, report, seconds, X_valid, y_valid, split, valid, spec))
    return results
