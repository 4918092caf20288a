"""landing_sensor: one run per new file content, nothing for the same bytes, a re-run for a correction,
a cursor that survives restarts, bounded batches, and no crash whatever lands."""

from __future__ import annotations

import hashlib
import os

import dagster as dg
import pytest

from retail_assets.contract.lake import FileVersion, Lake
from retail_assets.defs.raw.sensors import TickPlan, landing_sensor, plan_landing_tick
from retail_assets.resources import LakeResource
from retail_assets.sample import write_bad_fixture, write_sample_weeks

LANDING = "retail/landing"


def _listing(weeks, token="t1", size=10) -> dict[str, FileVersion]:
    return {f"{LANDING}/transactions_{w}.csv": FileVersion(size, token) for w in weeks}


def _weeks(n: int) -> list[int]:
    return [y * 100 + w for y in (2006, 2007, 2008) for w in range(1, 53)][:n]


def test_plan_is_keyed_by_content_and_bounded():
    files = _listing(_weeks(23))
    content = {k: k.encode() for k in files}
    plan = plan_landing_tick(files, content.__getitem__, {}, limit=5)
    assert len(plan.requests) == 5 and len(plan.cursor) == 5 and plan.deferred == 18  # the rest next tick
    plan2 = plan_landing_tick(files, content.__getitem__, plan.cursor, limit=100)
    assert len(plan2.requests) == len(files) - 5
    assert plan_landing_tick(files, content.__getitem__, plan2.cursor).requests == []  # nothing new
    key = f"{LANDING}/transactions_200601.csv"
    # a new version token with the same bytes is a touch, not a change
    touched = {**files, key: FileVersion(10, "t2")}
    assert plan_landing_tick(touched, content.__getitem__, plan2.cursor).requests == []
    # modified in place at the same size: only the version token says so, and the content decides
    content[key] = b"corrected"
    (req,) = plan_landing_tick({**files, key: FileVersion(10, "t3")}, content.__getitem__, plan2.cursor).requests
    assert req == (200601, key, hashlib.sha256(b"corrected").hexdigest())


def test_a_backfill_of_100_weeks_drains_in_bounded_ticks_each_week_once():
    files = _listing(_weeks(100))
    reads: list[str] = []

    def read(key):
        reads.append(key)
        return key.encode()

    cursor, requested, ticks = {}, [], 0
    while True:
        plan = plan_landing_tick(files, read, cursor, limit=20)
        if not plan.requests:
            break
        assert len(plan.requests) <= 20
        requested += [week for week, _, _ in plan.requests]
        cursor, ticks = plan.cursor, ticks + 1
    assert ticks == 5 and sorted(requested) == _weeks(100)
    assert len(reads) == 100  # every file read once


def test_files_without_a_version_token_are_hashed_every_tick_and_run_once():
    # Some S3-compatible listings carry neither ETag nor mtime: change detection falls back to content.
    files = _listing([200607], token="")
    plan = plan_landing_tick(files, lambda k: b"a", {})
    assert len(plan.requests) == 1
    again = plan_landing_tick(files, lambda k: b"a", plan.cursor)
    assert again.requests == []
    (changed,) = plan_landing_tick(files, lambda k: b"b", plan.cursor).requests
    assert changed[2] == hashlib.sha256(b"b").hexdigest()


def test_an_unreadable_file_is_retried_next_tick_not_fatal():
    files = _listing([200607, 200608])

    def flaky(key):
        if key.endswith("200607.csv"):
            raise FileNotFoundError("gone between listing and reading")
        return b"x"

    plan = plan_landing_tick(files, flaky, {})
    assert [w for w, _, _ in plan.requests] == [200608]
    assert plan.unreadable and "200607" in plan.unreadable[0]
    assert f"{LANDING}/transactions_200607.csv" not in plan.cursor
    retry = plan_landing_tick(files, lambda k: b"x", plan.cursor)
    assert [w for w, _, _ in retry.requests] == [200607]


def test_vanished_files_leave_the_cursor():
    plan = plan_landing_tick(_listing([200607, 200608]), lambda k: b"x", {})
    later = plan_landing_tick(_listing([200608]), lambda k: b"x", plan.cursor)
    assert list(later.cursor) == [f"{LANDING}/transactions_200608.csv"] and isinstance(later, TickPlan)


# --- the sensor itself, on a real lake folder and a Dagster instance ---------------------------


@pytest.fixture
def landing_lake(tmp_path):
    lake_dir = tmp_path / "lake"
    return lake_dir, Lake.from_uri(str(lake_dir))


def _tick(instance, lake_dir, cursor=None):
    """One evaluation in a fresh sensor context, as after a restart: only the cursor carries over."""
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"lake": LakeResource(uri=str(lake_dir))})
    return landing_sensor(context)


