"""`retail run`: land every weekly file of a folder, ingest the weeks, then build and train.

It runs the same jobs the sensor and automation would run, in-process against the home's
Dagster instance, so the runs show up in `dagster dev` started on that home.

Ingestion takes one Dagster run for all the weeks (a single-run backfill over their partition
range), not one per week: a run costs far more in Dagster's bookkeeping than a week costs to
ingest. Each week still stands on its own: the run commits every good week and then fails
naming each refused file; the good weeks are then run once more as a range (the same bytes
again) so that their materializations are recorded, and the refused ones stay failed. A
failure the range run cannot attribute to a file falls back to one run per week.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from retail_assets.contract.lake import Lake
from retail_assets.contract.lake_keys import landing_key
from retail_assets.defs.raw.sensors import ingested_sha256
from retail_assets.ingest.weekly import FILE_NAME, week_of_file
from retail_assets.partitions import SHOP_WEEK
from retail_assets.progress import PROGRESS_RUN_CONFIG
from retail_assets.settings import RetailSettings, prepare_dagster_home

# Every event is recorded in the home's Dagster instance (see it with `make dev`); the terminal
# gets the summary, and failures are reported there with their root cause.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
STEPS = PROGRESS_RUN_CONFIG  # QUIET plus one line per step on stderr (retail_assets.progress)
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


@dataclass
class RunReport:
    weeks_loaded: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # "<file>: <problem>"
    failed_checks: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    materializations: dict[str, dict] = field(default_factory=dict)  # asset key -> metadata
    checks: dict[str, bool] = field(default_factory=dict)
    log_path: Path | None = None
    ingest_runs: int = 0
    weeks_unchanged: list[int] = field(default_factory=list)  # ingested before from the same bytes

    def partitions_of(self, asset: str) -> dict[str, dict]:
        prefix = asset + "["
        return {k[len(prefix):-1]: v for k, v in self.materializations.items() if k.startswith(prefix)}

    @property
    def ok(self) -> bool:
        return not (self.refused or self.failed_checks or self.failed_steps)


def land_files(landing_dir: Path, lake: Lake, report: RunReport) -> dict[int, str]:
    """Copy the folder's weekly files into the lake's landing zone; return week -> the file's sha256."""
    weeks: dict[int, str] = {}
    digests: dict[int, str] = {}
    for path in sorted(p for p in landing_dir.iterdir() if p.is_file()):
        if not FILE_NAME.match(path.name):
            if path.name.startswith("transactions_"):
                report.refused.append(f"{path.name}: name is not transactions_YYYYWW.csv or transactions_YYYYWW.csv.gz")
            continue
        week = week_of_file(path.name)
        if week in weeks:
            report.refused.append(f"{path.name}: week {week} already comes from {weeks[week]}")
            continue
        weeks[week] = path.name
        key = landing_key(path.name)
        data = path.read_bytes()
        digests[week] = hashlib.sha256(data).hexdigest()
        if not lake.exists(key) or lake.read_bytes(key) != data:
            lake.write_bytes(key, data)
        other = key[:-3] if key.endswith(".gz") else key + ".gz"
        lake.delete(other)  # the folder is the truth for its weeks: one file per week in landing
    return dict(sorted(digests.items()))


@dataclass
class _Outcome:
    success: bool
    refused_weeks: set[int] = field(default_factory=set)  # refused files, and weeks a blocking check stopped
    attributed: bool = True  # every failure was a refused file


def _collect(result: dg.ExecuteInProcessResult, report: RunReport, label: str) -> _Outcome:
    outcome = _Outcome(success=result.success)
    for event in result.all_events:
        data: Any = event.event_specific_data  # its type follows event_type_value
        if event.is_step_failure:
            user = event.step_failure_data.user_failure_data
            refused = user.metadata.get("refused") if user and user.metadata else None
            if refused is not None:
                items: list[dict[str, Any]] = refused.value  # type: ignore[assignment]  # JSON metadata we wrote
                for item in items:
                    report.refused.append(f"{item['file']}: {item['problem']}")
                    outcome.refused_weeks.add(int(item["week"]))
                continue
            error = event.step_failure_data.error
            if error is not None and error.cls_name == "DagsterAssetCheckFailedError":
                continue  # a blocking check failed: its evaluation (below) names the weeks and why
            outcome.attributed = False
            while error is not None and error.cause is not None:  # the root cause says what went wrong
                error = error.cause
            message = error.message.strip().splitlines()[0] if error else "failed"
            report.failed_steps.append(f"{label}: {event.step_key}: {message}")
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            mat = data.materialization
            name = mat.asset_key.to_user_string() + (f"[{mat.partition}]" if mat.partition else "")
            report.materializations[name] = {k: v.value for k, v in mat.metadata.items()}
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            ev = data
            name = f"{ev.asset_key.to_user_string()}:{ev.check_name}"
            report.checks[name] = report.checks.get(name, True) and ev.passed  # a failure in any run sticks
            if not ev.passed:
                details = {k: v.value for k, v in ev.metadata.items()}
                report.failed_checks.append(f"{label}: {name} failed {details}")
                if isinstance(details.get("failing_weeks"), list):
                    outcome.refused_weeks.update(int(w) for w in details["failing_weeks"])
                elif label.startswith("week "):
                    outcome.refused_weeks.add(int(label.split()[1]))
                else:
                    outcome.attributed = False
    return outcome


