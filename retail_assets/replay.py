"""`retail replay`: a folder's weeks fed one at a time, in week order, through the weekly loop.

Each week takes the path a landed file takes under the sensors: its file into the lake's landing
zone, the ingest_week job for its partition, the weekly_build job (dbt, feature store, reports; no
retrain), the weekly_monitoring job for its partition (scores, quality, drift and their checks),
then the policy (retail_assets.monitoring.policy): rollback through the registry, or the
build_and_train job when a retrain is asked for. A home without a Production version trains first.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from retail_assets.contract.lake import Lake
from retail_assets.contract.lake_keys import QUALITY_TREND, landing_key
from retail_assets.defs.raw.sensors import ingested_sha256
from retail_assets.ingest.weekly import FILE_NAME, week_of_file
from retail_assets.monitoring.policy import NONE, RETRAIN, judge_week
from retail_assets.partitions import SHOP_WEEK
from retail_assets.pipeline import QUIET, RunReport, _collect, fail_abandoned_runs, ingest_weeks
from retail_assets.registry import open_registry
from retail_assets.settings import RetailSettings, prepare_dagster_home

PROMOTE, REFUSED = "promote", "refused"
JSON_KEYS = ("week", "model_version", "snapshot_week", "baskets", "accuracy", "macro_f1", "drift", "action", "seconds")


@dataclass
class WeekLine:
    week: int
    model_version: str | None  # the version that scored the week (Production when it was not scored)
    snapshot_week: int | None  # the product statistics it was scored with: as of the start of this week
    baskets: int | None
    accuracy: float | None
    macro_f1: float | None
    drift: float | None  # the largest feature PSI of the week
    action: str  # none | retrain | promote | rollback | refused
    seconds: float
    reason: str = ""
    production_after: str | None = None
    failed_checks: list[str] = field(default_factory=list)  # "asset:check" of the week's failed checks
    steps: dict[str, float] = field(default_factory=dict)  # seconds of each step of the week

    def to_json(self) -> dict[str, Any]:
        return {k: asdict(self)[k] for k in JSON_KEYS}


@dataclass
class ReplayReport:
    lines: list[WeekLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    trend_png: str | None = None


def weekly_files(landing_dir: Path) -> list[tuple[int, Path]]:
    """(week, file) of the folder's weekly files in week order; two files of one week are refused."""
    found: dict[int, Path] = {}
    for path in sorted(p for p in landing_dir.iterdir() if p.is_file() and FILE_NAME.match(p.name)):
        week = week_of_file(path.name)
        if week in found:
            raise ValueError(f"{path.name}: week {week} already comes from {found[week].name}")
        found[week] = path
    if not found:
        raise FileNotFoundError(f"--landing {landing_dir}: no transactions_YYYYWW.csv[.gz] file")
    return sorted(found.items())


def _run(defs: dg.Definitions, job: str, instance: dg.DagsterInstance, label: str, report: RunReport,
         run_config: dict[str, Any], partition: int | None = None) -> RunReport:
    log_path = _log_path(instance, job)
    with open(log_path, "a") as log, contextlib.redirect_stdout(log):  # dbt's own log lines
        result = defs.resolve_job_def(job).execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config,
            partition_key=None if partition is None else str(partition))
    report.log_path = log_path
    _collect(result, report, label)
    return report


class _StepClock:
    """Seconds per step of one week, each step from the end of the one before."""

    def __init__(self, started: float) -> None:
        self.steps: dict[str, float] = {}
        self._last = started

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.steps[name] = round(now - self._last, 3)
        self._last = now


