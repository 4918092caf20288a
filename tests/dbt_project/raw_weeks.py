"""Weekly CSV files (the real ones, or generated ones) as raw lake partitions, for dbt."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

# contracts.md section 1: seg_1 / seg_2 codes of the files' header variant.
SEG_1 = {"AZ": "LA", "BG": "UM", "CT": "MM", "DY": "XX"}
SEG_2 = {"AT": "YA", "BU": "OT", "CZ": "OA", "DI": "YF", "EQ": "OF", "FN": "PE"}


def _case(column: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"when '{k}' then '{v}'" for k, v in mapping.items())
    return f"case {column} {whens} end"


def write_csv_weeks(files: list[Path], lake: Path) -> None:
    """retail/raw/shop_week=W/part-0.parquet per file (seg_1/seg_2 header variant)."""
    duckdb = pytest.importorskip("duckdb")
    with duckdb.connect() as con:
        for path in files:
            week = re.search(r"transactions_(\d{6})", Path(path).name).group(1)
            target = lake / "retail" / "raw" / f"shop_week={week}"
            target.mkdir(parents=True)
            con.execute(f"""
                copy (
                    select cast(SHOP_WEEK as integer) as SHOP_WEEK, cast(SHOP_DATE as integer) as SHOP_DATE,
                        cast(SHOP_WEEKDAY as tinyint) as SHOP_WEEKDAY, cast(SHOP_HOUR as tinyint) as SHOP_HOUR,
                        cast(QUANTITY as integer) as QUANTITY, cast(SPEND as double) as SPEND,
                        PROD_CODE, PROD_CODE_10, PROD_CODE_20, PROD_CODE_30, PROD_CODE_40,
                        nullif(CUST_CODE, '') as CUST_CODE,
                        {_case('seg_1', SEG_1)} as CUST_PRICE_SENSITIVITY,
                        {_case('seg_2', SEG_2)} as CUST_LIFESTAGE,
                        cast(BASKET_ID as bigint) as BASKET_ID, BASKET_SIZE, BASKET_PRICE_SENSITIVITY,
                        BASKET_TYPE, BASKET_DOMINANT_MISSION, STORE_CODE, STORE_FORMAT, STORE_REGION
                    from read_csv('{path}', all_varchar = true, header = true)
                ) to '{target / "part-0.parquet"}' (format parquet)
            """)