def test_sensor_adds_partitions_and_requests_runs(tmp_path, landing_lake):
    lake_dir, lake = landing_lake
    for path in write_sample_weeks(tmp_path / "in", weeks=2, baskets_per_week=20):
        lake.write_bytes(f"{LANDING}/{path.name}", path.read_bytes())
    lake.write_bytes(f"{LANDING}/notes.txt", b"not a weekly file")
    with dg.instance_for_test() as instance:
        result = _tick(instance, lake_dir)
        assert sorted(r.partition_key for r in result.run_requests) == ["200607", "200608"]
        assert result.dynamic_partitions_requests[0].partition_keys == ["200607", "200608"]
        # Same files on the next tick: no run, and the skip reason says what was ignored.
        again = _tick(instance, lake_dir, result.cursor)
        assert again.run_requests == [] and "1 files ignored" in again.skip_reason.skip_message
        # A late correction for week 200607, rewritten in place with its old mtime: it runs again.
        path = lake_dir / f"{LANDING}/transactions_200607.csv"
        stat = path.stat()
        with open(path, "r+b") as f:  # same size, same name, same mtime: only the content changed
            data = bytearray(f.read())
            data[-3:-1] = b"99" if data[-3:-1] != b"99" else b"98"
            f.seek(0)
            f.write(data)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        (rerun,) = _tick(instance, lake_dir, result.cursor).run_requests
        assert rerun.partition_key == "200607"
        assert rerun.run_key != next(r.run_key for r in result.run_requests if r.partition_key == "200607")


def test_cursor_survives_a_restart_and_finds_files_added_between_ticks(tmp_path, landing_lake):
    lake_dir, lake = landing_lake
    first, second, third = write_sample_weeks(tmp_path / "in", weeks=3, baskets_per_week=10)
    lake.write_bytes(f"{LANDING}/{first.name}", first.read_bytes())
    with dg.instance_for_test() as instance:
        tick1 = _tick(instance, lake_dir)
        assert [r.partition_key for r in tick1.run_requests] == ["200607"]
    # A new process and a new instance: only the stored cursor string remains. Two files land
    # meanwhile, one with a name that sorts before the first (no "last key seen" logic to fool).
    lake.write_bytes(f"{LANDING}/{third.name}", third.read_bytes())
    lake.write_bytes(f"{LANDING}/transactions_200552.csv", second.read_bytes())
    with dg.instance_for_test() as instance:
        tick2 = _tick(instance, lake_dir, tick1.cursor)
        assert sorted(r.partition_key for r in tick2.run_requests) == ["200552", "200609"]
        assert _tick(instance, lake_dir, tick2.cursor).run_requests == []


def test_bad_input_never_crashes_the_sensor(tmp_path, landing_lake):
    lake_dir, lake = landing_lake
    lake.write_bytes(f"{LANDING}/transactions_200607.csv", os.urandom(2048))  # garbage, valid name
    lake.write_bytes(f"{LANDING}/transactions_200608.csv", b"")  # empty
    lake.write_bytes(f"{LANDING}/transactions_2006.csv", b"x")  # wrong name
    lake.write_bytes(f"{LANDING}/sub/dir/transactions_200609.csv.gz", b"\x1f\x8bnot really")  # nested, corrupt gzip
    bad = write_bad_fixture("truncated_gzip", tmp_path / "bad")
    lake.write_bytes(f"{LANDING}/transactions_200610.csv.gz", bad.read_bytes())
    lake.write_bytes(f"{LANDING}/.transactions_200611.csv.uploading", b"partial")
    with dg.instance_for_test() as instance:
        result = _tick(instance, lake_dir, cursor="not json at all")
        # The sensor does not judge contents: each weekly file gets its run, which refuses it clearly.
        assert sorted(r.partition_key for r in result.run_requests) == ["200607", "200608", "200609", "200610"]
        assert _tick(instance, lake_dir, result.cursor).run_requests == []


def test_the_code_location_loads_and_evaluates_the_sensor_with_junk_in_landing(tmp_path, home):
    from retail_assets.definitions import defs as load
    from retail_assets.settings import get_settings

    lake = Lake.from_uri(get_settings().lake_uri)
    lake.write_bytes(f"{LANDING}/transactions_200607.csv", b"\x00\xff garbage")
    lake.write_bytes(f"{LANDING}/README", b"hello")
    defs = load()
    sensor = defs.resolve_sensor_def("landing_sensor")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources=defs.resources)
        result = sensor(context)
    assert [r.partition_key for r in result.run_requests] == ["200607"]


def test_weeks_retail_run_ingested_are_not_run_again_by_the_sensor(tmp_path, landing_lake):
    """One record of what was ingested: raw's materializations, whoever ran them."""
    from retail_assets.defs.raw.assets import raw_transactions
    from retail_assets.pipeline import QUIET

    lake_dir, lake = landing_lake
    for path in write_sample_weeks(tmp_path / "in", weeks=2, baskets_per_week=20):
        lake.write_bytes(f"{LANDING}/{path.name}", path.read_bytes())
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("shop_week", ["200607", "200608"])
        job = dg.define_asset_job("ingest", selection=[raw_transactions]).resolve(
            asset_graph=dg.Definitions(assets=[raw_transactions], resources={"lake": LakeResource(uri=str(lake_dir))})
            .resolve_asset_graph())
        # As `retail run` does: week 200607 ingested in this instance before the sensor ever ticked.
        assert job.execute_in_process(partition_key="200607", instance=instance, run_config=QUIET,
                                      resources={"lake": LakeResource(uri=str(lake_dir))}).success
        first = _tick(instance, lake_dir)  # no cursor: a sensor switched on after the fact
        assert [r.partition_key for r in first.run_requests] == ["200608"]
        assert _tick(instance, lake_dir, first.cursor).run_requests == []
        # A correction of the ingested week is new bytes: it runs.
        lake.write_bytes(f"{LANDING}/transactions_200607.csv", lake.read_bytes(f"{LANDING}/transactions_200607.csv") + b"\n")
        again = _tick(instance, lake_dir)
        assert sorted(r.partition_key for r in again.run_requests) == ["200607", "200608"]
