"""Basket features (docs/contracts.md section 3) in numpy: the API's and the scorer's definition.

dbt computes the same features in SQL for training; a parity test compares the two,
feature by feature, so every definition here follows the contract to the letter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retail_assets.contract.encoding import column, to_numpy
from retail_assets.contract.features import CATEGORICAL_FEATURES, CONTEXT_NUMERIC, PRODUCT_CLASSES
from retail_assets.contract.products import ProductTable, product_class


def basket_features(baskets: Any, lines: Any, products: ProductTable) -> dict[str, np.ndarray]:
    """Basket features (contracts.md section 3), one row per basket in `baskets` order.

    baskets: `basket_id`, `shop_weekday`, `shop_hour` and the categorical context
    columns (a missing categorical column counts as unknown). lines: `basket_id`,
    `prod_code`, `quantity`, `spend`; lines of baskets not listed are ignored. Every
    basket needs at least one line. Returns `basket_id`, the numeric features and the
    categorical columns as passed.
    """
    basket_ids = to_numpy(column(baskets, "basket_id", "baskets"))
    n_baskets = len(basket_ids)
    order = np.argsort(basket_ids, kind="stable")
    sorted_ids = basket_ids[order]
    if n_baskets > 1:
        dup = sorted_ids[1:] == sorted_ids[:-1]
        if dup.any():
            raise ValueError(f"baskets: duplicate basket_id {sorted_ids[1:][dup].tolist()[0]!r}")

    line_ids = to_numpy(column(lines, "basket_id", "lines"))
    if n_baskets:
        pos = np.minimum(np.searchsorted(sorted_ids, line_ids), n_baskets - 1)
        keep = sorted_ids[pos] == line_ids
        row = order[pos[keep]]
    else:
        keep = np.zeros(len(line_ids), dtype=bool)
        row = np.zeros(0, dtype=np.intp)

    counts = np.bincount(row, minlength=n_baskets)
    if (counts == 0).any():
        empty = basket_ids[counts == 0]
        raise ValueError(
            f"baskets without lines: {len(empty)} (e.g. basket_id {empty.tolist()[0]!r}); "
            "every basket needs at least one line"
        )

    prod_codes = to_numpy(column(lines, "prod_code", "lines"))[keep]
    quantity = to_numpy(column(lines, "quantity", "lines"))[keep].astype(np.int64)
    spend = to_numpy(column(lines, "spend", "lines"))[keep].astype(np.float64)
    stats = products.lookup(prod_codes)

    # Lines grouped by basket row, so reduceat can take per-basket maxima.
    line_order = np.argsort(row, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])) if n_baskets else counts

    def mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(row, weights=values, minlength=n_baskets) / counts

    def maximum(values: np.ndarray) -> np.ndarray:
        if not n_baskets:
            return np.zeros(0)
        return np.maximum.reduceat(values[line_order], starts)

    classes = product_class(stats)
    in_class = [classes == i for i in range(len(PRODUCT_CLASSES))]

    out: dict[str, np.ndarray] = {"basket_id": basket_ids}
    out["n_lines"] = counts.astype(np.int64)
    out["total_quantity"] = (
        np.add.reduceat(quantity[line_order], starts) if n_baskets else np.zeros(0, np.int64)
    )
    out["total_spend"] = np.bincount(row, weights=spend, minlength=n_baskets)
    out["avg_p_la"] = mean(stats["p_la"])
    out["avg_p_mm"] = mean(stats["p_mm"])
    out["avg_p_um"] = mean(stats["p_um"])
    out["max_p_la"] = maximum(stats["p_la"])
    out["max_p_um"] = maximum(stats["p_um"])
    out["avg_log_price_index"] = mean(stats["log_price_index"])
    out["known_product_share"] = mean((stats["n_lines"] > 0).astype(np.float64))
    for name in CONTEXT_NUMERIC:
        out[name] = to_numpy(column(baskets, name, "baskets")).astype(np.int64)
    for label, mask in zip(PRODUCT_CLASSES, in_class, strict=True):
        out[f"{label.lower()}_class_lines"] = np.bincount(row[mask], minlength=n_baskets).astype(np.int64)
    out["unclassed_lines"] = np.bincount(row[classes < 0], minlength=n_baskets).astype(np.int64)
    out["la_class_share"] = out["la_class_lines"] / counts
    out["um_class_share"] = out["um_class_lines"] / counts
    out["class_balance"] = (out["um_class_lines"] - out["la_class_lines"]) / counts
    total_spend = out["total_spend"]
    has_spend = total_spend > 0
    for label, i in (("la", 0), ("um", 2)):
        class_spend = np.bincount(row, weights=np.where(in_class[i], spend, 0.0), minlength=n_baskets)
        out[f"{label}_class_spend_share"] = np.divide(
            class_spend, total_spend, out=np.zeros(n_baskets), where=has_spend)
    for name in CATEGORICAL_FEATURES:
        try:
            values = baskets[name]
        except (KeyError, IndexError):
            out[name] = np.full(n_baskets, None, dtype=object)
            continue
        out[name] = to_numpy(values)
    return out


def every_line_unclassified(features: dict[str, np.ndarray]) -> np.ndarray:
    """Baskets whose every line is a product of class XX (features.XX_RULE): True where so."""
    return (features["xx_class_lines"] == features["n_lines"]) & (features["n_lines"] > 0)
