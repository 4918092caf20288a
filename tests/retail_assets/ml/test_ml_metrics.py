from types import SimpleNamespace

import numpy as np
import pytest
from sklearn import metrics as skm

from retail_assets.ml.config import TrainingConfig
from retail_assets.ml.metrics import (
    check_gates,
    classification_report,
    evaluation_json,
    evaluation_png,
    evaluation_report,
    gate_results,
    headline_metrics,
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
    doc = evaluation_json(TRUE, PRED)
    assert list(doc) == ["baskets", "accuracy", "macro_f1", "per_class", "baskets_all", "accuracy_all",
                         "macro_f1_all", "per_class_all", "xx_baskets"]
    assert doc["baskets"] == doc["baskets_all"] == 12 and doc["xx_baskets"] == 0
    assert list(doc["per_class"]) == list(CLASSES)
    assert all(list(v) == ["precision", "recall", "f1"] for v in doc["per_class"].values())
    assert doc["accuracy"] == doc["accuracy_all"] == classification_report(TRUE, PRED, CLASSES)["accuracy"]


def test_evaluation_counts_xx_answers_and_labels():
    true = ["LA", "MM", "UM", "XX", "XX", "MM"]
    pred = ["LA", "XX", "UM", "XX", "MM", "MM"]  # an XX answer for an MM basket is an error
    doc = evaluation_json(true, pred)
    assert doc["baskets"] == 4 and doc["accuracy"] == 0.75 and doc["xx_baskets"] == 2
    assert doc["baskets_all"] == 6 and doc["accuracy_all"] == pytest.approx(4 / 6)
    assert doc["per_class_all"]["XX"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert set(doc["per_class"]) == {"LA", "MM", "UM"}
    assert doc["per_class"]["MM"]["recall"] == 0.5 and doc["per_class"]["MM"]["precision"] == 1.0


def test_gates_pass_a_good_model_and_fail_a_shuffled_label_model(baskets, candidates, config_factory):
    config = TrainingConfig()
    assert check_gates(candidates["xgboost"].metrics, config) == []
    shuffled = baskets.copy()
    shuffled["label"] = np.random.default_rng(7).permutation(shuffled["label"].to_numpy())
    noise = train_candidates(shuffled, config_factory(), names=("random_forest",))[0]
    failed = check_gates(noise.metrics, config)
    assert len(failed) in (4, 5)  # on shuffled labels the baseline is chance too: either may lead
    assert failed[0].startswith("accuracy ") and "below the gate 0.7500" in failed[0]
    assert failed[1].startswith("macro_f1 ")
    assert failed[2].startswith("precision of ") and "min_class_precision" in failed[2]
    assert failed[3].startswith("segment store_") and "below the floor 0.6500" in failed[3]
    assert len(failed) == 4 or "does not beat the lookup baseline" in failed[4]
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


# ---- segments -------------------------------------------------------------------------------

def _region_case(bad_region="W03", n_per_region=200, seed=0):
    """Labels and predictions that are right 95 % of the time except in one region (right 30 %)."""
    rng = np.random.default_rng(seed)
    regions = np.repeat(["E01", "N01", "S01", bad_region], n_per_region)
    true = rng.choice(CLASSES, len(regions), p=[0.25, 0.5, 0.25])
    hit = rng.random(len(regions)) < np.where(regions == bad_region, 0.30, 0.95)
    other = np.array([CLASSES[(CLASSES.index(t) + 1) % 3] for t in true])
    pred = np.where(hit, true, other)
    formats = rng.choice(["LS", "MS"], len(regions))
    return true.tolist(), pred.tolist(), {"store_format": formats, "store_region": regions}


def test_segment_reports_match_sklearn_per_segment():
    true, pred, segments = _region_case()
    report = evaluation_report(true, pred, CLASSES, segments, segment_min_support=50)
    assert set(report["segments"]) == {"store_format", "store_region"}
    for region, seg in report["segments"]["store_region"].items():
        mask = segments["store_region"] == region
        t, p = np.asarray(true)[mask], np.asarray(pred)[mask]
        assert seg["n"] == mask.sum()
        assert seg["accuracy"] == pytest.approx(skm.accuracy_score(t, p))
        assert seg["macro_f1"] == pytest.approx(skm.f1_score(t, p, average="macro", labels=list(CLASSES), zero_division=0))
        assert seg["gated"] is True
    assert report["worst_segment"]["column"] == "store_region" and report["worst_segment"]["value"] == "W03"
    assert report["worst_segment_macro_f1"] == report["segments"]["store_region"]["W03"]["macro_f1"]


# A report made by hand has no lookup baseline beside it (train_candidates adds one): gate it without.
HAND_MADE = TrainingConfig(gates={k: v for k, v in TrainingConfig().gates.items() if k != "macro_f1_over_baseline"})


def test_a_model_good_on_average_and_bad_for_one_region_fails_the_segment_floor():
    true, pred, segments = _region_case()
    report = evaluation_report(true, pred, CLASSES, segments, segment_min_support=50)
    assert report["accuracy"] > 0.75 and report["macro_f1"] > 0.70  # fine on average
    failed = check_gates(report, HAND_MADE)
    assert failed == [f"segment store_region=W03 (200 baskets) has macro_f1 {report['worst_segment_macro_f1']:.4f}, "
                      "below the floor 0.6500 (worst_segment)"]
    rows = {r["gate"]: r for r in gate_results(report, HAND_MADE)}
    assert rows["worst_segment_macro_f1"]["passed"] is False and rows["accuracy"]["passed"] is True


def test_small_segments_are_reported_but_not_gated():
    true, pred, segments = _region_case(n_per_region=40)  # 4 regions x 40; 2 formats of ~80
    report = evaluation_report(true, pred, CLASSES, segments, segment_min_support=60)
    assert report["segments"]["store_region"]["W03"]["gated"] is False
    assert report["worst_segment"]["column"] == "store_format"
    none_gated = evaluation_report(true, pred, CLASSES, {"store_region": segments["store_region"]}, segment_min_support=100)
    assert none_gated["worst_segment"] is None and none_gated["worst_segment_macro_f1"] == 1.0


def test_missing_segment_values_form_their_own_segment():
    report = evaluation_report(["LA", "MM"], ["LA", "MM"], CLASSES, {"store_format": ["LS", None]}, segment_min_support=1)
    assert set(report["segments"]["store_format"]) == {"LS", "(missing)"}


def test_min_class_precision_names_the_class():
    report = classification_report(TRUE, PRED, CLASSES)
    lowest = min(CLASSES, key=lambda c: report["per_class"][c]["precision"])
    assert report["min_class_precision"] == report["per_class"][lowest]["precision"]
    config = TrainingConfig(gates={"min_class_precision": 0.99})
    assert check_gates(report, config)[0].startswith(f"precision of {lowest} ")


def test_select_winner_prefers_a_candidate_that_passes_every_gate():
    good = {"macro_f1": 0.80, "accuracy": 0.80, "min_class_precision": 0.7, "worst_segment_macro_f1": 0.7,
            "macro_f1_over_baseline": 0.1}
    bad_region = {**good, "macro_f1": 0.85, "worst_segment_macro_f1": 0.3, "macro_f1_over_baseline": 0.15,
                  "worst_segment": {"column": "store_region", "value": "W03", "n": 500}, "segment_metric": "macro_f1"}
    results = [SimpleNamespace(name="xgboost", metrics=bad_region), SimpleNamespace(name="random_forest", metrics=good)]
    assert select_winner(results).name == "xgboost"
    assert select_winner(results, TrainingConfig()).name == "random_forest"
    failing = [SimpleNamespace(name="xgboost", metrics=bad_region)]
    assert select_winner(failing, TrainingConfig()).name == "xgboost"  # none passes: the best, and the gates fail


def test_evaluation_png_and_headline_metrics():
    true, pred, segments = _region_case()
    report = evaluation_report(true, pred, CLASSES, segments, segment_min_support=50)
    assert evaluation_png(report, floor=0.65).startswith(b"\x89PNG\r\n\x1a\n")
    headline = headline_metrics(report)
    assert "segments" not in headline and headline["worst_segment"]["value"] == "W03"
    assert headline["accuracy"] == report["accuracy"] and "per_class" in headline
