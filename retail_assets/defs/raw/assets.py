"""raw/transactions: one validated Parquet partition per landed weekly file."""


import dagster as dg

from retail_assets.defs.raw.checks import reconcile_checks
from retail_assets.ingest.raw import ingest_week, quarantine_key, raw_key
from retail_assets.ingest.weekly import FileRejected
from retail_assets.partitions import shop_week_partitions
from retail_assets.resources import LakeResource


@dg.asset(
    key=["raw", "transactions"],
    group_name="raw",
    partitions_def=shop_week_partitions,
    kinds={"parquet", "pandera"},
    description="The week's landing file, typed to the canonical schema; bad rows go to quarantine with a reason.",
    check_specs=[
        dg.AssetCheckSpec("rows_reconcile", asset=["raw", "transactions"], blocking=True,
                          description="rows read = rows in raw + rows quarantined + exact duplicates dropped"),
        dg.AssetCheckSpec("schema_valid", asset=["raw", "transactions"], blocking=True,
                          description="the written partition passes the pandera schema for its week"),
    ],
)
def raw_transactions(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    shop_week = int(context.partition_key)
    store = lake.get()
    try:
        result, hashes = ingest_week(store, shop_week)
    except FileRejected as exc:
        raise dg.Failure(description=str(exc), metadata={"file": exc.file_name, "problem": exc.problem}) from exc
    if result.quarantine.num_rows:
        context.log.warning(f"week {shop_week}: {result.quarantine.num_rows} rows quarantined: {result.reasons}")
    return dg.MaterializeResult(
        metadata={
            "file": result.file_name,
            "rows_read": result.rows_read,
            "rows_raw": result.good.num_rows,
            "rows_quarantined": result.quarantine.num_rows,
            "duplicates_dropped": result.duplicates_dropped,
            "reject_reasons": dg.MetadataValue.json(result.reasons),
            "raw_uri": store.uri_of(raw_key(shop_week)),
            "quarantine_uri": store.uri_of(quarantine_key(shop_week)) if result.quarantine.num_rows else "",
            **hashes,
        },
        check_results=reconcile_checks(store, shop_week, result),
    )
