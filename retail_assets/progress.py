"""One line per step of `retail run` as it happens: a Dagster logger that prints the week ingested,
the dbt model built, the candidate fitted, the check passed or failed, the version registered.

Everything else Dagster logs stays in the home's event log (see it with `make dev`); this is a
logger rather than an after-the-fact report so a run of minutes shows where it is.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, TextIO

import dagster as dg

# User messages (context.log) worth a line: what the assets and the training resource say they did.
USER_LEVEL = logging.INFO


class ProgressHandler(logging.Handler):
    def __init__(self, stream: TextIO) -> None:
        super().__init__(logging.DEBUG)
        self.stream = stream
        self.started = time.monotonic()
        self.passed: dict[str, int] = {}

    def _line(self, text: str) -> None:
        self.stream.write(f"[{time.monotonic() - self.started:6.1f}s] {text}\n")
        self.stream.flush()

    def emit(self, record: logging.LogRecord) -> None:
        meta: Any = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event") if isinstance(meta, dict) else None
        if event is None:
            # dagster-dbt narrates its own plumbing; its models show as materializations instead.
            if record.levelno >= USER_LEVEL and meta.get("step_key") and not str(meta["step_key"]).startswith("dbt_"):
                message = str(meta.get("orig_message", record.getMessage())).splitlines()[0]
                self._line(f"{meta['step_key']}: {message[:160]}")
            return
        kind = event.event_type_value
        data: Any = event.event_specific_data
        if kind == "ASSET_MATERIALIZATION":
            mat = data.materialization
            name = mat.asset_key.to_user_string() + (f"[{mat.partition}]" if mat.partition else "")
            verb = "ingested" if mat.partition else "built"
            self._line(f"{verb} {name}")
        elif kind == "ASSET_CHECK_EVALUATION":
            # dbt's data tests are dozens of checks: a line for each failure, a count of the passes.
            key = data.asset_key.to_user_string()
            if not data.passed:
                self._line(f"check {key}:{data.check_name} FAILED")
            else:
                self.passed[key] = self.passed.get(key, 0) + 1
        elif kind == "STEP_SUCCESS" and self.passed:
            self._line("checks passed: " + ", ".join(f"{key} {n}" for key, n in sorted(self.passed.items())))
            self.passed.clear()
        elif kind == "STEP_FAILURE":
            self._line(f"step {event.step_key} FAILED")


@dg.logger(config_schema=None, description="One line per ingested week, built model, fitted candidate and check, on stderr.")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.getLogger("retail.progress")
    logger.setLevel(logging.DEBUG)
    logger.handlers = [ProgressHandler(sys.stderr)]
    logger.propagate = False
    return logger


# The run config `retail run` uses: Dagster's console logger silent, the progress logger on.
PROGRESS_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}, "progress": {}}}
