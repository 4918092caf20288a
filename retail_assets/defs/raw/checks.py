"""Checks on a raw partition, computed from what was written, not from what was meant to be."""


import gzip

import dagster as dg
import pandera.errors

from retail_assets.ingest.raw import landed_file_for_week, quarantine_key, raw_key
from retail_assets.ingest.schema import transaction_schema
from retail_assets.ingest.weekly import WeekIngest
from retail_assets.lake import Lake


def count_data_lines(name: str, data: bytes) -> int:
    """Data lines in a landing file, counted independently of the CSV parser."""
    text = gzip.decompress(data) if name.endswith(".gz") else data
    return sum(1 for line in text.splitlines()[1:] if line.strip())


def reconcile_checks(lake: Lake, shop_week: int, result: WeekIngest) -> list[dg.AssetCheckResult]:
    landed = landed_file_for_week(lake, shop_week)
    lines = count_data_lines(landed.name, lake.read_bytes(landed.key))
    raw = lake.read_parquet(raw_key(shop_week))
    quarantined = lake.read_parquet(quarantine_key(shop_week)).num_rows if lake.exists(quarantine_key(shop_week)) else 0
    accounted = raw.num_rows + quarantined + result.duplicates_dropped
    try:
        transaction_schema(shop_week).validate(raw.to_pandas(), lazy=True)
        schema_problems = 0
    except pandera.errors.SchemaErrors as errors:
        schema_problems = len(errors.failure_cases)
    return [
        dg.AssetCheckResult(
            check_name="rows_reconcile",
            passed=lines == accounted,
            metadata={"lines_in_file": lines, "rows_raw": raw.num_rows, "rows_quarantined": quarantined,
                      "duplicates_dropped": result.duplicates_dropped, "unaccounted": lines - accounted},
        ),
        dg.AssetCheckResult(check_name="schema_valid", passed=schema_problems == 0,
                            metadata={"failure_cases": schema_problems}),
    ]
