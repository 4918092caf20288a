"""The parity check between the two implementations of a feature (contracts.md section 3):
dbt's SQL (gold fct_baskets) and the contract's numpy (retail_assets.contract.baskets), as the API computes them,, run on the
same baskets with the product table as of each basket's week.

Serving gets what a request would carry: the lines (prod_code, quantity, spend) and the
basket's context, read from silver; its product table is gold product_features_pit at the
basket's week, which is what the online table held then.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from retail_assets.contract.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES, PRODUCT_CLASS_COLUMNS, PRODUCT_STAT_COLUMNS
from retail_assets.contract.products import ProductTable
from retail_assets.contract.baskets import basket_features

NOT_FEATURES = {"basket_id", "label", "shop_week"}
CONTEXT = {"STORE_FORMAT": "store_format", "store_region": "store_region", "SHOP_WEEKDAY": "shop_weekday",
           "SHOP_HOUR": "shop_hour", "CUST_PRICE_SENSITIVITY": "cust_price_sensitivity",
           "CUST_LIFESTAGE": "cust_lifestage"}


def _warehouse(work: Path, sql: str) -> pa.Table:
    duckdb = pytest.importorskip("duckdb")
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).to_arrow_table()


def assert_same_feature_set(work: Path) -> None:
    """Both sides define the same features and product statistics, in the same order: a
    feature added on one side only fails here."""
    fct = _warehouse(work, "select * from main.fct_baskets limit 0").column_names
    sql_numeric = [c for c in fct if c not in NOT_FEATURES and c not in CATEGORICAL_FEATURES]
    assert sql_numeric == list(NUMERIC_FEATURES), "numeric features differ between dbt and serving"
    assert [c for c in fct if c in CATEGORICAL_FEATURES] == list(CATEGORICAL_FEATURES)
    products = ["prod_code", *PRODUCT_STAT_COLUMNS, *PRODUCT_CLASS_COLUMNS]
    latest = _warehouse(work, "select * from main.product_features_latest limit 0").column_names
    pit = _warehouse(work, "select * from main.product_features_pit limit 0").column_names
    assert latest == products and pit == [*products, "as_of_week"], "product statistics differ"


def compare_week(work: Path, week: int, limit: int | None = None) -> int:
    """Serving's features of week `week`'s baskets against fct_baskets, feature by feature;
    returns the number of baskets compared."""
    where = f"shop_week = {week}" + (f" and basket_id in (select basket_id from main.fct_baskets "
                                     f"where shop_week = {week} order by basket_id limit {limit})" if limit else "")
    expected = _warehouse(work, f"select * from main.fct_baskets where {where} order by basket_id")
    lines = _warehouse(work, f"""
        select BASKET_ID as basket_id, PROD_CODE as prod_code, QUANTITY as quantity, SPEND as spend,
               {', '.join(f'{k} as {v}' for k, v in CONTEXT.items())}
        from main.stg_transactions where {where.replace('basket_id', 'BASKET_ID')}""")
    products = _warehouse(work, f"select * exclude (as_of_week) from main.product_features_pit where as_of_week = {week}")
    first = pc.unique(lines.column("basket_id"))
    baskets = lines.group_by("basket_id", use_threads=False).aggregate(
        [(c, "first") for c in CONTEXT.values()])
    baskets = pa.table({"basket_id": baskets.column("basket_id"),
                        **{c: baskets.column(f"{c}_first") for c in CONTEXT.values()}}).sort_by("basket_id")
    assert len(first) == expected.num_rows
    actual = basket_features(baskets, lines, ProductTable.from_arrow(products))
    assert actual["basket_id"].tolist() == expected.column("basket_id").to_pylist()
    for name in NUMERIC_FEATURES:
        np.testing.assert_allclose(
            np.asarray(actual[name], dtype=np.float64), expected.column(name).to_numpy().astype(np.float64),
            rtol=1e-9, atol=1e-12, err_msg=f"feature {name!r}, week {week}")
    for name in CATEGORICAL_FEATURES:
        assert list(actual[name]) == expected.column(name).to_pylist(), name
    return expected.num_rows
