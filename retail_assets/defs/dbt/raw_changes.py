"""Which raw weeks changed since dbt last built them, from Dagster's event log.

dbt finds new weeks by itself (weeks raw has and a model lacks). A week delivered again
with other content is the one thing it cannot see, so every build records on gold
fct_baskets (the last model of the chain) the raw_sha256 of each week it covered, and the
next build passes the weeks whose raw partition has since been written with another hash
as var shop_weeks (dbt_project/macros/incremental.sql).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import dagster as dg

RAW = dg.AssetKey(["raw", "transactions"])
MARKER = dg.AssetKey(["gold", "fct_baskets"])
HASHES = "raw_sha256"  # metadata key, on raw partitions and on the marker


@dataclass(frozen=True)
class RawWeeks:
    changed: list[int]  # weeks dbt built from other raw content than raw holds now
    covered: dict[str, str]  # week -> raw sha256, for every week this build covers


def raw_weeks(instance: dg.DagsterInstance) -> RawWeeks:
    records = instance.fetch_materializations(MARKER, limit=1).records
    built: dict[str, str] | None = None
    after = None
    if records:
        after = records[0].storage_id
        recorded = records[0].asset_materialization.metadata.get(HASHES) if records[0].asset_materialization else None
        built = dict(cast(dict[str, str], recorded.value)) if recorded is not None else None
    latest: dict[str, str] = {}
    cursor = None
    while True:  # raw materializations since that build, oldest first: the last one per week wins
        result = instance.fetch_materializations(
            dg.AssetRecordsFilter(RAW, after_storage_id=after), limit=1000, cursor=cursor, ascending=True)
        for record in result.records:
            materialization = record.asset_materialization
            if materialization is None or materialization.partition is None:
                continue
            value = materialization.metadata.get(HASHES)
            latest[materialization.partition] = str(value.value) if value is not None else f"storage:{record.storage_id}"
        if not result.has_more:
            break
        cursor = result.cursor
    if built is None:  # never built (dbt builds every week), or built before hashes were recorded
        changed = sorted(int(w) for w in latest) if records else []
        return RawWeeks(changed, latest)
    changed = sorted(int(w) for w, sha in latest.items() if w in built and built[w] != sha)
    return RawWeeks(changed, {**built, **latest})
