"""Timing for the storage benchmark: the median of repeated runs, with their range."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

MB = 1024 * 1024
T = TypeVar("T")


@dataclass
class Timing:
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def __str__(self) -> str:
        return f"{self.median:7.3f} ({min(self.seconds):.3f}-{max(self.seconds):.3f})"


def timed(fn: Callable[[], T], repeat: int) -> tuple[Timing, T]:
    seconds = []
    for _ in range(max(repeat, 1)):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return Timing(seconds), result


def tree_bytes(path: Path) -> int:
    """Bytes of a file, or of every file under a folder."""
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
