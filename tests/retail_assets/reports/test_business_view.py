"""The business view: shares are sums of counts over the group, and its plots show where
the fixture put the price-sensitive baskets (small stores, grocery trips)."""

from __future__ import annotations

import pandas as pd
import pytest

from retail_assets.reports.business import build_business_view, mix_by

ROW = {"store_code": "STORE00001", "store_format": "LS", "store_region": "E01", "basket_dominant_mission": "Fresh",
       "basket_type": "Top Up", "basket_size": "S", "customer_segment": "LA", "customer_lifestage": "YA",
       "shop_week": 200601, "total_spend": 1.0, "la_spend": 1.0, "mm_spend": 0.0, "um_spend": 0.0}


@pytest.fixture(scope="module")
def mix(gold_lake) -> pd.DataFrame:
    return gold_lake[1]["fct_price_sensitivity_mix"].to_pandas()


@pytest.fixture(scope="module")
def report(mix):
    return build_business_view(mix, min_store_baskets=20)


def test_a_share_is_a_ratio_of_sums_not_a_mean_of_shares():
    rows = pd.DataFrame([
        {**ROW, "baskets": 1, "labelled_baskets": 1, "la_baskets": 1, "mm_baskets": 0, "um_baskets": 0, "xx_baskets": 0},
        {**ROW, "basket_type": "Full Shop", "baskets": 10, "labelled_baskets": 9, "la_baskets": 0, "mm_baskets": 9,
         "um_baskets": 0, "xx_baskets": 1},
    ])
    shares = mix_by(rows, ["store_format"]).loc["LS"]
    assert shares["la_share"] == pytest.approx(1 / 10)  # a mean of shares would say 0.5
    assert shares["mm_share"] == pytest.approx(9 / 10)
    assert shares["baskets"] == 11 and shares["xx_baskets"] == 1


def test_the_view_finds_the_price_sensitive_format_and_totals_every_basket(report, mix, gold_lake):
    assert report.summary["most LA store format"].startswith("SS")  # the fixture's LA-leaning format
    baskets = gold_lake[1]["fct_baskets"]
    assert report.summary["baskets"].startswith(f"{baskets.num_rows:,}")
    by_mission = report.tables["Store format by mission"]
    grocery = by_mission[(by_mission.store_format == "SS") & (by_mission.basket_dominant_mission == "Grocery")]
    fresh_ls = by_mission[(by_mission.store_format == "LS") & (by_mission.basket_dominant_mission == "Fresh")]
    assert grocery["la_share"].iloc[0] > fresh_ls["la_share"].iloc[0]


def test_stores_below_the_minimum_are_left_out_of_the_ranking(report, mix):
    stores = report.tables["Most price-sensitive stores"]
    assert (stores["labelled_baskets"] >= 20).all()
    assert list(stores["la_share"]) == sorted(stores["la_share"], reverse=True)
    assert len(stores) <= 15


def test_plots_are_pngs_and_the_page_says_what_is_not_shown_yet(report):
    assert [p.name for p in report.plots] == ["format_by_mission", "mix_by_region", "trend_by_format",
                                              "mix_by_customer_segment", "most_price_sensitive_stores"]
    assert all(p.png.startswith(b"\x89PNG") for p in report.plots)
    assert "monitoring/weekly_scores" in report.html()
