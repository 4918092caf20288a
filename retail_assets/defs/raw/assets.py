"""raw/transactions: one validated Parquet partition per landed weekly file.

A run covers one week (the landing sensor) or a range of weeks in a single run (`retail run`,
a backfill): each week is validated and committed on its own, and a refused file fails the
run naming each refused file, after the other weeks were written.
"""

import dagster as dg

from retail_assets.contract.lake_keys import quarantine_key, raw_key
from retail_assets.defs.raw.checks import raw_checks
from retail_assets.ingest.raw import ingest_week
from retail_assets.ingest.weekly import FileRejected
from retail_assets.partitions import shop_week_partitions
from retail_assets.resources import LakeResource


@dg.asset(
    key=["raw", "transactions"],
    group_name="raw",
    partitions_def=shop_week_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"parquet", "pandera"},
    description="The week's landing file, typed to the canonical schema; bad rows go to quarantine with a reason.",
    check_specs=[
        dg.AssetCheckSpec("rows_reconcile", asset=["raw", "transactions"], blocking=True,
                          description="per week: lines in the landing file = rows in raw + rows quarantined + "
                                      "exact duplicates dropped, and raw and quarantine come from that file"),
        dg.AssetCheckSpec("schema_valid", asset=["raw", "transactions"], blocking=True,
                          description="the written partition has the raw Arrow schema and every row passes the "
                                      "pandera schema of its week (compiled to Arrow)"),
    ],
)
def raw_transactions(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    store = lake.get()
    written, refused = [], []
    for key in context.partition_keys:
        week = int(key)
        try:
            result, hashes = ingest_week(store, week)
        except FileRejected as exc:
            context.log.error(str(exc))
            refused.append({"week": week, "file": exc.file_name, "problem": exc.problem})
            continue
        written.append(week)
        if result.quarantine.num_rows:
            context.log.warning(f"week {week}: {result.quarantine.num_rows} rows quarantined: {result.reasons}")
        context.add_asset_metadata(partition_key=key, metadata={
            "file": result.file_name,
            "rows_read": result.rows_read,
            "rows_raw": result.good.num_rows,
            "rows_quarantined": result.quarantine.num_rows,
            "duplicates_dropped": result.duplicates_dropped,
            "reject_reasons": dg.MetadataValue.json(result.reasons),
            "raw_uri": store.uri_of(raw_key(week)),
            "quarantine_uri": store.uri_of(quarantine_key(week)) if result.quarantine.num_rows else "",
            **hashes,
        })
    if refused:
        raise dg.Failure(
            description="\n".join(f"{r['file']}: {r['problem']}" for r in refused),
            metadata={"refused": dg.MetadataValue.json(refused), "written_weeks": dg.MetadataValue.json(written)},
        )
    return dg.MaterializeResult(check_results=raw_checks(store, written))
