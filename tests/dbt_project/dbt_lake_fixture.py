"""Tiny raw lakes for the dbt tests: a few weekly Parquet files in the canonical schema.

Written here, not borrowed from retail_assets, so the dbt tests depend on nothing but the
contract (docs/contracts.md sections 1 and 2).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

RAW_SCHEMA = pa.schema(
    [
        ("SHOP_WEEK", pa.int32()),
        ("SHOP_DATE", pa.int32()),
        ("SHOP_WEEKDAY", pa.int8()),
        ("SHOP_HOUR", pa.int8()),
        ("QUANTITY", pa.int32()),
        ("SPEND", pa.float64()),
        ("PROD_CODE", pa.string()),
        ("PROD_CODE_10", pa.string()),
        ("PROD_CODE_20", pa.string()),
        ("PROD_CODE_30", pa.string()),
        ("PROD_CODE_40", pa.string()),
        ("CUST_CODE", pa.string()),
        ("CUST_PRICE_SENSITIVITY", pa.string()),
        ("CUST_LIFESTAGE", pa.string()),
        ("BASKET_ID", pa.int64()),
        ("BASKET_SIZE", pa.string()),
        ("BASKET_PRICE_SENSITIVITY", pa.string()),
        ("BASKET_TYPE", pa.string()),
        ("BASKET_DOMINANT_MISSION", pa.string()),
        ("STORE_CODE", pa.string()),
        ("STORE_FORMAT", pa.string()),
        ("STORE_REGION", pa.string()),
    ]
)

# product -> category (PROD_CODE_10)
CATEGORIES = {"PRD0000001": "CL00001", "PRD0000002": "CL00001", "PRD0000003": "CL00002"}


@dataclass(frozen=True)
class Basket:
    basket_id: int
    week: int
    label: str
    store_format: str
    store_region: str
    weekday: int
    hour: int
    lines: tuple[tuple[str, int, float], ...]  # (prod_code, quantity, spend)
    cust_price_sensitivity: str | None = "MM"
    cust_lifestage: str | None = "YF"


def _id(n: int) -> int:
    return 994100100000000 + n


# Weeks 200601-200604. Basket 3 is XX: its lines count in spend and quantity, not labels.
# Single-line baskets give the products' classes, as of a week: P1 MM from week 2 on
# (basket 2); P2 a tie as of week 3 (baskets 5 MM, 9 LA), LA as of week 4 (+ basket 10);
# P3 XX as of weeks 2 and 3 (basket 3), a tie as of week 4 (+ basket 7, UM).
BASKETS: tuple[Basket, ...] = (
    Basket(_id(1), 200601, "LA", "LS", "E01", 1, 9, (("PRD0000001", 2, 4.0), ("PRD0000002", 1, 1.0))),
    Basket(_id(2), 200601, "MM", "MS", "N01", 2, 10, (("PRD0000001", 1, 2.0),)),
    Basket(_id(3), 200601, "XX", "SS", "S01", 3, 11, (("PRD0000003", 3, 3.0),), None, None),
    Basket(_id(4), 200602, "UM", "XLS", "W01", 4, 12, (("PRD0000001", 1, 2.0), ("PRD0000003", 1, 1.0))),
    Basket(_id(5), 200602, "MM", "LS", "E02", 5, 13, (("PRD0000002", 2, 2.0),), "LA", "OA"),
    Basket(_id(6), 200603, "LA", "MS", "N02", 6, 14, (("PRD0000001", 1, 2.5), ("PRD0000002", 1, 0.5))),
    Basket(_id(7), 200603, "UM", "SS", "S02", 7, 15, (("PRD0000003", 2, 5.0),)),
    Basket(_id(8), 200604, "MM", "XLS", "W02", 1, 16, (("PRD0000001", 1, 2.0), ("PRD0000002", 3, 3.0), ("PRD0000003", 1, 2.0))),
    Basket(_id(9), 200602, "LA", "LS", "E01", 2, 8, (("PRD0000002", 1, 1.5),)),
    Basket(_id(10), 200603, "LA", "LS", "E01", 3, 8, (("PRD0000002", 2, 2.5),)),
)


def relabel(baskets: tuple[Basket, ...], week: int, labels: dict[str, str], price_factor: float = 1.0) -> tuple[Basket, ...]:
    """The same baskets with the labels of `week` swapped by `labels` (e.g. {"LA": "UM"})
    and its spends multiplied by `price_factor`."""
    return tuple(
        replace(b, label=labels.get(b.label, b.label),
                lines=tuple((p, q, s * price_factor) for p, q, s in b.lines)) if b.week == week else b
        for b in baskets
    )


# Week 3 delivered again: other labels and other prices (tests of point-in-time and re-delivery).
WEEK_3_CHANGES = {"week": 200603, "labels": {"LA": "UM", "UM": "LA", "MM": "LA"}, "price_factor": 3.0}


def _rows(basket: Basket) -> list[dict]:
    return [
        {
            "SHOP_WEEK": basket.week,
            "SHOP_DATE": 20060101 + basket.week % 100,
            "SHOP_WEEKDAY": basket.weekday,
            "SHOP_HOUR": basket.hour,
            "QUANTITY": quantity,
            "SPEND": spend,
            "PROD_CODE": prod_code,
            "PROD_CODE_10": CATEGORIES[prod_code],
            "PROD_CODE_20": "DEP00001",
            "PROD_CODE_30": "G00001",
            "PROD_CODE_40": "D00001",
            "CUST_CODE": None if basket.cust_price_sensitivity is None else "CUST0000000001",
            "CUST_PRICE_SENSITIVITY": basket.cust_price_sensitivity,
            "CUST_LIFESTAGE": basket.cust_lifestage,
            "BASKET_ID": basket.basket_id,
            "BASKET_SIZE": "S",
            "BASKET_PRICE_SENSITIVITY": basket.label,
            "BASKET_TYPE": "Top Up",
            "BASKET_DOMINANT_MISSION": "Fresh",
            "STORE_CODE": "STORE00001",
            "STORE_FORMAT": basket.store_format,
            "STORE_REGION": basket.store_region,
        }
        for prod_code, quantity, spend in basket.lines
    ]


def write_raw_lake(lake: Path, baskets: tuple[Basket, ...] = BASKETS, duplicate_first_line: bool = True) -> Path:
    """Write retail/raw/shop_week=W/part-0.parquet per week; returns the lake root.

    The first line of the first week is written twice, as a duplicate delivery that
    silver must drop.
    """
    by_week: dict[int, list[dict]] = {}
    for basket in baskets:
        by_week.setdefault(basket.week, []).extend(_rows(basket))
    for week, rows in sorted(by_week.items()):
        if duplicate_first_line and week == min(by_week):
            rows = [rows[0], *rows]
        directory = lake / "retail" / "raw" / f"shop_week={week}"
        directory.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=RAW_SCHEMA), directory / "part-0.parquet")
    return lake
