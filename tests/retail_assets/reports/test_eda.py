"""The EDA report: its numbers from the gold tables, and every plot a PNG on its HTML page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retail_assets.reports.eda import (
    BASKET_COLUMNS,
    MIX_COLUMNS,
    PIT_COLUMNS,
    build_eda,
    class_mix_drift,
    js_distance,
    products_classed,
    weekly_label_counts,
)
from retail_assets.reports.gold import read_gold

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(gold_lake):
    from retail_assets.contract.lake import Lake

    lake = Lake.from_uri(str(gold_lake[0]))
    return build_eda(read_gold(lake, "fct_baskets", BASKET_COLUMNS), read_gold(lake, "fct_price_sensitivity_mix", MIX_COLUMNS),
                     read_gold(lake, "product_features_pit", PIT_COLUMNS))


def test_jensen_shannon_distance_is_0_for_the_same_mix_and_1_for_disjoint_ones():
    d = js_distance(np.array([[0.2, 0.5, 0.3], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), np.array([0.2, 0.5, 0.3]))
    assert d[0] == pytest.approx(0.0, abs=1e-12)
    assert 0 < d[1] < 1 and 0 < d[2] < 1
    assert js_distance(np.array([[1.0, 0.0, 0.0]]), np.array([0.0, 0.0, 1.0]))[0] == pytest.approx(1.0)


def test_drift_is_measured_against_the_first_weeks():
    weekly = pd.DataFrame({"LA": [20, 20, 40, 20], "MM": [50, 50, 40, 50], "UM": [30, 30, 20, 30], "XX": [1, 0, 0, 5]},
                          index=[200601, 200602, 200603, 200604])
    drift, reference = class_mix_drift(weekly, reference_weeks=2)
    assert reference == [200601, 200602]
    assert drift.loc[200601, "js_distance"] == pytest.approx(0.0, abs=1e-12)
    assert drift.loc[200604, "js_distance"] == pytest.approx(0.0, abs=1e-12)  # XX is not in the mix
    assert drift.loc[200603, "LA"] == pytest.approx(0.2)
    assert drift.loc[200603, "js_distance"] > 0.1


def test_a_products_class_is_the_strict_leader_of_its_single_line_labels():
    pit = pd.DataFrame({
        "as_of_week": [200602, 200602, 200602, 200602, 200603],
        "n_solo_la": [2, 1, 0, 0, 0], "n_solo_mm": [1, 1, 0, 0, 0],
        "n_solo_um": [0, 0, 0, 0, 0], "n_solo_xx": [0, 0, 0, 0, 3],
    })
    table = products_classed(pit)
    assert table.loc[200602].to_dict() == {"products_known": 4, "LA": 1, "MM": 0, "UM": 0, "XX": 0, "unclassed": 3}
    assert table.loc[200603, "XX"] == 1


def test_the_report_counts_what_the_gold_tables_hold(report, gold_lake):
    baskets = gold_lake[1]["fct_baskets"].to_pandas()
    labelled = baskets[baskets["label"] != "XX"]
    for label in ("LA", "MM", "UM"):
        assert report.summary[f"{label} share"] == f"{(labelled['label'] == label).mean():.3f}"
    assert report.summary["baskets"] == f"{len(baskets):,}"
    weekly = weekly_label_counts(baskets)
    assert int(weekly.to_numpy().sum()) == len(baskets)
    table = report.tables["Baskets per week"]
    assert list(table["shop_week"]) == sorted(baskets["shop_week"].unique())


def test_every_plot_is_a_png_on_the_page(report):
    names = [p.name for p in report.plots]
    assert names == ["class_balance_by_week", "label_by_segment", "spend_and_size_by_class",
                     "products_classed_over_time", "class_mix_drift"]
    page = report.html()
    for plot in report.plots:
        assert plot.png.startswith(PNG) and len(plot.png) > 5_000
        assert f'id="{plot.name}"' in page
        assert "data:image/png;base64," in plot.markdown()
    assert page.count("<img ") == len(report.plots)


def test_no_baskets_is_an_error_that_says_so():
    empty = pd.DataFrame(columns=BASKET_COLUMNS)
    with pytest.raises(ValueError, match="no rows"):
        build_eda(empty, pd.DataFrame(columns=MIX_COLUMNS), pd.DataFrame(columns=PIT_COLUMNS))
