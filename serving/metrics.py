"""A small Prometheus registry and text exposition (format 0.0.4), hand-rolled because
the serving image carries no prometheus_client. Counters and histograms are only
ever incremented, under one lock, so any thread may record."""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

LabelValues = tuple[str, ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: tuple[str, ...], values: LabelValues, extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


class Counter:
    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = ()) -> None:
        self.name, self.help, self.label_names = name, help_text, labels
        self._values: dict[LabelValues, float] = {}
        self._lock = threading.Lock()

    def inc(self, *labels: str, amount: float = 1.0) -> None:
        with self._lock:
            self._values[labels] = self._values.get(labels, 0.0) + amount

    def value(self, *labels: str) -> float:
        return self._values.get(labels, 0.0)

    def expose(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} counter"
        for labels, value in sorted(self._values.items()):
            yield f"{self.name}{_labels(self.label_names, labels)} {_number(value)}"


class Histogram:
    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = (),
                 buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.name, self.help, self.label_names = name, help_text, labels
        self.buckets = tuple(sorted(buckets))
        # per label set: counts per bucket (non-cumulative, last = +Inf), sum
        self._series: dict[LabelValues, tuple[list[int], list[float]]] = {}
        self._lock = threading.Lock()

    def observe(self, value: float, *labels: str) -> None:
        index = bisect.bisect_left(self.buckets, value)
        with self._lock:
            counts, total = self._series.setdefault(labels, ([0] * (len(self.buckets) + 1), [0.0]))
            counts[index] += 1
            total[0] += value

    def expose(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} histogram"
        for labels, (counts, total) in sorted(self._series.items()):
            cumulative = 0
            for bound, count in zip((*self.buckets, math.inf), counts, strict=True):
                cumulative += count
                le = f'le="{_number(bound)}"' if math.isinf(bound) else f'le="{bound}"'
                yield f"{self.name}_bucket{_labels(self.label_names, labels, le)} {cumulative}"
            yield f"{self.name}_sum{_labels(self.label_names, labels)} {_number(total[0])}"
            yield f"{self.name}_count{_labels(self.label_names, labels)} {cumulative}"


class Collected:
    """A metric family whose samples are computed when scraped (gauges of current state,
    or counters kept elsewhere)."""

    def __init__(self, name: str, help_text: str, kind: str, labels: tuple[str, ...],
                 collect: Callable[[], Iterable[tuple[LabelValues, float]]]) -> None:
        self.name, self.help, self.kind = name, help_text, kind
        self.label_names, self._collect = labels, collect

    def expose(self) -> Iterable[str]:
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} {self.kind}"
        for labels, value in self._collect():
            yield f"{self.name}{_labels(self.label_names, labels)} {_number(value)}"


class ServingMetrics:
    def __init__(self) -> None:
        self.requests = Counter("retail_http_requests_total", "HTTP requests by route and status.",
                                ("method", "route", "status"))
        self.latency = Histogram("retail_http_request_duration_seconds",
                                 "HTTP request latency in seconds.", ("method", "route"))
        self.predictions = Counter("retail_predictions_total",
                                   "Baskets predicted, by predicted class and model version.",
                                   ("label", "model_version"))
        self.collected: list[Collected] = []

    def expose(self) -> str:
        families: list[Any] = [self.requests, self.latency, self.predictions, *self.collected]
        lines = [line for family in families for line in family.expose()]
        return "\n".join(lines) + "\n"


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class MetricsMiddleware:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware): counts and times requests
    by route template, so unknown paths cannot blow up the label cardinality."""

    def __init__(self, app: ASGIApp, metrics: ServingMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = _route_of(scope)
            self.metrics.requests.inc(scope["method"], route, str(status))
            self.metrics.latency.observe(time.perf_counter() - start, scope["method"], route)
