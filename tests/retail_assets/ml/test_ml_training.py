import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from xgboost import XGBClassifier

from retail_assets.contract.encoding import encode
from retail_assets.contract.features import CLASSES, default_spec
from retail_assets.ml.config import TrainingConfig
from retail_assets.ml.training import CANDIDATE_NAMES, build_candidate, encode_labels, temporal_split, train_candidates


def test_split_is_temporal_and_no_basket_is_on_both_sides(baskets):
    train, valid, info = temporal_split(baskets, validation_weeks=2)
    assert info.validation_weeks == (200805, 200806)
    assert info.train_weeks == (200801, 200802, 200803, 200804)
    assert train["shop_week"].max() < valid["shop_week"].min()
    assert set(train["basket_id"]).isdisjoint(valid["basket_id"])
    assert (info.n_train, info.n_valid) == (len(train), len(valid))


def test_xx_baskets_are_excluded_from_both_sides_and_counted(baskets):
    train, valid, info = temporal_split(baskets, validation_weeks=2)
    is_xx = baskets["label"] == "XX"
    assert "XX" not in set(train["label"]) | set(valid["label"])
    assert info.excluded_xx == int(is_xx.sum()) > 0
    assert info.excluded_xx_valid == int((is_xx & baskets["shop_week"].isin([200805, 200806])).sum())
    assert len(train) + len(valid) + info.excluded_xx == len(baskets)
    assert info.to_dict()["excluded_xx"] == info.excluded_xx


def test_split_needs_more_weeks_than_it_validates(basket_factory):
    frame = basket_factory(n=100, weeks=(200801, 200802))
    with pytest.raises(ValueError, match="at least 3 distinct shop_weeks"):
        temporal_split(frame, validation_weeks=2)
    with pytest.raises(ValueError, match=">= 1"):
        temporal_split(frame, validation_weeks=0)


def test_split_refuses_repeated_baskets_and_unknown_labels(basket_factory):
    frame = basket_factory(n=100)
    repeated = frame.copy()
    repeated.loc[1, "basket_id"] = repeated.loc[0, "basket_id"]
    with pytest.raises(ValueError, match="repeated basket_id"):
        temporal_split(repeated, 2)
    odd = frame.copy()
    odd.loc[0, "label"] = "ZZ"
    with pytest.raises(ValueError, match="ZZ"):
        temporal_split(odd, 2)


def test_training_refuses_a_class_missing_from_the_training_weeks(basket_factory, config_factory):
    frame = basket_factory(n=300)
    early = frame["shop_week"] < 200805
    frame.loc[early & (frame["label"] == "UM"), "label"] = "MM"
    with pytest.raises(ValueError, match="no baskets labelled \\['UM'\\]"):
        train_candidates(frame, config_factory(), names=("decision_tree",))


def test_build_candidate_returns_unfitted_balanced_estimators():
    config = TrainingConfig()
    for name in CANDIDATE_NAMES:
        model = build_candidate(name, config)
        with pytest.raises(NotFittedError):
            check_is_fitted(model)
    lr = build_candidate("logistic_regression", config)
    assert isinstance(lr, Pipeline) and lr[-1].class_weight == "balanced"
    assert [step for step, _ in lr.steps] == ["encode", "scale", "classify"]
    assert build_candidate("decision_tree", config)[-1].class_weight == "balanced"
    assert build_candidate("random_forest", config)[-1].get_params()["n_estimators"] == 100
    xgb = build_candidate("xgboost", config)
    assert isinstance(xgb[-1], XGBClassifier) and xgb[-1].objective == "multi:softprob"
    # Every candidate encodes its own categorical features, in the spec's order and categories.
    encoder = build_candidate("xgboost", config)[0]
    spec = default_spec()
    assert encoder.transformers[0][2] == list(spec.numeric) and encoder.transformers[1][2] == list(spec.categorical)
    assert encoder.transformers[1][1].categories == [list(v) for v in spec.categorical.values()]
    with pytest.raises(ValueError, match="unknown candidate"):
        build_candidate("svm", config)


