"""The business view: where the price-sensitive shoppers are, for pricing and promotions.

Built from gold `fct_price_sensitivity_mix` (baskets per label by store, week, mission,
type, size and customer segment). Shares are always sums of counts over the group asked
about, divided by its labelled baskets (LA + MM + UM), never averages of shares. The
labels are the observed ones; the mix the Production model predicts for the weeks it
scores belongs beside it once `monitoring/weekly_scores` exists (a follow-up).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retail_assets.reports.render import CLASSES, LABEL_COLOURS, Report, new_figure

COUNTS = ["labelled_baskets", "la_baskets", "mm_baskets", "um_baskets", "xx_baskets", "baskets"]


def mix_by(mix: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Counts summed over `by`, with la_share, mm_share, um_share of the labelled baskets."""
    grouped = mix.groupby(by, observed=True)[COUNTS + ["total_spend", "la_spend", "um_spend"]].sum()
    denominator = grouped["labelled_baskets"].replace(0, np.nan)
    for label in CLASSES:
        grouped[f"{label.lower()}_share"] = (grouped[f"{label.lower()}_baskets"] / denominator).fillna(0.0)
    grouped["la_minus_um"] = grouped["la_share"] - grouped["um_share"]
    return grouped


def trend_window(n_weeks: int) -> int:
    """Weeks summed per point of a trend: 1 for a short history, 4 (a month) once it is long."""
    return 1 if n_weeks <= 12 else 4


def _heatmap(figure, axes, table: pd.DataFrame, title: str, cmap: str) -> None:
    values = table.to_numpy(dtype=float)
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    image = axes.imshow(values, cmap=cmap, aspect="auto", vmin=0, vmax=max(top, 1e-9))
    axes.set_xticks(range(table.shape[1]), [str(c) for c in table.columns], rotation=30, ha="right", fontsize=8)
    axes.set_yticks(range(table.shape[0]), [str(i) for i in table.index], fontsize=8)
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            axes.text(j, i, f"{100 * value:.0f}", ha="center", va="center", fontsize=7,
                      color="white" if value > 0.6 * top else "black")
    axes.set_title(title, fontsize=10)
    figure.colorbar(image, ax=axes, shrink=0.8, label="share")


