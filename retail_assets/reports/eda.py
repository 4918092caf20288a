"""Exploratory analysis of the gold tables: what the label looks like and how it moves.

From `fct_baskets` (one row per basket), `fct_price_sensitivity_mix` (basket mission, type
and size) and `product_features_pit` (what was known about each product as of each week):
the class balance by week, the label by store format, region, size, type and mission, spend
and lines per basket by class, how many products have a class (a leading label among their
single-line baskets) as weeks go by, and how far each week's class mix drifts from the
first weeks'. Shares are of labelled baskets (LA, MM, UM) unless XX is named.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retail_assets.reports.render import CLASSES, LABEL_COLOURS, Report, new_figure

LABELS = (*CLASSES, "XX")
BASKET_COLUMNS = ["shop_week", "label", "store_format", "store_region", "n_lines", "total_spend"]
MIX_COLUMNS = ["shop_week", "basket_size", "basket_type", "basket_dominant_mission",
               "la_baskets", "mm_baskets", "um_baskets", "xx_baskets"]
PIT_COLUMNS = ["as_of_week", "n_solo_la", "n_solo_mm", "n_solo_um", "n_solo_xx"]


def label_shares(counts: pd.DataFrame, labels=CLASSES) -> pd.DataFrame:
    """Rows of label counts (columns = labels) as shares of their row's total over `labels`."""
    counts = counts.reindex(columns=list(labels), fill_value=0)
    total = counts.sum(axis=1).replace(0, np.nan)
    return counts.div(total, axis=0).fillna(0.0)


def weekly_label_counts(baskets: pd.DataFrame) -> pd.DataFrame:
    """shop_week x label -> baskets (LA, MM, UM, XX columns)."""
    return (baskets.groupby(["shop_week", "label"]).size().unstack(fill_value=0)
            .reindex(columns=list(LABELS), fill_value=0).sort_index())


