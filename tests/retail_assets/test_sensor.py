"""landing_sensor: one run per new file content, nothing for the same bytes, a re-run for a correction."""

from __future__ import annotations

import hashlib
import os

import dagster as dg

from retail_assets.defs.raw.sensors import landing_sensor, plan_landing_tick
from retail_assets.lake import Lake
from retail_assets.resources import LakeResource
from retail_assets.sample import write_sample_weeks


def test_plan_is_keyed_by_content_and_bounded():
    files = {f"retail/landing/transactions_2006{w:02d}.csv": (10, 1.0) for w in range(7, 30)}
    content = {k: k.encode() for k in files}
    requests, cursor = plan_landing_tick(files, content.__getitem__, {}, limit=5)
    assert len(requests) == 5 and len(cursor) == 5  # bounded batch; the rest next tick
    requests2, cursor2 = plan_landing_tick(files, content.__getitem__, cursor, limit=100)
    assert len(requests2) == len(files) - 5
    assert plan_landing_tick(files, content.__getitem__, cursor2)[0] == []  # nothing new
    # modified in place, same size and mtime unchanged would be missed by key-only cursors;
    # a new mtime with the same bytes is a touch, not a change
    touched = {**files, "retail/landing/transactions_200607.csv": (10, 2.0)}
    assert plan_landing_tick(touched, content.__getitem__, cursor2)[0] == []
    content["retail/landing/transactions_200607.csv"] = b"corrected"
    changed = {**files, "retail/landing/transactions_200607.csv": (9, 3.0)}
    (req,), _ = plan_landing_tick(changed, content.__getitem__, cursor2)
    assert req == (200607, "retail/landing/transactions_200607.csv", hashlib.sha256(b"corrected").hexdigest())


def test_sensor_adds_partitions_and_requests_runs(tmp_path):
    lake_dir = tmp_path / "lake"
    lake = Lake.from_uri(str(lake_dir))
    for path in write_sample_weeks(tmp_path / "in", weeks=2, baskets_per_week=20):
        lake.write_bytes(f"retail/landing/{path.name}", path.read_bytes())
    lake.write_bytes("retail/landing/notes.txt", b"not a weekly file")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources={"lake": LakeResource(uri=str(lake_dir))})
        result = landing_sensor(context)
        assert sorted(r.partition_key for r in result.run_requests) == ["200607", "200608"]
        assert result.dynamic_partitions_requests[0].partition_keys == ["200607", "200608"]
        # Same files on the next tick: no run.
        context2 = dg.build_sensor_context(instance=instance, cursor=result.cursor,
                                           resources={"lake": LakeResource(uri=str(lake_dir))})
        assert landing_sensor(context2).run_requests == []
        # A late correction for week 200607: its week runs again under a new run key.
        path = lake_dir / "retail/landing/transactions_200607.csv"
        path.write_bytes(path.read_bytes() + path.read_bytes().splitlines(keepends=True)[1])
        os.utime(path, (1, 1))
        context3 = dg.build_sensor_context(instance=instance, cursor=result.cursor,
                                           resources={"lake": LakeResource(uri=str(lake_dir))})
        (again,) = landing_sensor(context3).run_requests
        assert again.partition_key == "200607"
        assert again.run_key != next(r.run_key for r in result.run_requests if r.partition_key == "200607")
