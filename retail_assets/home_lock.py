"""One writer per home: the command that writes a home's Dagster storage and warehouse holds its lock.

Two `retail run` on one home would share Dagster's SQLite storage and DuckDB's single-writer
file, and corrupt the first or fail the second somewhere deep in dbt. The lock is an `flock`
on `<home>/.lock` (released by the kernel when the holder exits, even when killed), and the
file names the holder, so a second writer is told at once who has the home.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


class HomeBusy(RuntimeError):
    """Another process holds the home."""


def _holder(lock_path: Path) -> str:
    try:
        info = json.loads(lock_path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process"
    return f"pid {info.get('pid')} ({info.get('command')}, since {info.get('since')})"


@contextmanager
def hold_home(home: Path, wait_seconds: float = 0.0) -> Iterator[Path]:
    """Hold `home` for the duration; wait up to `wait_seconds` for its holder, then raise HomeBusy."""
    home.mkdir(parents=True, exist_ok=True)
    lock_path = home / ".lock"
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise HomeBusy(f"home {home} is in use by {_holder(lock_path)}; wait for it to finish "
                                   "(or pass --wait SECONDS)") from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "command": " ".join(["retail", *sys.argv[1:]]),
                                 "since": datetime.now(UTC).isoformat(timespec="seconds")}))
        handle.flush()
        try:
            yield home
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()  # the kernel drops the lock when the file closes