def build_business_view(mix: pd.DataFrame, min_store_baskets: int = 30, top_stores: int = 15,
                        min_cell_baskets: int = 20) -> Report:
    if mix.empty:
        raise ValueError("fct_price_sensitivity_mix has no rows: nothing to show")
    weeks = sorted(mix["shop_week"].unique())
    overall = mix_by(mix.assign(all="all"), ["all"]).iloc[0]
    report = Report(
        title="Price sensitivity by store, region, mission and customer segment",
        intro=f"Observed basket labels, {int(overall['baskets']):,} baskets over {len(weeks)} weeks "
              f"({weeks[0]}-{weeks[-1]}). LA = less affluent (the most price-sensitive), MM = mid market, "
              "UM = up market. Shares are of labelled baskets; numbers in cells are percentages. The mix the "
              "Production model predicts for scored weeks is not shown yet (follow-up: monitoring/weekly_scores).",
    )

    figure = new_figure(11, 4.5)
    la_axes, um_axes = figure.subplots(1, 2)
    cells = mix_by(mix, ["store_format", "basket_dominant_mission"])
    for axes, share, cmap, name in ((la_axes, "la_share", "Reds", "LA"), (um_axes, "um_share", "Blues", "UM")):
        table = cells[share].where(cells["labelled_baskets"] >= min_cell_baskets).unstack()
        _heatmap(figure, axes, table, f"{name} share by store format and mission", cmap)
    report.add("format_by_mission", "Store format by basket mission",
               "Share of LA (left) and UM (right) baskets in each store format and dominant mission: where a "
               f"value-led or a premium promotion finds its shoppers. Blank: fewer than {min_cell_baskets} labelled "
               "baskets.", figure)

    figure = new_figure(10, 4.5)
    axes = figure.subplots()
    regions = mix_by(mix, ["store_region"]).sort_values("la_share", ascending=False)
    left = np.zeros(len(regions))
    for label in CLASSES:
        values = regions[f"{label.lower()}_share"].to_numpy()
        axes.barh(regions.index.astype(str), values, left=left, color=LABEL_COLOURS[label], label=label)
        left += values
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.set_xlabel("share of labelled baskets")
    axes.legend(loc="lower right", fontsize=8)
    report.add("mix_by_region", "Mix by region", "Regions ordered by their LA share, most price-sensitive first.", figure)

    figure = new_figure(11, 4.5)
    la_axes, um_axes = figure.subplots(1, 2, sharex=True)
    trend = mix.groupby(["shop_week", "store_format"])[["la_baskets", "um_baskets", "labelled_baskets"]].sum()
    window = trend_window(len(weeks))
    for axes, count, name in ((la_axes, "la_baskets", "LA"), (um_axes, "um_baskets", "UM")):
        rolled = trend[[count, "labelled_baskets"]].unstack(fill_value=0).reindex(weeks, fill_value=0)
        rolled = rolled.rolling(window, min_periods=1).sum()
        shares = rolled[count] / rolled["labelled_baskets"].replace(0, np.nan)
        for store_format, values in shares.items():
            axes.plot(range(len(weeks)), values.to_numpy(), lw=1.4, marker="o" if len(weeks) <= 20 else None, ms=3,
                      label=str(store_format))
        axes.set_title(f"{name} share by week and store format", fontsize=10)
        step = max(1, len(weeks) // 10)
        axes.set_xticks(range(0, len(weeks), step), [str(w) for w in weeks[::step]], rotation=45, ha="right", fontsize=8)
    la_axes.legend(fontsize=8)
    smoothing = f"over the {window} weeks up to each week" if window > 1 else "per week"
    report.add("trend_by_format", "Trend over weeks", f"LA and UM shares per store format, {smoothing}.", figure)

    figure = new_figure(11, 4.5)
    seg_axes, life_axes = figure.subplots(1, 2)
    for axes, column, title in ((seg_axes, "customer_segment", "customer's segment"),
                                (life_axes, "customer_lifestage", "customer's life stage")):
        table = mix_by(mix, [column])
        left = np.zeros(len(table))
        for label in CLASSES:
            values = table[f"{label.lower()}_share"].to_numpy()
            axes.barh(table.index.astype(str), values, left=left, color=LABEL_COLOURS[label], label=label)
            left += values
        axes.set_xlim(0, 1)
        axes.set_title(f"Basket label by the {title}", fontsize=10)
    seg_axes.legend(fontsize=8)
    report.add("mix_by_customer_segment", "Baskets by customer segment",
               "The basket's label against the retailer's segment and life stage of its customer ('unknown' = no "
               "customer on the basket): how far a customer's segment predicts the trip's.", figure)

    stores = mix_by(mix, ["store_code", "store_format", "store_region"]).reset_index()
    stores = stores[stores["labelled_baskets"] >= min_store_baskets]
    if not stores.empty:
        top = stores.sort_values(["la_share", "labelled_baskets"], ascending=[False, False]).head(top_stores)
        figure = new_figure(9, 0.6 + 0.3 * len(top))
        axes = figure.subplots()
        names = [f"{r.store_code} ({r.store_format}, {r.store_region})" for r in top.itertuples()]
        axes.barh(names, top["la_share"], color=LABEL_COLOURS["LA"])
        axes.axvline(overall["la_share"], color="black", lw=1, ls="--", label=f"all stores {overall['la_share']:.2f}")
        axes.invert_yaxis()
        axes.set_xlabel("LA share of labelled baskets")
        axes.tick_params(labelsize=8)
        axes.legend(fontsize=8)
        report.add("most_price_sensitive_stores", "The most price-sensitive stores",
                   f"Stores with at least {min_store_baskets} labelled baskets, by LA share.", figure)
        report.tables["Most price-sensitive stores"] = top[
            ["store_code", "store_format", "store_region", "labelled_baskets", "la_share", "mm_share", "um_share"]]

    report.tables["Store format by mission"] = cells.reset_index()[
        ["store_format", "basket_dominant_mission", "labelled_baskets", "la_share", "mm_share", "um_share"]]
    report.tables["Basket type by mission"] = mix_by(mix, ["basket_type", "basket_dominant_mission"]).reset_index()[
        ["basket_type", "basket_dominant_mission", "labelled_baskets", "la_share", "mm_share", "um_share"]]
    by_format = mix_by(mix, ["store_format"])
    report.summary.update({
        "baskets": f"{int(overall['baskets']):,} ({int(overall['xx_baskets']):,} XX)",
        "weeks": f"{len(weeks)} ({weeks[0]}-{weeks[-1]})",
        **{f"{c} share": f"{overall[f'{c.lower()}_share']:.3f}" for c in CLASSES},
        "most LA store format": f"{by_format['la_share'].idxmax()} ({by_format['la_share'].max():.3f})",
        "most LA region": f"{regions.index[0]} ({regions['la_share'].iloc[0]:.3f})",
        "stores": f"{mix['store_code'].nunique():,}",
    })
    return report
