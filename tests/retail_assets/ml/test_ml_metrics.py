from types import SimpleNamespace

import numpy as np
import pytest
from sklearn import metrics as skm

from retail_assets.ml.config import TrainingConfig
from retail_assets.ml.metrics import (
    check_gates,
    classification_report,
    confusion_matrix_png,
    evaluation_json,
    select_winner,
)
from retail_assets.ml.training import train_candidates

CLASSES = ("LA", "MM", "UM")
TRUE = ["LA", "LA", "LA", "MM", "MM", "MM", "MM", "UM", "UM", "LA", "MM", "UM"]
PRED = ["LA", "MM", "LA", "MM", "MM", "LA", "MM", "MM", "UM", "LA", "UM", "MM"]


def test_report_matches_sklearn_on_a_known_example():
    report = classification_report(TRUE, PRED, CLASSES)
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        TRUE, PRED, labels=list(CLASSES), zero_division=0
    )
    assert report["n"] == 12
    assert report["accuracy"] == pytest.approx(skm.accuracy_score(TRUE, PRED))
    assert report["macro_f1"] == pytest.approx(skm.f1_score(TRUE, PRED, average="macro"))
    assert report["macro_precision"] == pytest.approx(precision.mean())
    assert report["macro_recall"] == pytest.approx(recall.mean())
    for i, name in enumerate(CLASSES):
        got = report["per_class"][name]
        assert (got["precision"], got["recall"], got["f1"]) == pytest.approx((precision[i], recall[i], f1[i]))
        assert got["support"] == support[i]
    assert report["confusion_matrix"] == skm.confusion_matrix(TRUE, PRED, labels=list(CLASSES)).tolist()
    assert report["confusion_matrix"][0] == [3, 1, 0]  # rows are the true class


def test_a_class_never_predicted_scores_zero_like_sklearn():
    true, pred = ["LA", "MM", "UM", "UM"], ["LA", "MM", "MM", "MM"]
    report = classification_report(true, pred, CLASSES)
    assert report["per_class"]["UM"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert report["macro_f1"] == pytest.approx(skm.f1_score(true, pred, average="macro", zero_division=0))
    with pytest.raises(ValueError, match="XX"):
        classification_report(["XX"], ["LA"], CLASSES)


def test_evaluation_json_has_exactly_the_cli_shape():
    doc = evaluation_json(classification_report(TRUE, PRED, CLASSES), excluded_xx=4)
    assert list(doc) == ["baskets", "accuracy", "macro_f1", "per_class", "excluded_xx"]
    assert doc["baskets"] == 12 and doc["excluded_xx"] == 4
    assert list(doc["per_class"]) == list(CLASSES)
    assert all(list(v) == ["precision", "recall", "f1"] for v in doc["per_class"].values())


def test_confusion_matrix_png(tmp_path):
    path = tmp_path / "cm.png"
    data = confusion_matrix_png(classification_report(TRUE, PRED, CLASSES), path)
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and path.read_bytes() == data


def test_gates_pass_a_good_model_and_fail_a_shuffled_label_model(baskets, candidates, config_factory):
    config = TrainingConfig()
    assert check_gates(candidates["xgboost"].metrics, config) == []
    shuffled = baskets.copy()
    shuffled["label"] = np.random.default_rng(7).permutation(shuffled["label"].to_numpy())
    noise = train_candidates(shuffled, config_factory(), names=("random_forest",))[0]
    failed = check_gates(noise.metrics, config)
    assert len(failed) == 2
    assert failed[0].startswith("accuracy ") and "below the gate 0.7500" in failed[0]
    assert failed[1].startswith("macro_f1 ")
    with pytest.raises(KeyError, match="auc"):
        check_gates(noise.metrics, TrainingConfig(gates={"auc": 0.5}))


def _scored(name, macro_f1, accuracy):
    return SimpleNamespace(name=name, metrics={"macro_f1": macro_f1, "accuracy": accuracy})


def test_select_winner_best_macro_f1_then_accuracy_then_simplest():
    assert select_winner([_scored("xgboost", 0.80, 0.8), _scored("decision_tree", 0.82, 0.7)]).name == "decision_tree"
    assert select_winner([_scored("xgboost", 0.80, 0.85), _scored("decision_tree", 0.80, 0.84)]).name == "xgboost"
    tie = [_scored("xgboost", 0.8, 0.8), _scored("random_forest", 0.8, 0.8), _scored("logistic_regression", 0.8, 0.8)]
    assert select_winner(tie).name == "logistic_regression"
    with pytest.raises(ValueError):
        select_winner([])


def test_select_winner_on_trained_candidates(candidates):
    winner = select_winner(candidates.values())
    assert winner.metrics["macro_f1"] == max(r.metrics["macro_f1"] for r in candidates.values())
