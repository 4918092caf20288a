"""dbt build on a few weeks of the real dunnhumby files: every data test holds on real codes."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from dbt_runner import build_lake

WEEKS = ("200607", "200609", "200610", "200611")

# contracts.md section 1: seg_1 / seg_2 codes of the files' header variant.
SEG_1 = {"AZ": "LA", "BG": "UM", "CT": "MM", "DY": "XX"}
SEG_2 = {"AT": "YA", "BU": "OT", "CZ": "OA", "DI": "YF", "EQ": "OF", "FN": "PE"}


def _case(column: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"when '{k}' then '{v}'" for k, v in mapping.items())
    return f"case {column} {whens} end"


def write_real_weeks(source, lake) -> None:
    duckdb = pytest.importorskip("duckdb")
    with duckdb.connect() as con:
        for week in WEEKS:
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
                    from read_csv('{source / f"transactions_{week}.csv.gz"}', all_varchar = true, header = true)
                ) to '{target / "part-0.parquet"}' (format parquet)
            """)


@pytest.mark.slow
def test_real_weeks_build_with_every_test_passing(real_data, tmp_path):
    lake = tmp_path / "lake"
    write_real_weeks(real_data, lake)
    run = build_lake(lake, tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    assert set(run.statuses("").values()) <= {"success", "pass"}
    baskets = pq.read_table(lake / "retail" / "gold" / "fct_baskets")
    assert baskets.num_rows > 10_000
    assert sorted(set(baskets.column("shop_week").to_pylist())) == [int(w) for w in WEEKS]
