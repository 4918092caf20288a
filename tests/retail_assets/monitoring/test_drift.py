"""PSI and the drift verdict on numbers worked by hand, and on a week shifted on purpose."""

import math

import numpy as np
import pytest

from retail_assets.monitoring.drift import drift_html, drift_png, drift_reference, psi, week_drift


def test_psi_matches_the_formula_and_is_zero_for_equal_shares():
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    expected = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert psi([0.8, 0.2], [0.5, 0.5]) == pytest.approx(expected)
    with pytest.raises(ValueError, match="2 bins for the week but 3"):
        psi([0.5, 0.5], [0.2, 0.3, 0.5])


def _frame(rng, n, spend_scale=1.0, region="E01"):
    return {"total_spend": rng.gamma(2.0, 10.0, n) * spend_scale, "shop_hour": rng.integers(8, 22, n).astype(float),
            "store_region": np.array([region if i % 2 else "W01" for i in range(n)], dtype=object)}


def test_same_distribution_does_not_drift_and_a_shifted_one_does():
    rng = np.random.default_rng(0)
    reference = drift_reference(_frame(rng, 3000), ["total_spend", "shop_hour"], ["store_region"],
                                ["LA", "MM", "UM"] * 1000, source="test")
    assert len(reference["features"]["total_spend"]["edges"]) == 9  # deciles
    same = week_drift(reference, _frame(rng, 400), ["LA", "MM", "UM"] * 133 + ["LA"],
                      threshold=0.25, max_drifted_share=0.2)
    assert not same["drifted"], same["reasons"]
    assert same["max_feature_psi"] < 0.1

    shifted = week_drift(reference, _frame(rng, 400, spend_scale=4.0, region="N02"), ["LA"] * 400,
                         threshold=0.25, max_drifted_share=0.2)
    assert shifted["drifted"]
    assert shifted["drifted_features"] == ["store_region", "total_spend"]  # a region never seen counts too
    assert shifted["prediction_psi"] > 0.25
    assert any("predicted-class PSI" in r for r in shifted["reasons"])
    assert drift_png(shifted, "t")[:8] == b"\x89PNG\r\n\x1a\n"
    page = drift_html(shifted, "week 1", "report.png")
    assert "DRIFT" in page and "total_spend" in page


def test_a_feature_missing_from_the_week_is_named():
    rng = np.random.default_rng(1)
    reference = drift_reference(_frame(rng, 100), ["total_spend"], [], ["LA"] * 100, source="t")
    with pytest.raises(ValueError, match="lacks feature 'total_spend'"):
        week_drift(reference, {}, ["LA"], threshold=0.25, max_drifted_share=0.2)
    with pytest.raises(ValueError, match="'n_lines' is not among"):
        drift_reference({}, ["n_lines"], [], [], source="t")
