"""The canonical transaction schema, declared once.

Both header variants of the dunnhumby files map onto these columns; the pandera schema is
the single statement of types and allowed values, used by the raw asset (to route bad rows
to quarantine) and by its checks.
"""

from __future__ import annotations

import pandera.pandas as pa

COLUMNS: tuple[str, ...] = (
    "SHOP_WEEK", "SHOP_DATE", "SHOP_WEEKDAY", "SHOP_HOUR", "QUANTITY", "SPEND",
    "PROD_CODE", "PROD_CODE_10", "PROD_CODE_20", "PROD_CODE_30", "PROD_CODE_40",
    "CUST_CODE", "CUST_PRICE_SENSITIVITY", "CUST_LIFESTAGE", "BASKET_ID", "BASKET_SIZE",
    "BASKET_PRICE_SENSITIVITY", "BASKET_TYPE", "BASKET_DOMINANT_MISSION", "STORE_CODE",
    "STORE_FORMAT", "STORE_REGION",
)

# The two header variants name two columns differently and code their values differently.
SEG_HEADER = {"seg_1": "CUST_PRICE_SENSITIVITY", "seg_2": "CUST_LIFESTAGE"}
SEG_1_CODES = {"AZ": "LA", "BG": "UM", "CT": "MM", "DY": "XX"}
SEG_2_CODES = {"AT": "YA", "BU": "OT", "CZ": "OA", "DI": "YF", "EQ": "OF", "FN": "PE"}

NUMERIC_COLUMNS = ("SHOP_WEEK", "SHOP_DATE", "SHOP_WEEKDAY", "SHOP_HOUR", "QUANTITY", "SPEND", "BASKET_ID")
INTEGER_TYPES = {
    "SHOP_WEEK": "int32", "SHOP_DATE": "int32", "SHOP_WEEKDAY": "int8", "SHOP_HOUR": "int8",
    "QUANTITY": "int32", "BASKET_ID": "int64",
}

LABELS = ("LA", "MM", "UM", "XX")
STORE_FORMATS = ("LS", "MS", "SS", "XLS")
STORE_REGIONS = tuple(f"{r}0{i}" for r in "ENSW" for i in (1, 2, 3))
LIFESTAGES = ("YA", "OA", "YF", "OF", "PE", "OT", "XX")


def _code(pattern: str, nullable: bool = False) -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(pattern), nullable=nullable)


def _one_of(values, nullable: bool = False) -> pa.Column:
    return pa.Column(str, pa.Check.isin(list(values)), nullable=nullable)


def transaction_schema(shop_week: int | None = None) -> pa.DataFrameSchema:
    """The typed schema; with `shop_week`, every row must belong to that week."""
    week_checks = [pa.Check.in_range(190001, 209953)]
    if shop_week is not None:
        week_checks = [pa.Check.equal_to(shop_week, error=f"SHOP_WEEK is not the file's week {shop_week}")]
    return pa.DataFrameSchema(
        {
            "SHOP_WEEK": pa.Column("int32", week_checks),
            "SHOP_DATE": pa.Column("int32", pa.Check.in_range(19000101, 20991231)),
            "SHOP_WEEKDAY": pa.Column("int8", pa.Check.in_range(1, 7)),
            "SHOP_HOUR": pa.Column("int8", pa.Check.in_range(0, 23)),
            "QUANTITY": pa.Column("int32", pa.Check.ge(1, error="QUANTITY must be at least 1")),
            "SPEND": pa.Column("float64", pa.Check.ge(0, error="SPEND must not be negative")),
            "PROD_CODE": _code(r"^PRD\d{7}$"),
            "PROD_CODE_10": _code(r"^CL\d{5}$"),
            "PROD_CODE_20": _code(r"^DEP\d{5}$"),
            "PROD_CODE_30": _code(r"^G\d{5}$"),
            "PROD_CODE_40": _code(r"^D\d{5}$"),
            "CUST_CODE": _code(r"^CUST\d{10}$", nullable=True),
            "CUST_PRICE_SENSITIVITY": _one_of(LABELS, nullable=True),
            "CUST_LIFESTAGE": _one_of(LIFESTAGES, nullable=True),
            "BASKET_ID": pa.Column("int64", pa.Check.gt(0)),
            "BASKET_SIZE": _one_of(("L", "M", "S")),
            "BASKET_PRICE_SENSITIVITY": _one_of(LABELS),
            "BASKET_TYPE": _one_of(("Full Shop", "Small Shop", "Top Up", "XX")),
            "BASKET_DOMINANT_MISSION": _one_of(("Fresh", "Grocery", "Mixed", "Nonfood", "XX")),
            "STORE_CODE": _code(r"^STORE\d{5}$"),
            "STORE_FORMAT": _one_of(STORE_FORMATS),
            "STORE_REGION": _one_of(STORE_REGIONS),
        },
        strict=True,
        ordered=True,
        coerce=False,
    )
