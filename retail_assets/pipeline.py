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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from retail_assets.contract.lake import Lake
from retail_assets.contract.lake_keys import landing_key
from retail_assets.ingest.weekly import FILE_NAME, week_of_file
from retail_assets.partitions import SHOP_WEEK
from retail_assets.settings import RetailSettings, prepare_dagster_home

# Every event is recorded in the home's Dagster instance (see it with `make dev`); the terminal
# gets the summary, and failures are reported there with their root cause.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
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

    def partitions_of(self, asset: str) -> dict[str, dict]:
        prefix = asset + "["
        return {k[len(prefix):-1]: v for k, v in self.materializations.items() if k.startswith(prefix)}

    @property
    def ok(self) -> bool:
        return not (self.refused or self.failed_checks or self.failed_steps)


def land_files(landing_dir: Path, lake: Lake, report: RunReport) -> list[int]:
    """Copy the folder's weekly files into the lake's landing zone; return their weeks."""
    weeks: dict[int, str] = {}
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
        if not lake.exists(key) or lake.read_bytes(key) != data:
            lake.write_bytes(key, data)
        other = key[:-3] if key.endswith(".gz") else key + ".gz"
        lake.delete(other)  # the folder is the truth for its weeks: one file per week in landing
    return sorted(weeks)


@dataclass
class _Outcome:
    success: bool
    refused_weeks: set[int] = field(default_factory=set)
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
            outcome.attributed = False
            error = event.step_failure_data.error
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
            report.checks[name] = ev.passed
            if not ev.passed:
                details = {k: v.value for k, v in ev.metadata.items()}
                report.failed_checks.append(f"{label}: {name} failed {details}")
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


def ingest_weeks(weeks: list[int], job: dg.JobDefinition, instance: dg.DagsterInstance, report: RunReport) -> None:
    """Run the ingest job over `weeks`: one run per contiguous range, each week standing alone."""
    order = instance.get_dynamic_partitions(SHOP_WEEK)
    pending = _blocks(weeks, order)
    while pending:
        block = pending.pop(0)
        if len(block) == 1:
            run = job.execute_in_process(partition_key=str(block[0]), instance=instance, raise_on_error=False,
                                         run_config=QUIET)
        else:
            run = job.execute_in_process(instance=instance, raise_on_error=False, run_config=QUIET,
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


def run_pipeline(landing_dir: Path, settings: RetailSettings, defs: dg.Definitions) -> RunReport:
    report = RunReport()
    lake = Lake.from_uri(settings.lake_uri)
    weeks = land_files(landing_dir, lake, report)
    instance = dg.DagsterInstance.from_config(str(prepare_dagster_home(settings)))
    instance.add_dynamic_partitions(SHOP_WEEK, [str(w) for w in weeks])
    ingest_weeks(weeks, defs.resolve_job_def("ingest_week"), instance, report)
    if not report.weeks_loaded:
        report.failed_steps.append("no week loaded: nothing to build or train on")
        return report
    log_path = settings.home / "logs" / "build_and_train.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log, contextlib.redirect_stdout(log):  # dbt's own log lines
        result = defs.resolve_job_def("build_and_train").execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET
        )
    report.log_path = log_path
    _collect(result, report, "build_and_train")
    return report
