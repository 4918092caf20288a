"""reports/*: the EDA and the business view, refreshed whenever the gold tables they read change.

Each writes its plots into the materialization's metadata (PNG, rendered by the Dagster UI)
and one self-contained HTML page into the lake under retail/reports/<name>/index.html. The
logic is in retail_assets/reports/.
"""

import dagster as dg

from retail_assets.reports.business import build_business_view
from retail_assets.reports.eda import BASKET_COLUMNS, MIX_COLUMNS, PIT_COLUMNS, build_eda
from retail_assets.reports.gold import publish, read_gold
from retail_assets.reports.render import Report
from retail_assets.resources import LakeResource

MIX = dg.AssetKey(["gold", "fct_price_sensitivity_mix"])


def _materialization(report: Report, page_uri: str) -> dg.MaterializeResult:
    metadata: dict[str, dg.MetadataValue] = {"page": dg.MetadataValue.path(page_uri)}
    metadata.update({name: dg.MetadataValue.text(str(value)) for name, value in report.summary.items()})
    metadata.update({plot.name: dg.MetadataValue.md(plot.markdown()) for plot in report.plots})
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    key=["reports", "eda"],
    group_name="reports",
    deps=[dg.AssetKey(["gold", "fct_baskets"]), dg.AssetKey(["gold", "product_features_pit"]), MIX],
    kinds={"matplotlib", "html"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Exploratory analysis of the gold tables: class balance by week, label by segment, spend and "
                "basket size per class, products classed over time, drift of the class mix.",
)
def eda(lake: LakeResource) -> dg.MaterializeResult:
    store = lake.get()
    report = build_eda(read_gold(store, "fct_baskets", BASKET_COLUMNS), read_gold(store, MIX.path[1], MIX_COLUMNS),
                       read_gold(store, "product_features_pit", PIT_COLUMNS))
    return _materialization(report, publish(store, "eda", report.html()))


@dg.asset(
    key=["reports", "business_view"],
    group_name="reports",
    deps=[MIX],
    kinds={"matplotlib", "html"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Where the price-sensitive shoppers are: the observed LA/MM/UM mix by store format, region, "
                "basket mission and type, customer segment and week, for pricing and promotions.",
)
def business_view(lake: LakeResource) -> dg.MaterializeResult:
    store = lake.get()
    report = build_business_view(read_gold(store, MIX.path[1]))
    return _materialization(report, publish(store, "business", report.html()))
