"""landing_sensor: a new or changed weekly file in `retail/landing/` requests its week's run.

What depends on raw follows by automation (the dbt assets are `eager`), not from here; the
automation sensor that evaluates it runs by default, like this one. What was ingested is one
record for the sensor and `retail run` alike: raw's materializations, each carrying the sha256
of the landing file it came from, so a week `retail run` ingested is not run again by the sensor.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from retail_assets.contract.lake import FileVersion
from retail_assets.contract.lake_keys import LANDING
from retail_assets.ingest.weekly import FILE_NAME
from retail_assets.partitions import SHOP_WEEK, shop_week_partitions
from retail_assets.resources import LakeResource

MAX_RUNS_PER_TICK = 20  # a 100-week backfill drains over a few ticks instead of one huge tick
MAX_READS_PER_TICK = 40  # files hashed per tick, touched-but-unchanged ones included

ingest_week_job = dg.define_asset_job(
    "ingest_week",
    selection=dg.AssetSelection.assets(["raw", "transactions"]),
    description="Validate weekly landing files into their raw partitions (one week per sensor run).",
)


@dataclass
class TickPlan:
    requests: list[tuple[int, str, str]] = field(default_factory=list)  # (week, landing key, sha256)
    cursor: dict = field(default_factory=dict)  # landing key -> [size, version token, sha256]
    ignored: list[str] = field(default_factory=list)  # names that are not weekly files
    unreadable: list[str] = field(default_factory=list)  # "<key>: <error>", retried next tick
    deferred: int = 0  # changed files left for the next tick by the bounds


def plan_landing_tick(listing: dict[str, FileVersion], read: Callable[[str], bytes], cursor: dict,
                      limit: int = MAX_RUNS_PER_TICK, max_reads: int = MAX_READS_PER_TICK) -> TickPlan:
    """Pure decision for one tick: which files to run, and the next cursor.

    The cursor remembers (size, version token, sha256) of every weekly file seen, so every
    tick compares the whole listing with it: a file added between ticks, or rewritten in
    place, is found whatever its name or timestamp. A changed token means the file is read
    and hashed; the run key is the content hash, so the same bytes never run twice (a touch
    is not a change) and a corrected week runs again. Files that vanished leave the cursor.
    """
    plan = TickPlan(cursor={k: v for k, v in cursor.items() if k in listing})
    reads = 0
    for key in sorted(listing):
        name = key.rsplit("/", 1)[-1]
        match = FILE_NAME.match(name)
        if not match:
            if not name.startswith("."):
                plan.ignored.append(name)
            continue
        version = listing[key]
        previous = cursor.get(key)
        if previous and previous[0] == version.size and previous[1] == version.token and version.token:
            continue
        if len(plan.requests) >= limit or reads >= max_reads:
            plan.deferred += 1
            continue
        reads += 1
        try:
            digest = hashlib.sha256(read(key)).hexdigest()
        except Exception as exc:  # vanished or unreadable between listing and reading: next tick
            plan.unreadable.append(f"{key}: {type(exc).__name__}: {exc}")
            continue
        plan.cursor[key] = [version.size, version.token, digest]
        if previous and previous[2] == digest:
            continue
        plan.requests.append((int(match.group(1)), key, digest))
    return plan


RAW = dg.AssetKey(["raw", "transactions"])


def ingested_sha256(instance: dg.DagsterInstance, week: int) -> str | None:
    """The landing file's sha256 that raw's latest materialization of `week` came from (None: never)."""
    if not instance.has_dynamic_partition(SHOP_WEEK, str(week)):
        return None
    records = instance.fetch_materializations(dg.AssetRecordsFilter(RAW, asset_partitions=[str(week)]),
                                              limit=1, ascending=False).records
    materialization = records[0].asset_materialization if records else None
    value = materialization.metadata.get("landing_sha256") if materialization else None
    return str(value.value) if value is not None else None


def _cursor_files(raw: str | None) -> dict:
    try:
        loaded = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return {}
    files = loaded.get("files", loaded) if isinstance(loaded, dict) else {}
    return {k: v for k, v in files.items() if isinstance(v, list) and len(v) == 3}


@dg.sensor(job=ingest_week_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def landing_sensor(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SensorResult:
    store = lake.get()
    plan = plan_landing_tick(store.list_versions(LANDING), store.read_bytes, _cursor_files(context.cursor))
    for problem in plan.unreadable:
        context.log.warning(f"landing file not readable this tick: {problem}")
    already = [(week, key, digest) for week, key, digest in plan.requests
               if ingested_sha256(context.instance, week) == digest]
    plan.requests = [r for r in plan.requests if r not in already]
    weeks = sorted({str(week) for week, _, _ in plan.requests})
    new_weeks = [w for w in weeks if not context.instance.has_dynamic_partition(SHOP_WEEK, w)]
    notes = [f"{n} {what}" for n, what in ((len(plan.ignored), "files ignored (not transactions_YYYYWW.csv[.gz])"),
                                           (len(plan.unreadable), "unreadable, retried next tick"),
                                           (len(already), "already ingested with the same bytes"),
                                           (plan.deferred, "changed files left for the next tick")) if n]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=f"{week}:{digest}", partition_key=str(week), tags={"landing_key": key, "sha256": digest})
            for week, key, digest in plan.requests
        ],
        dynamic_partitions_requests=[shop_week_partitions.build_add_request(new_weeks)] if new_weeks else [],
        cursor=json.dumps({"files": plan.cursor}, sort_keys=True),
        skip_reason=None if plan.requests else "no new or changed weekly file" + (f" ({'; '.join(notes)})" if notes else ""),
    )
