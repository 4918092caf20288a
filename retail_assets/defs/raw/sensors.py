"""landing_sensor: a new or changed weekly file in `retail/landing/` requests its week's run."""


import hashlib
import json

import dagster as dg

from retail_assets.ingest.weekly import FILE_NAME
from retail_assets.ingest.raw import LANDING
from retail_assets.partitions import shop_week_partitions
from retail_assets.resources import LakeResource

MAX_RUNS_PER_TICK = 20  # a 100-week backfill drains over a few ticks instead of one huge tick

ingest_week_job = dg.define_asset_job(
    "ingest_week",
    selection=dg.AssetSelection.assets(["raw", "transactions"]),
    description="Validate one week's landing file into its raw partition.",
)


def plan_landing_tick(listing: dict[str, tuple[int, float]], read, cursor: dict, limit: int = MAX_RUNS_PER_TICK):
    """Pure decision for one tick: which files to run, and the next cursor.

    listing: landing key -> (size, mtime). The cursor remembers (size, mtime, sha256) per key,
    so a file modified in place is hashed again; the run key is the content hash, so the same
    bytes never run twice and a corrected week runs again.
    """
    seen = dict(cursor)
    requests: list[tuple[int, str, str]] = []
    for key in sorted(listing):
        name = key.rsplit("/", 1)[-1]
        match = FILE_NAME.match(name)
        if not match:
            continue
        size, mtime = listing[key]
        previous = seen.get(key)
        if previous and previous[0] == size and previous[1] == mtime:
            continue
        digest = hashlib.sha256(read(key)).hexdigest()
        seen[key] = [size, mtime, digest]
        if previous and previous[2] == digest:
            continue  # touched, not changed
        requests.append((int(match.group(1)), key, digest))
        if len(requests) >= limit:
            break
    return requests, seen


@dg.sensor(job=ingest_week_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def landing_sensor(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SensorResult:
    store = lake.get()
    listing = {store.key_of(i.path): (i.size, i.mtime_ns or 0) for i in store.list_files(LANDING)}
    requests, cursor = plan_landing_tick(listing, store.read_bytes, json.loads(context.cursor or "{}"))
    weeks = sorted({str(week) for week, _, _ in requests})
    new_weeks = [w for w in weeks if not context.instance.has_dynamic_partition(shop_week_partitions.name, w)]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=f"{week}:{digest}", partition_key=str(week), tags={"landing_key": key, "sha256": digest})
            for week, key, digest in requests
        ],
        dynamic_partitions_requests=[shop_week_partitions.build_add_request(new_weeks)] if new_weeks else [],
        cursor=json.dumps(cursor, sort_keys=True),
    )