def _log_path(instance: dg.DagsterInstance, job: str) -> Path:
    # Beside the Dagster home's storage, one file per job and process: dbt's output, never the terminal.
    path = Path(instance.root_directory).parent / "logs" / f"replay-{os.getpid()}-{job}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def replay(landing_dir: Path, settings: RetailSettings, defs: dg.Definitions,
           emit: Callable[[WeekLine], None] = lambda line: None, run_config: dict[str, Any] = QUIET,
           train: bool = True) -> ReplayReport:
    """`train=False` (the one-week benchmark) judges every week but launches no training."""
    from retail_assets.defs.ml.resources import MlConfig

    out = ReplayReport()
    files = weekly_files(landing_dir)
    lake = Lake.from_uri(settings.lake_uri)
    instance = dg.DagsterInstance.from_config(str(prepare_dagster_home(settings)))
    fail_abandoned_runs(instance)
    ml_config = (defs.resources or {}).get("ml_config") or MlConfig()  # the floor the checks use too
    registry = open_registry(settings.ml_backend, settings.lake_uri, model_package_group=settings.model_package_group,
                             region=settings.aws_region)
    scored: list[int] = []
    for week, path in files:
        started = time.monotonic()
        clock = _StepClock(started)
        lap = clock.lap
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        lake.write_bytes(landing_key(path.name), data)
        report = RunReport()
        if ingested_sha256(instance, week) != digest:
            instance.add_dynamic_partitions(SHOP_WEEK, [str(week)])
            ingest_weeks([week], defs.resolve_job_def("ingest_week"), instance, report, run_config=run_config)
        lap("land+ingest")
        if not report.ok:
            line = WeekLine(week, registry.production(), None, None, None, None, None, REFUSED,
                            round(time.monotonic() - started, 2), reason="; ".join([*report.refused, *report.failed_checks]))
            out.problems.append(f"week {week}: {line.reason}")
            emit(line)
            out.lines.append(line)
            continue
        if registry.production() is None:
            line = _train(defs, instance, run_config, week, started, registry, out, "no Production version yet")
            emit(line)
            out.lines.append(line)
            continue
        _run(defs, "weekly_build", instance, f"week {week}", report, run_config)
        lap("weekly_build (dbt, features, reports)")
        _run(defs, "weekly_monitoring", instance, f"week {week}", report, run_config, partition=week)
        lap("weekly_monitoring (scores, quality, drift)")
        if report.failed_steps:
            line = WeekLine(week, registry.production(), None, None, None, None, None, NONE,
                            round(time.monotonic() - started, 2), reason="; ".join(report.failed_steps))
            out.problems.append(f"week {week}: {line.reason}")
            emit(line)
            out.lines.append(line)
            continue
        scored.append(week)
        scores = report.partitions_of("monitoring/weekly_scores")[str(week)]
        quality = report.partitions_of("monitoring/weekly_quality")[str(week)]
        drift = report.partitions_of("monitoring/drift")[str(week)]
        decision = judge_week(lake, settings.lake_uri, registry, week, floor=ml_config.quality_floor,
                              retrain_every_weeks=ml_config.retrain_every_weeks, scored_weeks=scored)
        action, reason = decision.action, decision.reason
        lap("policy")
        if action == RETRAIN and not train:
            reason += " (not trained: training is off for this replay)"
        elif action == RETRAIN:
            trained = _train(defs, instance, run_config, week, started, registry, out, reason)
            action, reason = trained.action, trained.reason
            if action in (PROMOTE, RETRAIN):
                scored = []  # the new model's clock starts after its training weeks
            lap("build_and_train")
        line = WeekLine(week, str(scores["model_version"]), int(scores["snapshot_week"]), int(scores["baskets"]),
                        float(quality["accuracy"]), float(quality["macro_f1"]), float(drift["max_feature_psi"]),
                        action, round(time.monotonic() - started, 2), reason=reason,
                        production_after=registry.production(),
                        failed_checks=sorted(k for k, ok in report.checks.items() if not ok), steps=clock.steps)
        emit(line)
        out.lines.append(line)
    if lake.exists(QUALITY_TREND):
        out.trend_png = lake.uri_of(QUALITY_TREND)
    return out


def _train(defs: dg.Definitions, instance: dg.DagsterInstance, run_config: dict[str, Any], week: int,
           started: float, registry: Any, out: ReplayReport, why: str) -> WeekLine:
    report = _run(defs, "build_and_train", instance, "build_and_train", RunReport(), run_config)
    registered = report.materializations.get("ml/registered_model")
    if registered is None:
        problem = "; ".join([*report.failed_steps, *report.failed_checks]) or "nothing registered"
        out.problems.append(f"week {week}: training failed: {problem}")
        return WeekLine(week, registry.production(), None, None, None, None, None, NONE,
                        round(time.monotonic() - started, 2), reason=f"{why}; training failed: {problem}")
    action = PROMOTE if registered.get("promoted") else RETRAIN
    return WeekLine(week, registry.production(), None, None, None, None, None, action,
                    round(time.monotonic() - started, 2),
                    reason=f"{why}; {registered['version']}: {registered['decision']}",
                    production_after=registry.production())