def test_every_candidate_beats_the_majority_baseline(candidates):
    assert list(candidates) == list(CANDIDATE_NAMES)
    some = next(iter(candidates.values()))
    majority_share = np.bincount(some.y_valid).max() / len(some.y_valid)
    for result in candidates.values():
        assert result.metrics["accuracy"] > majority_share + 0.15, result.name
        assert result.metrics["macro_f1"] > 0.6, result.name  # a majority model scores ~0.2
        assert result.train_seconds > 0
        spec = default_spec()
        assert list(result.X_valid.columns) == [*spec.numeric, *spec.categorical]
        assert len(result.X_valid) == result.split.n_valid
        assert all(result.X_valid[name].dtype == np.float32 for name in spec.numeric)
        assert set(np.unique(result.model.predict(result.X_valid))) <= {0, 1, 2}


def test_labels_are_indices_into_classes():
    assert encode_labels(np.array(["LA", "MM", "UM", "LA"], dtype=object)).tolist() == [0, 1, 2, 0]
    assert CLASSES == ("LA", "MM", "UM")
    with pytest.raises(ValueError, match="XX"):
        encode_labels(["XX"])


def test_xgboost_balancing_raises_minority_recall(basket_factory, config_factory):
    # Without weights a heavily imbalanced set starves the minority class; the balanced sample
    # weights must win back recall on it (the reason they are used).
    frame = basket_factory(n=1500, seed=3)
    # Keep a random fifth of the UM baskets: a rare class that overlaps MM.
    demote = (frame["label"] == "UM") & (np.random.default_rng(3).random(len(frame)) < 0.8)
    frame.loc[demote, "label"] = "MM"
    balanced = train_candidates(frame, config_factory(), names=("xgboost",))[0]
    train, _, _ = temporal_split(frame, 2)
    plain = XGBClassifier(objective="multi:softprob", n_estimators=60, max_depth=4, n_jobs=1, random_state=42)
    plain.fit(encode(train, default_spec()), encode_labels(train["label"]))
    is_um = balanced.y_valid == 2
    _, valid, _ = temporal_split(frame, 2)
    plain_recall = float((plain.predict(encode(valid, default_spec()))[is_um] == 2).mean())
    assert balanced.metrics["per_class"]["UM"]["recall"] > plain_recall + 0.1


def test_candidates_are_scored_per_segment_on_the_validation_rows(candidates):
    result = candidates["xgboost"]
    segments = result.metrics["segments"]
    assert set(segments) == {"store_format", "store_region"}
    assert sum(s["n"] for s in segments["store_format"].values()) == result.split.n_valid
    assert len(result.valid_frame) == result.split.n_valid
    assert result.metrics["worst_segment"] is None or result.metrics["worst_segment"]["n"] >= 100


def test_a_training_table_without_a_segment_column_is_refused_before_fitting(basket_factory, config_factory):
    config = config_factory(segment_columns=("store_format", "store_cluster"))
    with pytest.raises(ValueError, match="segment columns \\['store_cluster'\\]"):
        train_candidates(basket_factory(n=300), config, names=("decision_tree",))


def test_the_lookup_baseline_is_scored_beside_every_candidate_and_gated(candidates, baskets):
    from retail_assets.ml.config import TrainingConfig
    from retail_assets.ml.metrics import check_gates
    from retail_assets.ml.training import lookup_baseline

    frame = pd.DataFrame({"la_class_lines": [2, 0, 1, 0, 1], "mm_class_lines": [1, 0, 1, 0, 0],
                          "um_class_lines": [0, 3, 0, 0, 2]})
    assert [CLASSES[i] for i in lookup_baseline(frame)] == ["LA", "UM", "MM", "MM", "UM"]  # tie, none -> MM
    baseline = {r.name: r.metrics["baseline"]["macro_f1"] for r in candidates.values()}
    assert len(set(baseline.values())) == 1  # one baseline, the same validation rows
    for result in candidates.values():
        assert result.metrics["macro_f1_over_baseline"] == pytest.approx(
            result.metrics["macro_f1"] - result.metrics["baseline"]["macro_f1"])
    worst = min(candidates.values(), key=lambda r: r.metrics["macro_f1"])
    demanding = TrainingConfig(gates={"macro_f1_over_baseline": worst.metrics["macro_f1_over_baseline"] + 0.01})
    assert any("does not beat the lookup baseline" in reason for reason in check_gates(worst.metrics, demanding))
