"""raw/transactions: one validated Parquet partition per landed weekly file.

A run covers one week (the landing sensor) or a range of weeks in a single run (`retail run`,
a backfill): each week is validated and committed on its own, and a refused file fails the
run naming each refused file, after the other weeks were written. A gzip expanding past
the config's caps is refused the same way; a week quarantining more than max_quarantine_share
of its lines is written, and fails the blocking check quarantine_share.
"""

import dagster as dg
from pydantic import Field

from retail_assets.contract.lake_keys import quarantine_key, raw_key
from retail_assets.defs.raw.checks import raw_checks
from retail_assets.ingest.raw import ingest_week
from retail_assets.ingest.weekly import DecompressLimits, FileRejected
from retail_assets.partitions import shop_week_partitions
from retail_assets.resources import LakeResource

_LIMITS = DecompressLimits()


class RawIngestConfig(dg.Config):
    """Limits of the raw asset (run config `ops: raw__transactions: config:`); the defaults suit real weeks."""

    max_decompressed_bytes: int = Field(
        default=_LIMITS.max_decompressed_bytes, ge=1,
        description="a weekly file's text (decompressed gzip or plain CSV) may not exceed this; the file is refused")
    max_expansion_ratio: float = Field(
        default=_LIMITS.max_expansion_ratio, ge=1,
        description="decompressed / compressed bytes, judged while streaming: a gzip expanding more is refused "
                    "(a bomb) after a few MB of output; real weeks expand about 11x")
    max_quarantine_share: float = Field(
        default=0.5, ge=0, le=1,
        description="the blocking check quarantine_share fails a week quarantining more of its lines than this "
                    "(and always a week with nothing left in raw)")

    def limits(self) -> DecompressLimits:
        return DecompressLimits(self.max_decompressed_bytes, self.max_expansion_ratio)


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
        dg.AssetCheckSpec("quarantine_share", asset=["raw", "transactions"], blocking=True,
                          description="per week: at most max_quarantine_share of the landing file's lines are "
                                      "quarantined, and raw is not empty; a week failing it stops what is downstream"),
    ],
)
def raw_transactions(context: dg.AssetExecutionContext, lake: LakeResource,
                     config: RawIngestConfig) -> dg.MaterializeResult:
    store = lake.get()
    limits = config.limits()
    written, refused = [], []
    for key in context.partition_keys:
        week = int(key)
        try:
            result, hashes = ingest_week(store, week, limits)
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
    return dg.MaterializeResult(check_results=raw_checks(store, written, config.max_quarantine_share))
