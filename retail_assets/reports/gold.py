"""Reading the gold tables the reports need, and writing the reports, through a Lake.

The lake is passed in (`retail_assets.resources.LakeResource.get()` in the assets, a
temporary one in tests), so nothing here reads settings or the environment. The reports'
keys are defined here, once: retail/reports/<report>/index.html.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from retail_assets.contract.lake_keys import ROOT, gold_key

REPORTS = f"{ROOT}/reports"
# Gold tables partitioned in the lake, by their Hive key (contracts.md section 2).
PARTITION_KEYS = {"fct_baskets": "shop_week", "product_features_pit": "as_of_week", "fct_price_sensitivity_mix": "shop_week"}


def report_page_key(report: str) -> str:
    return f"{REPORTS}/{report}/index.html"


def read_gold(lake, model: str, columns: list[str] | None = None) -> pd.DataFrame:
    """The rows of gold `model` as a DataFrame (only `columns` when given); the Hive key as int."""
    key = gold_key(model)
    if not lake.exists(key):
        raise FileNotFoundError(f"gold table {model} is not in the lake at {lake.uri_of(key)}; run dbt build first")
    week = PARTITION_KEYS.get(model)
    partitioning = ds.partitioning(pa.schema([(week, pa.int32())]), flavor="hive") if week else None
    dataset = ds.dataset(lake.path(key), filesystem=lake.fs, format="parquet", partitioning=partitioning)
    return dataset.to_table(columns=columns).to_pandas()


def publish(lake, report: str, page: str) -> str:
    """Write the report's HTML page into the lake (atomically); return its URI."""
    key = report_page_key(report)
    lake.write_bytes(key, page.encode("utf-8"))
    return lake.uri_of(key)