def js_distance(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen-Shannon distance (base 2, in [0, 1]) between rows of p and the distribution q."""
    p = np.asarray(p, dtype=float)
    q = np.broadcast_to(np.asarray(q, dtype=float), p.shape)
    m = (p + q) / 2

    def kl(a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(a > 0, a * np.log2(a / b), 0.0)
        return terms.sum(axis=1)

    return np.sqrt(np.clip((kl(p, m) + kl(q, m)) / 2, 0.0, 1.0))


def class_mix_drift(weekly: pd.DataFrame, reference_weeks: int = 4) -> tuple[pd.DataFrame, list[int]]:
    """Per week: its LA/MM/UM shares minus the reference's (the first `reference_weeks`
    weeks, at most half of them), and the Jensen-Shannon distance between the two mixes."""
    n_ref = max(1, min(reference_weeks, len(weekly) // 2))
    reference_rows = weekly.iloc[:n_ref]
    reference = label_shares(reference_rows[list(CLASSES)].sum().to_frame().T).iloc[0].to_numpy()
    shares = label_shares(weekly)
    drift = shares - reference
    drift["js_distance"] = js_distance(shares.to_numpy(), reference)
    return drift, [int(w) for w in reference_rows.index]


def products_classed(pit: pd.DataFrame) -> pd.DataFrame:
    """as_of_week -> products known (a row as of the week) and products per class (the
    strict leader among the labels of their past single-line baskets), plus unclassed."""
    solo = pit[["n_solo_la", "n_solo_mm", "n_solo_um", "n_solo_xx"]].to_numpy()
    top = solo.max(axis=1)
    leaders = (solo == top[:, None]).sum(axis=1)
    cls = np.where((top > 0) & (leaders == 1), solo.argmax(axis=1), -1)
    frame = pd.DataFrame({"as_of_week": pit["as_of_week"].to_numpy(), "cls": cls})
    table = frame.groupby(["as_of_week", "cls"]).size().unstack(fill_value=0)
    table = table.reindex(columns=[0, 1, 2, 3, -1], fill_value=0)
    table.columns = [*LABELS, "unclassed"]
    table.insert(0, "products_known", table.sum(axis=1))
    return table.sort_index()


def _week_axis(axes, weeks) -> None:
    labels = [str(w) for w in weeks]
    step = max(1, len(labels) // 12)
    axes.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right", fontsize=8)


def _stacked_bars(axes, shares: pd.DataFrame, title: str) -> None:
    left = np.zeros(len(shares))
    for label in shares.columns:
        axes.barh(shares.index.astype(str), shares[label], left=left, color=LABEL_COLOURS[label], label=label)
        left += shares[label].to_numpy()
    axes.set_xlim(0, 1)
    axes.set_title(title, fontsize=10)
    axes.tick_params(labelsize=8)


def build_eda(baskets: pd.DataFrame, mix: pd.DataFrame, pit: pd.DataFrame, reference_weeks: int = 4) -> Report:
    if baskets.empty:
        raise ValueError("fct_baskets has no rows: nothing to explore")
    weekly = weekly_label_counts(baskets)
    weeks = list(weekly.index)
    labelled = baskets[baskets["label"] != "XX"]
    overall = label_shares(weekly[list(CLASSES)].sum().to_frame().T).iloc[0]
    report = Report(
        title="Retail baskets: exploratory analysis",
        intro=f"{len(baskets):,} baskets over {len(weeks)} weeks ({weeks[0]}-{weeks[-1]}), from the gold tables. "
              "Shares are of labelled baskets (LA, MM, UM) unless XX is shown.",
    )

    figure = new_figure()
    axes = figure.subplots()
    shares = label_shares(weekly, LABELS)
    bottom = np.zeros(len(weeks))
    for label in LABELS:
        axes.bar(range(len(weeks)), shares[label], bottom=bottom, color=LABEL_COLOURS[label], label=label, width=0.9)
        bottom += shares[label].to_numpy()
    _week_axis(axes, weeks)
    axes.set_ylabel("share of baskets")
    axes.set_ylim(0, 1)
    axes.legend(loc="upper left", bbox_to_anchor=(1, 1), fontsize=8)
    report.add("class_balance_by_week", "Class balance by week",
               "Share of each label among the week's baskets, XX included.", figure)

    figure = new_figure(10, 6)
    grid = figure.subplots(2, 3)
    segments = [("store_format", "store format", None), ("store_region", "store region", None),
                ("basket_size", "basket size", "mix"), ("basket_type", "basket type", "mix"),
                ("basket_dominant_mission", "dominant mission", "mix")]
    mix_counts = {}
    for (column, title, source), axes in zip(segments, grid.flat):
        if source == "mix":
            counts = mix.groupby(column)[["la_baskets", "mm_baskets", "um_baskets"]].sum()
            counts.columns = list(CLASSES)
        else:
            counts = labelled.groupby([column, "label"]).size().unstack(fill_value=0)
        mix_counts[title] = label_shares(counts)
        _stacked_bars(axes, mix_counts[title], title)
    grid.flat[-1].axis("off")
    handles, names = grid.flat[0].get_legend_handles_labels()
    grid.flat[-1].legend(handles, names, loc="center")
    report.add("label_by_segment", "Label by store format, region, basket size, type and mission",
               "Share of LA, MM and UM among the labelled baskets of each group.", figure)

    figure = new_figure(10, 4)
    spend_axes, lines_axes = figure.subplots(1, 2)
    spend = [labelled.loc[labelled["label"] == c, "total_spend"].clip(lower=0.01).to_numpy() for c in CLASSES]
    lines = [labelled.loc[labelled["label"] == c, "n_lines"].to_numpy() for c in CLASSES]
    bins = np.logspace(np.log10(max(min((s.min() for s in spend if len(s)), default=0.01), 0.01)),
                       np.log10(max((s.max() for s in spend if len(s)), default=1.0) + 1), 40)
    for label, values in zip(CLASSES, spend):
        spend_axes.hist(values, bins=bins, histtype="step", density=True, color=LABEL_COLOURS[label], label=label, lw=1.5)
    spend_axes.set_xscale("log")
    spend_axes.set_xlabel("basket spend (log scale)")
    spend_axes.set_ylabel("density")
    spend_axes.legend(fontsize=8)
    most = int(max((v.max() for v in lines if len(v)), default=1))
    line_bins = np.arange(1, min(most, 60) + 2) - 0.5
    for label, values in zip(CLASSES, lines):
        lines_axes.hist(np.minimum(values, line_bins[-1] - 0.5), bins=line_bins, histtype="step", density=True,
                        color=LABEL_COLOURS[label], label=label, lw=1.5)
    lines_axes.set_xlabel("lines per basket (60 = 60 or more)")
    lines_axes.set_yscale("log")
    report.add("spend_and_size_by_class", "Spend and basket size by class",
               "Distributions of basket spend and of lines per basket for each label (densities, so the classes "
               "compare despite their sizes).", figure)

    classed = products_classed(pit) if not pit.empty else pd.DataFrame()
    if not classed.empty:
        figure = new_figure()
        axes = figure.subplots()
        pit_weeks = list(classed.index)
        bottom = np.zeros(len(pit_weeks))
        for label in LABELS:
            axes.bar(range(len(pit_weeks)), classed[label], bottom=bottom, color=LABEL_COLOURS[label], label=f"class {label}",
                     width=0.9)
            bottom += classed[label].to_numpy()
        axes.plot(range(len(pit_weeks)), classed["products_known"], color="black", lw=1.5, label="products seen")
        _week_axis(axes, pit_weeks)
        axes.set_ylabel("products")
        axes.legend(loc="upper left", fontsize=8)
        report.add("products_classed_over_time", "Products with a class, as of each week",
                   "Products seen in earlier weeks (line), and those whose past single-line baskets give them a "
                   "class: the label that strictly leads among those baskets (bars). Lines of unclassed products "
                   "are what the model knows least about.", figure)
        last = classed.iloc[-1]
        report.summary["products classed (last week)"] = f"{int(last[list(LABELS)].sum()):,} of {int(last['products_known']):,}"

    drift, reference = class_mix_drift(weekly, reference_weeks)
    figure = new_figure(10, 4)
    shift_axes, js_axes = figure.subplots(1, 2)
    for label in CLASSES:
        shift_axes.plot(range(len(weeks)), 100 * drift[label], color=LABEL_COLOURS[label], label=label, lw=1.5)
    shift_axes.axhline(0, color="black", lw=0.8)
    shift_axes.set_ylabel("share minus reference (points)")
    _week_axis(shift_axes, weeks)
    shift_axes.legend(fontsize=8)
    js_axes.bar(range(len(weeks)), drift["js_distance"], color="#555555", width=0.9)
    js_axes.set_ylabel("Jensen-Shannon distance")
    _week_axis(js_axes, weeks)
    report.add("class_mix_drift", "Drift of the class mix",
               f"Each week's LA/MM/UM shares against the reference weeks {reference[0]}-{reference[-1]}: the "
               "difference per class in percentage points, and the Jensen-Shannon distance between the two mixes "
               "(0 = the same mix).", figure)

    worst = drift["js_distance"].idxmax()
    report.summary.update({
        "baskets": f"{len(baskets):,}",
        "weeks": f"{len(weeks)} ({weeks[0]}-{weeks[-1]})",
        **{f"{c} share": f"{overall[c]:.3f}" for c in CLASSES},
        "XX baskets": f"{int(weekly['XX'].sum()):,}",
        "largest drift": f"week {worst}: Jensen-Shannon {drift['js_distance'].max():.4f}",
    })
    table = weekly.copy()
    table[[f"{c} share" for c in CLASSES]] = label_shares(weekly).to_numpy()
    table["js_distance"] = drift["js_distance"]
    report.tables["Baskets per week"] = table.reset_index()
    return report
