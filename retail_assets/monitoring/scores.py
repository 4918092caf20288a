"""monitoring/weekly_scores' logic: the Production bundle's answers for every basket of a raw week,
with the product statistics known before that week (gold product_features_pit as of the week),
which is what the API would have answered while the week was being shopped. No label is read.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds

from retail_assets.contract.bundle import Bundle
from retail_assets.contract.features import PRODUCT_CLASS_COLUMNS, PRODUCT_STAT_COLUMNS
from retail_assets.contract.lake import Lake
from retail_assets.contract.lake_keys import gold_key
from retail_assets.contract.products import ProductTable

# Raw columns that describe the basket (not its lines); the label is left out on purpose.
BASKET_CONTEXT = {"STORE_FORMAT": "store_format", "STORE_REGION": "store_region", "SHOP_WEEKDAY": "shop_weekday",
                  "SHOP_HOUR": "shop_hour", "CUST_PRICE_SENSITIVITY": "cust_price_sensitivity",
                  "CUST_LIFESTAGE": "cust_lifestage"}
PIT_MODEL = "product_features_pit"


def baskets_and_lines(raw: pa.Table) -> tuple[pa.Table, pa.Table]:
    """(one row per basket: basket_id + context, sorted; the lines) of a raw partition."""
    missing = [c for c in ("BASKET_ID", "PROD_CODE", "QUANTITY", "SPEND", *BASKET_CONTEXT) if c not in raw.column_names]
    if missing:
        raise ValueError(f"the raw week lacks columns {missing}")
    grouped = raw.group_by("BASKET_ID", use_threads=False).aggregate([(c, "first") for c in BASKET_CONTEXT])
    baskets = pa.table({"basket_id": grouped.column("BASKET_ID"),
                        **{v: grouped.column(f"{k}_first") for k, v in BASKET_CONTEXT.items()}}).sort_by("basket_id")
    lines = pa.table({"basket_id": raw.column("BASKET_ID"), "prod_code": raw.column("PROD_CODE"),
                      "quantity": raw.column("QUANTITY"), "spend": raw.column("SPEND")})
    return baskets, lines


def products_known_before(lake: Lake, shop_week: int) -> tuple[ProductTable, int]:
    """The product statistics as of `shop_week` (sums over every earlier week) and how many products
    they cover; a week with no earlier week gives an empty table (every product unknown)."""
    key = f"{gold_key(PIT_MODEL)}/as_of_week={shop_week}"
    wanted = ["prod_code", *PRODUCT_STAT_COLUMNS, *PRODUCT_CLASS_COLUMNS]
    if not lake.exists(key):
        empty = pa.table({"prod_code": pa.array([], pa.string()),
                          **{c: pa.array([], pa.float64()) for c in wanted[1:]}})
        return ProductTable.from_arrow(empty), 0
    table = ds.dataset(lake.path(key), filesystem=lake.fs, format="parquet").to_table(columns=wanted)
    return ProductTable.from_arrow(table), table.num_rows


def score_week(bundle: Bundle, raw: pa.Table, products: ProductTable, shop_week: int) -> pa.Table:
    """One row per basket: its answer, the class probabilities, the features they came from and the
    version that answered (the week's quality and drift read this, never the model again)."""
    baskets, lines = baskets_and_lines(raw)
    scorer = dataclasses.replace(bundle, products=products)
    labels, proba, features = scorer.score(baskets, lines)
    n = baskets.num_rows
    columns: dict[str, pa.Array] = {
        "shop_week": pa.array(np.full(n, shop_week, dtype=np.int32)),
        "basket_id": baskets.column("basket_id").combine_chunks(),
        "predicted_label": pa.array(np.asarray(labels).astype(str)),
        **{f"p_{name}": pa.array(proba[:, i].astype(np.float64)) for i, name in enumerate(bundle.classes)},
        "model_version": pa.array([bundle.version] * n, pa.string()),
        "bundle_id": pa.array([bundle.bundle_id] * n, pa.string()),
    }
    for name in bundle.spec.numeric:
        columns[name] = pa.array(np.asarray(features[name], dtype=np.float64))
    for name in bundle.spec.categorical:
        columns[name] = pa.array([None if v is None else str(v) for v in features[name]], pa.string())
    return pa.table(columns)
