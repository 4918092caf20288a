"""A plain-Python statement of contracts.md section 3, loop by loop, to check dbt's SQL against.

Deliberately naive (no numpy, no windows): it recomputes each basket's product statistics
from the lines of earlier weeks.
"""

from __future__ import annotations

import math

from dbt_lake_fixture import CATEGORIES, Basket

LABELS = ("LA", "MM", "UM")
SOLO_LABELS = ("LA", "MM", "UM", "XX")


def product_stats(baskets: tuple[Basket, ...], before_week: int) -> dict[str, dict[str, float]]:
    """prod_code -> n_lines, p_*, log_price_index, n_solo_* over weeks < before_week, for
    every product with a line in those weeks."""
    counts: dict[str, dict[str, int]] = {}
    solo: dict[str, dict[str, int]] = {}
    money: dict[str, list[float]] = {}  # key -> [spend, quantity]; key is a product or a category
    for basket in baskets:
        if basket.week >= before_week:
            continue
        for prod_code, quantity, spend in basket.lines:
            c = counts.setdefault(prod_code, {label: 0 for label in LABELS})
            s = solo.setdefault(prod_code, {label: 0 for label in SOLO_LABELS})
            if basket.label in LABELS:
                c[basket.label] += 1
            if len(basket.lines) == 1:
                s[basket.label] += 1
            for key in (prod_code, CATEGORIES[prod_code]):
                m = money.setdefault(key, [0.0, 0.0])
                m[0] += spend
                m[1] += quantity
    stats = {}
    for prod_code, c in counts.items():
        n = sum(c.values())
        (ps, pq_), (cs, cq) = money[prod_code], money[CATEGORIES[prod_code]]
        lpi = math.log((ps / pq_) / (cs / cq)) if min(ps, pq_, cs, cq) > 0 else 0.0
        stats[prod_code] = {
            "n_lines": n,
            **{f"p_{label.lower()}": (c[label] + 1) / (n + 3) for label in LABELS},
            "log_price_index": lpi,
            **{f"n_solo_{label.lower()}": solo[prod_code][label] for label in SOLO_LABELS},
        }
    return stats


UNSEEN = {"n_lines": 0, "p_la": 1 / 3, "p_mm": 1 / 3, "p_um": 1 / 3, "log_price_index": 0.0,
          "n_solo_la": 0, "n_solo_mm": 0, "n_solo_um": 0, "n_solo_xx": 0}


def product_class(stats: dict[str, float]) -> str | None:
    """The label strictly ahead of every other among the product's single-line baskets."""
    solo = {label: stats[f"n_solo_{label.lower()}"] for label in SOLO_LABELS}
    best = max(solo, key=solo.get)
    return best if all(solo[best] > v for k, v in solo.items() if k != best) else None


def basket_features(baskets: tuple[Basket, ...]) -> dict[int, dict[str, float]]:
    """basket_id -> the numeric features of contracts.md section 3."""
    out = {}
    for basket in baskets:
        stats = product_stats(baskets, basket.week)
        lines = [stats.get(prod_code, UNSEEN) for prod_code, _, _ in basket.lines]
        classes = [product_class(s) for s in lines]
        n = len(lines)
        spend = sum(s for _, _, s in basket.lines)
        class_spend = {label: sum(line[2] for line, c in zip(basket.lines, classes) if c == label)
                       for label in SOLO_LABELS}
        class_lines = {label: classes.count(label) for label in SOLO_LABELS}
        out[basket.basket_id] = {
            "n_lines": n,
            "total_quantity": sum(q for _, q, _ in basket.lines),
            "total_spend": spend,
            "avg_p_la": sum(s["p_la"] for s in lines) / n,
            "avg_p_mm": sum(s["p_mm"] for s in lines) / n,
            "avg_p_um": sum(s["p_um"] for s in lines) / n,
            "max_p_la": max(s["p_la"] for s in lines),
            "max_p_um": max(s["p_um"] for s in lines),
            "avg_log_price_index": sum(s["log_price_index"] for s in lines) / n,
            "known_product_share": sum(s["n_lines"] > 0 for s in lines) / n,
            "shop_weekday": basket.weekday,
            "shop_hour": basket.hour,
            **{f"{label.lower()}_class_lines": class_lines[label] for label in SOLO_LABELS},
            "unclassed_lines": classes.count(None),
            "la_class_share": class_lines["LA"] / n,
            "um_class_share": class_lines["UM"] / n,
            "class_balance": (class_lines["UM"] - class_lines["LA"]) / n,
            "la_class_spend_share": class_spend["LA"] / spend if spend > 0 else 0.0,
            "um_class_spend_share": class_spend["UM"] / spend if spend > 0 else 0.0,
        }
    return out
