"""One writer per home: a second `retail run` on a home in use is refused at once, naming the
holder, and the home stays sound; runs a killed process left STARTED are marked failed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from retail_assets.home_lock import HomeBusy, hold_home
from retail_assets.pipeline import fail_abandoned_runs
from retail_assets.sample import write_sample_weeks

RETAIL = [sys.executable, "-m", "retail_assets.cli"]


def test_a_second_holder_is_refused_naming_the_first(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from retail_assets.home_lock import hold_home\n"
        f"with hold_home(Path({str(tmp_path)!r})):\n    print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        with pytest.raises(HomeBusy, match=rf"in use by pid {holder.pid} "):
            with hold_home(tmp_path):
                pass
        assert time.monotonic() - start < 2  # at once, not after a timeout
        with pytest.raises(HomeBusy):
            with hold_home(tmp_path, wait_seconds=0.5):
                pass
    finally:
        holder.kill()
        holder.wait()
    with hold_home(tmp_path):  # the kernel released the killed holder's lock
        assert (tmp_path / ".lock").read_text()


def test_runs_left_started_by_a_killed_process_are_marked_failed():
    with dg.instance_for_test() as instance:
        instance.add_run(dg.DagsterRun(job_name="build_and_train", run_id="killed", status=dg.DagsterRunStatus.STARTED))
        instance.add_run(dg.DagsterRun(job_name="build_and_train", run_id="done", status=dg.DagsterRunStatus.SUCCESS))
        assert fail_abandoned_runs(instance) == ["killed"]
        assert instance.get_run_by_id("killed").status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id("done").status == dg.DagsterRunStatus.SUCCESS


def test_concurrent_retail_runs_on_one_home_never_corrupt_it(tmp_path):
    landing = tmp_path / "landing"
    write_sample_weeks(landing, weeks=4, baskets_per_week=150)
    home = tmp_path / "home"
    first = subprocess.Popen([*RETAIL, "run", "--landing", str(landing), "--home", str(home)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = home / ".lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and str(first.pid) in lock.read_text()):
        assert first.poll() is None and time.monotonic() < deadline, "the first run never held the home"
        time.sleep(0.1)
    refusals = 0
    for _ in range(10):
        if first.poll() is not None:
            break
        second = subprocess.run([*RETAIL, "run", "--landing", str(landing), "--home", str(home)],
                                capture_output=True, text=True, timeout=120)
        if first.poll() is None or f"pid {first.pid}" in second.stderr:
            assert second.returncode == 2, second.stderr
            assert f"in use by pid {first.pid} (retail run --landing" in second.stderr
            refusals += 1
    out, err = first.communicate(timeout=900)
    assert first.returncode == 0, err[-2000:]
    assert refusals >= 1
    again = subprocess.run([*RETAIL, "run", "--landing", str(landing), "--home", str(home)],
                           capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-2000:]  # Dagster's storage and the warehouse are sound
    logs = sorted(Path(home / "logs").glob("*-build_and_train.log"))
    assert len(logs) == 2  # each run wrote its own log
