"""The canonical transaction schema, declared once.

Both header variants of the dunnhumby files map onto these columns. The pandera schema is
the single statement of types and allowed values: the raw asset compiles it to Arrow
compute (`arrow_checks.py`) to screen every row fast, asks pandera itself about the rows
that screening flags, and its checks re-apply the compiled schema to what was written.
The Arrow types of the raw Parquet files are derived from it too.
"""

from __future__ import annotations

import pandera.pandas as pa
import pyarrow

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
SEG_CODES = {"CUST_PRICE_SENSITIVITY": SEG_1_CODES, "CUST_LIFESTAGE": SEG_2_CODES}

LABELS = ("LA", "MM", "UM", "XX")
STORE_FORMATS = ("LS", "MS", "SS", "XLS")
STORE_REGIONS = tuple(f"{r}0{i}" for r in "ENSW" for i in (1, 2, 3))
LIFESTAGES = ("YA", "OA", "YF", "OF", "PE", "OT", "XX")


def _code(pattern: str, nullable: bool = False) -> pa.Column:
    return pa.Column(str, pa.Check.str_matches(pattern), nullable=nullable)


def _one_of(values, nullable: bool = False) -> pa.Column:
    return pa.Column(str, pa.Check.isin(list(values)), nullable=nullable)


def shop_week_column(shop_week: int | None = None) -> pa.Column:
    """SHOP_WEEK, the one column whose rule depends on the file: with `shop_week`, it must be that week."""
    if shop_week is None:
        return pa.Column("int32", pa.Check.in_range(190001, 209953))
    return pa.Column("int32", pa.Check.equal_to(shop_week, error=f"SHOP_WEEK is not the file's week {shop_week}"))


def transaction_schema(shop_week: int | None = None) -> pa.DataFrameSchema:
    """The typed schema; with `shop_week`, every row must belong to that week."""
    return pa.DataFrameSchema(
        {
            "SHOP_WEEK": shop_week_column(shop_week),
            "SHOP_DATE": pa.Column("int32", pa.Check.in_range(19000101, 20991231)),
            "SHOP_WEEKDAY": pa.Column("int8", pa.Check.in_range(1, 7)),
            "SHOP_HOUR": pa.Column("int8", pa.Check.in_range(0, 23)),
            "QUANTITY": pa.Column("int32", pa.Check.ge(1, error="QUANTITY must be at least 1")),
            "SPEND": pa.Column("float64", pa.Check.ge(0, error="SPEND must not be negative")),
            "PROD_CODE": _code(r"^PRD[0-9]{7}$"),
            "PROD_CODE_10": _code(r"^CL[0-9]{5}$"),
            "PROD_CODE_20": _code(r"^DEP[0-9]{5}$"),
            "PROD_CODE_30": _code(r"^G[0-9]{5}$"),
            "PROD_CODE_40": _code(r"^D[0-9]{5}$"),
            "CUST_CODE": _code(r"^CUST[0-9]{10}$", nullable=True),
            "CUST_PRICE_SENSITIVITY": _one_of(LABELS, nullable=True),
            "CUST_LIFESTAGE": _one_of(LIFESTAGES, nullable=True),
            "BASKET_ID": pa.Column("int64", pa.Check.gt(0)),
            "BASKET_SIZE": _one_of(("L", "M", "S")),
            "BASKET_PRICE_SENSITIVITY": _one_of(LABELS),
            "BASKET_TYPE": _one_of(("Full Shop", "Small Shop", "Top Up", "XX")),
            "BASKET_DOMINANT_MISSION": _one_of(("Fresh", "Grocery", "Mixed", "Nonfood", "XX")),
            "STORE_CODE": _code(r"^STORE[0-9]{5}$"),
            "STORE_FORMAT": _one_of(STORE_FORMATS),
            "STORE_REGION": _one_of(STORE_REGIONS),
        },
        strict=True,
        ordered=True,
        coerce=False,
    )


def _arrow_type(dtype) -> pyarrow.DataType:
    name = str(dtype)
    if name.startswith(("str", "string")):
        return pyarrow.string()
    return pyarrow.from_numpy_dtype(name)


# Derived from the schema, never restated: the raw Parquet schema and which columns are numbers.
ARROW_TYPES: dict[str, pyarrow.DataType] = {
    name: _arrow_type(column.dtype) for name, column in transaction_schema().columns.items()
}
RAW_SCHEMA = pyarrow.schema([(c, ARROW_TYPES[c]) for c in COLUMNS])
NUMERIC_COLUMNS = tuple(c for c in COLUMNS if not pyarrow.types.is_string(ARROW_TYPES[c]))
