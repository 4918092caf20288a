"""Reading dbt's gold tables back into Arrow, from the lake where dbt wrote them.

The lake is the one place both targets put gold (DuckDB exports each model there after
building it; Athena's tables live there), under the same keys, so the feature store reads
it the same way on either back end, locally or on S3.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset as ds

from retail_assets.contract.lake import Lake
from retail_assets.contract.lake_keys import gold_key

# Gold tables partitioned in the lake, by their Hive key (contracts.md section 2).
PARTITION_KEYS = {"fct_baskets": "shop_week", "product_features_pit": "as_of_week"}


def read_gold_table(lake_uri: str, model: str) -> pa.Table:
    """Every row of gold `model`; a Hive partition key comes back as an int32 column, last."""
    lake = Lake.from_uri(lake_uri)
    key = gold_key(model)
    if not lake.exists(key):
        raise FileNotFoundError(f"gold table {model} is not in the lake at {lake.uri_of(key)}; run dbt build first")
    week = PARTITION_KEYS.get(model)
    partitioning = ds.partitioning(pa.schema([(week, pa.int32())]), flavor="hive") if week else None
    dataset = ds.dataset(lake.path(key), filesystem=lake.fs, format="parquet", partitioning=partitioning,
                         exclude_invalid_files=False)
    return dataset.to_table()
