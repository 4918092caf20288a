"""`retail run` with a week whose every row is quarantined: alone, and as the latest after good weeks.

The blocking check quarantine_share fails that week, `retail run` reports it and exits 1, and
neither the feature step (ArrowInvalid on an empty training table) nor the summary (index out
of bounds on an empty raw week) crashes.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from retail_assets.sample import write_sample_weeks

GOOD_WEEKS = 6


def corrupt_every_row(path: Path) -> int:
    """An unknown STORE_FORMAT code on every row; return the number of rows."""
    header, *rows = path.read_text().splitlines()
    index = header.split(",").index("STORE_FORMAT")
    out = []
    for row in rows:
        fields = row.split(",")
        fields[index] = "ZZ"
        out.append(",".join(fields))
    path.write_text("\n".join([header, *out]) + "\n")
    return len(rows)


def retail_run(landing: Path, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "retail_assets.cli", "run", "--landing", str(landing), "--home", str(home)],
                          capture_output=True, text=True, timeout=900)


def test_a_run_whose_only_week_is_all_quarantined_reports_the_check_and_builds_nothing(tmp_path):
    landing = tmp_path / "landing"
    (week,) = write_sample_weeks(landing, weeks=1, baskets_per_week=100)
    rows = corrupt_every_row(week)
    run = retail_run(landing, tmp_path / "home")
    out = run.stdout + run.stderr
    assert run.returncode == 1, out[-3000:]
    assert "Traceback" not in out and "ArrowInvalid" not in out
    assert ("raw/transactions:quarantine_share failed" in run.stderr
            and f"every row of {week.name} quarantined ({rows} of {rows}): nothing in raw" in run.stderr), run.stderr
    assert "weeks loaded     0" in run.stdout
    assert "failed step   no week loaded: nothing to build or train on" in run.stderr
    quarantine = tmp_path / "home/lake/retail/quarantine/shop_week=200607/part-0.parquet"
    assert pq.read_metadata(quarantine).num_rows == rows  # the rows are kept, with their reason


@pytest.fixture(scope="module")
def latest_bad(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("latest_bad")
    landing, home = root / "landing", root / "home"
    weeks = write_sample_weeks(landing, weeks=GOOD_WEEKS + 1, baskets_per_week=250)  # 200607..200613
    rows = corrupt_every_row(weeks[-1])
    return {"home": home, "rows": rows, "run": retail_run(landing, home)}


def test_an_all_quarantined_latest_week_is_reported_and_nothing_is_promoted(latest_bad):
    run = latest_bad["run"]
    out = run.stdout + run.stderr
    assert run.returncode == 1, out[-3000:]
    assert "Traceback" not in out and "index out of bounds" not in out
    assert f"weeks loaded     {GOOD_WEEKS} (200607..200612)" in run.stdout
    failed = [line for line in run.stderr.splitlines()
              if line.startswith("  failed check") and "raw/transactions:quarantine_share failed" in line]
    assert failed and "every row of transactions_200613.csv quarantined" in failed[0], run.stderr
    # A run with a week stopped by a check registers its model for inspection but promotes nothing.
    assert "registered       v0001 -> Challenger (failed gates: promotion held: " in run.stdout, run.stdout
    assert "prediction       no Production model" in run.stdout  # (the summary's crash fix: see below)


def test_the_good_weeks_of_a_range_with_a_stopped_week_load_in_one_more_range_run(latest_bad):
    """The check names the weeks it stopped, so the rest reruns as one range, not one run per week."""
    import dagster as dg

    from retail_assets.settings import prepare_dagster_home, settings_for_home

    instance = dg.DagsterInstance.from_config(str(prepare_dagster_home(settings_for_home(latest_bad["home"]))))
    ingest_runs = [r for r in instance.get_runs() if r.job_name == "ingest_week"]
    assert len(ingest_runs) == 2


SUMMARY = textwrap.dedent("""
    import sys
    from retail_assets.pipeline import RunReport
    from retail_assets.settings import settings_for_home
    from retail_assets.summary import print_summary
    report = RunReport(weeks_loaded=list(range(200607, 200614)),
                       materializations={"ml/registered_model": {"version": "v0001", "stage": "Production", "decision": "test"}})
    print_summary(report, settings_for_home(sys.argv[1]))
""")


def test_the_summary_skips_a_loaded_week_with_nothing_in_raw(latest_bad):
    home = latest_bad["home"]
    assert pq.read_metadata(home / "lake/retail/raw/shop_week=200613/part-0.parquet").num_rows == 0
    # The run held its model back; an operator promotes it, and the summary must predict with it.
    promote = subprocess.run([sys.executable, "-m", "retail_assets.cli", "registry", "promote", "v0001",
                              "--reason", "test", "--home", str(home)], capture_output=True, text=True, timeout=300)
    assert promote.returncode == 0, promote.stderr
    summary = subprocess.run([sys.executable, "-c", SUMMARY, str(home)], capture_output=True, text=True, timeout=300)
    assert summary.returncode == 0, summary.stderr[-3000:]
    assert "prediction       basket" in summary.stdout and "(week 200612," in summary.stdout, summary.stdout
