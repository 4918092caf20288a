"""A week's quality from stored answers and its labels, by hand, and the errors a mismatch gives."""

import pyarrow as pa
import pytest

from retail_assets.monitoring.quality import trend_png, week_labels, week_quality


def _scores(predicted, formats):
    n = len(predicted)
    return pa.table({"basket_id": list(range(n)), "predicted_label": predicted, "model_version": ["v0001"] * n,
                     "store_format": formats, "store_region": ["E01"] * n})


def test_accuracy_macro_f1_and_segments_on_the_labelled_baskets():
    scores = _scores(["LA", "MM", "UM", "UM", "XX"], ["LS", "LS", "SS", "SS", "SS"])
    labels = {0: "LA", 1: "MM", 2: "UM", 3: "MM", 4: "XX"}
    report = week_quality(scores, labels)
    assert report["baskets"] == 4 and report["xx_baskets"] == 1  # the XX basket is left out of accuracy
    assert report["accuracy"] == pytest.approx(0.75)
    assert report["segments"]["store_format"]["LS"] == {"baskets": 2, "accuracy": 1.0, "macro_f1": pytest.approx(2 / 3)}
    assert report["segments"]["store_format"]["SS"]["accuracy"] == pytest.approx(0.5)
    assert report["model_version"] == "v0001"


def test_a_scored_basket_without_a_label_is_named():
    with pytest.raises(ValueError, match=r"1 scored baskets have no label in the raw week \(e.g. \[1\]\)"):
        week_quality(_scores(["LA", "MM"], ["LS", "LS"]), {0: "LA"})


def test_labels_come_one_per_basket_from_the_raw_lines_and_the_trend_draws():
    raw = pa.table({"BASKET_ID": [7, 7, 8], "BASKET_PRICE_SENSITIVITY": ["UM", "UM", "LA"]})
    assert week_labels(raw) == {7: "UM", 8: "LA"}
    series = [{"week": 200601 + i, "accuracy": 0.9, "macro_f1": 0.85, "model_version": v}
              for i, v in enumerate(["v0001", "v0001", "v0002"])]
    assert trend_png(series, 0.75)[:4] == b"\x89PNG"
