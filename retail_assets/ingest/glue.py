"""The Glue table Athena reads the raw layer through, generated from the raw schema (`schema.py`).

    python -m retail_assets.ingest.glue > infra/modules/analytics/raw_transactions_table.json

Terraform (`infra/modules/analytics`) creates the table from that file, so its columns cannot
drift from what ingestion writes; `tests/dbt_project/test_dbt_athena.py` regenerates it and
compares. The partition key `shop_week` replaces the in-file SHOP_WEEK column (Hive forbids a
data column and a partition key of one name; the values are equal by contract), and
partition projection computes the partitions from the key's range, so a new week is
queryable as soon as its Parquet file is written (no MSCK REPAIR, no Glue crawler).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pyarrow

from retail_assets.contract.lake_keys import RAW
from retail_assets.ingest.schema import ARROW_TYPES, COLUMNS

HIVE_TYPES = {pyarrow.int8(): "tinyint", pyarrow.int16(): "smallint", pyarrow.int32(): "int",
              pyarrow.int64(): "bigint", pyarrow.float64(): "double", pyarrow.string(): "string"}
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARTITION_KEYS = ("SHOP_WEEK",)
# Projection's range of shop_week (YYYYWW). Weeks 53..99 of a year are empty prefixes, which
# Athena reads as empty partitions; the range bounds how many it enumerates (~10k).
WEEK_RANGE = (200001, 209953)


def hive_type(column: str) -> str:
    return HIVE_TYPES[ARROW_TYPES[column]]


def raw_table(name: str = "raw_transactions") -> dict[str, Any]:
    """The table as Terraform's aws_glue_catalog_table takes it; locations relative to the bucket."""
    partition_keys = [{"name": c.lower(), "type": hive_type(c)} for c in PARTITION_KEYS]
    projection = {"projection.enabled": "true"}
    for key in partition_keys:
        projection |= {f"projection.{key['name']}.type": "integer",
                       f"projection.{key['name']}.range": f"{WEEK_RANGE[0]},{WEEK_RANGE[1]}"}
    return {
        "name": name,
        "location": f"{RAW}/",
        "location_template": f"{RAW}/" + "/".join(f"{k['name']}=${{{k['name']}}}" for k in partition_keys) + "/",
        "columns": [{"name": c.lower(), "type": hive_type(c)} for c in COLUMNS if c not in PARTITION_KEYS],
        "partition_keys": partition_keys,
        "input_format": PARQUET_INPUT,
        "output_format": PARQUET_OUTPUT,
        "serde": PARQUET_SERDE,
        "serde_parameters": {"serialization.format": "1"},
        "parameters": {"classification": "parquet", "EXTERNAL": "TRUE", **projection},
    }


def main() -> int:
    json.dump(raw_table(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
