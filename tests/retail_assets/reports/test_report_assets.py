"""reports/eda and reports/business_view materialize from a lake's gold tables: plots in the
metadata as PNG images, an HTML page in the lake; and they sit in the code location."""

from __future__ import annotations

import base64

import dagster as dg
import pytest

from retail_assets.defs.reports.assets import business_view, eda
from retail_assets.resources import LakeResource


def test_both_reports_materialize_with_plots_and_pages(gold_lake):
    lake, _ = gold_lake
    result = dg.materialize([eda, business_view], resources={"lake": LakeResource(uri=str(lake))})
    assert result.success
    pages = {"reports__eda": lake / "retail" / "reports" / "eda" / "index.html",
             "reports__business_view": lake / "retail" / "reports" / "business" / "index.html"}
    for name, page in pages.items():
        (event,) = result.asset_materializations_for_node(name)
        metadata = event.metadata
        assert metadata["page"].value == str(page)
        plots = [v.value for v in metadata.values() if isinstance(v, dg.MarkdownMetadataValue)]
        assert len(plots) == 5, name
        for md in plots:
            encoded = md.split("data:image/png;base64,")[1].split(")")[0]
            assert base64.b64decode(encoded).startswith(b"\x89PNG")
        assert page.read_text().startswith("<!doctype html>")
        assert not list(page.parent.glob(".*.tmp"))  # written atomically: nothing staged is left


def test_a_missing_gold_table_fails_naming_it(tmp_path):
    result = dg.materialize([business_view], resources={"lake": LakeResource(uri=str(tmp_path / "lake"))},
                            raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "fct_price_sensitivity_mix is not in the lake" in failure.step_failure_data.error.to_string()


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    from retail_assets.definitions import build_definitions
    from retail_assets.settings import settings_for_home

    return build_definitions(settings_for_home(tmp_path_factory.mktemp("home"))).resolve_asset_graph()


def test_the_reports_follow_gold_in_the_code_location(graph):
    mix = dg.AssetKey(["gold", "fct_price_sensitivity_mix"])
    expected = {
        dg.AssetKey(["reports", "eda"]): {dg.AssetKey(["gold", "fct_baskets"]), dg.AssetKey(["gold", "product_features_pit"]), mix},
        dg.AssetKey(["reports", "business_view"]): {mix},
    }
    for key, parents in expected.items():
        node = graph.get(key)
        assert node.group_name == "reports"
        assert node.parent_keys == parents
        assert node.automation_condition is not None
    assert graph.get(mix).parent_keys == {dg.AssetKey(["silver", "transactions"])}