def _blocks(weeks: list[int], order: Sequence[str]) -> list[list[int]]:
    """`weeks` split into runs of neighbours in the partition order (a range run takes one)."""
    position = {key: i for i, key in enumerate(order)}
    ranked = sorted(weeks, key=lambda w: position[str(w)])
    blocks: list[list[int]] = []
    for week in ranked:
        if blocks and position[str(week)] == position[str(blocks[-1][-1])] + 1:
            blocks[-1].append(week)
        else:
            blocks.append([week])
    return blocks


def ingest_weeks(weeks: list[int], job: dg.JobDefinition, instance: dg.DagsterInstance, report: RunReport,
                 run_config: dict[str, Any] = QUIET) -> None:
    """Run the ingest job over `weeks`: one run per contiguous range, each week standing alone."""
    order = instance.get_dynamic_partitions(SHOP_WEEK)
    pending = _blocks(weeks, order)
    while pending:
        block = pending.pop(0)
        if len(block) == 1:
            run = job.execute_in_process(partition_key=str(block[0]), instance=instance, raise_on_error=False,
                                         run_config=run_config)
        else:
            run = job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config,
                                         tags={RANGE_START: str(block[0]), RANGE_END: str(block[-1])})
        report.ingest_runs += 1
        label = f"week {block[0]}" if len(block) == 1 else f"weeks {block[0]}..{block[-1]}"
        outcome = _collect(run, report, label)
        if outcome.success:
            report.weeks_loaded.extend(block)
        elif len(block) > 1 and outcome.attributed and outcome.refused_weeks and outcome.refused_weeks <= set(block):
            # Committed already, but recorded as failed with the range: run the rest again as a range.
            pending[:0] = _blocks([w for w in block if w not in outcome.refused_weeks], order)
        elif len(block) > 1:
            pending[:0] = [[w] for w in block]  # cannot tell which week failed: one run each
    report.weeks_loaded.sort()


def fail_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark as failed the runs a killed process left STARTED; returns their ids.

    Only called with the home held (home_lock), so no other process is running them.
    """
    abandoned = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    for run in abandoned:
        instance.report_run_failed(run, message="the process running it ended without finishing (killed?); "
                                                "marked failed by the next `retail run` on this home")
    return [run.run_id for run in abandoned]


def run_pipeline(landing_dir: Path, settings: RetailSettings, defs: dg.Definitions) -> RunReport:
    report = RunReport()
    lake = Lake.from_uri(settings.lake_uri)
    landed = land_files(landing_dir, lake, report)
    instance = dg.DagsterInstance.from_config(str(prepare_dagster_home(settings)))
    fail_abandoned_runs(instance)
    # One record of what was ingested, shared with the landing sensor: raw's materializations.
    report.weeks_unchanged = [w for w, digest in landed.items() if ingested_sha256(instance, w) == digest]
    weeks = [w for w in landed if w not in report.weeks_unchanged]
    instance.add_dynamic_partitions(SHOP_WEEK, [str(w) for w in weeks])
    ingest_weeks(weeks, defs.resolve_job_def("ingest_week"), instance, report, run_config=STEPS)
    report.weeks_loaded = sorted({*report.weeks_loaded, *report.weeks_unchanged})
    if not report.weeks_loaded:
        report.failed_steps.append("no week loaded: nothing to build or train on")
        return report
    # Each run its own log: a second run must never write into the first one's.
    log_path = settings.home / "logs" / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-build_and_train.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    run_config: dict[str, Any] = dict(STEPS)
    if not report.ok:  # a model of partial data is registered for inspection, never promoted
        held = [*report.refused, *report.failed_checks]
        run_config["resources"] = {"ml_config": {"config": {
            "hold_promotion": f"{len(held)} problems in this run's weeks: " + "; ".join(held)[:500]}}}
    with open(log_path, "w") as log, contextlib.redirect_stdout(log):  # dbt's own log lines
        result = defs.resolve_job_def("build_and_train").execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config
        )
    report.log_path = log_path
    _collect(result, report, "build_and_train")
    return report
