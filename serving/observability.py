"""Structured logs and per-request accounting: one JSON log line per request, with its request
id (the client's X-Request-ID when it is a sane token, else a new one, echoed back either way),
and the request's latency, status and error kind recorded in the app's metrics."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.metrics import ServingMetrics, error_kind

log = logging.getLogger("serving")
access_log = logging.getLogger("serving.access")

REQUEST_ID_HEADER = b"x-request-id"
# Printable, no spaces or quotes, bounded: safe to log and to echo in a header.
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._:/+=@-]{1,128}$")
# Attributes every LogRecord has; anything else was passed through `extra=` and is logged as a field.
_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, and the record's `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                document[key] = value
        if record.exc_info:
            document["exc"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str, separators=(",", ":"))


def configure_logging(level: str) -> None:
    """JSON lines on stderr for the `serving` loggers (uvicorn's access log is turned off where we
    start uvicorn: this middleware logs each request once, with more in it)."""
    if not any(getattr(h, "_retail_json", False) for h in log.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        handler._retail_json = True  # type: ignore[attr-defined]
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(level.upper())


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and _REQUEST_ID.match(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


class RequestMiddleware:
    """Pure ASGI (cheaper than BaseHTTPMiddleware). Outermost, so 413s and 500s are counted too.
    Routes add fields to the request's log line through `scope["state"]["log"]`."""

    def __init__(self, app: ASGIApp, metrics: ServingMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = request_id_of(scope)
        fields: dict[str, Any] = {}
        state = scope.setdefault("state", {})
        state["request_id"], state["log"] = request_id, fields
        status = 500
        header = (REQUEST_ID_HEADER, request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - start
            route = _route_of(scope)
            self.metrics.latency.labels(scope["method"], route, str(status)).observe(seconds)
            kind = error_kind(status)
            if kind is not None:
                self.metrics.errors.labels(kind).inc()
            if access_log.isEnabledFor(logging.INFO):
                access_log.info("request", extra={
                    "request_id": request_id, "method": scope["method"], "path": scope["path"], "route": route,
                    "status": status, "duration_ms": round(seconds * 1e3, 3), **fields,
                    **({"error": kind} if kind else {})})
