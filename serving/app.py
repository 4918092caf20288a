"""The inference API: FastAPI app factory. Importing this module reads no settings and
loads no model; the bundle is loaded in `lifespan` and kept current by a reloader."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from serving.deps import settings_of
from serving.metrics import ServingMetrics
from serving.observability import RequestMiddleware, configure_logging
from serving.reloader import BundleReloader
from serving.routes import ops, page, predict
from serving.schemas import REQUEST_TAGS
from serving.settings import ServingSettings

log = logging.getLogger("serving")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = settings_of(app)
    configure_logging(settings.log_level)
    reloader = BundleReloader(
        registry_uri=settings.registry_uri,
        bundle_uri=settings.bundle_uri,
        reload_seconds=settings.reload_seconds,
        onnx_threads=settings.onnx_threads,
        require_golden=settings.require_golden,
    )
    app.state.reloader = reloader
    await asyncio.to_thread(reloader.refresh)
    if reloader.current is None:
        log.warning("no model loaded yet (%s); /ready answers 503 until one is",
                    reloader.stats.last_error or "nothing in Production")
    poller = asyncio.create_task(reloader.run()) if settings.reload_seconds > 0 else None
    try:
        yield
    finally:
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller


class LazyBodyLimit:
    """Request body size limit whose value is read from settings on the first request,
    so that building the app reads no settings."""

    def __init__(self, app: ASGIApp, limit: Callable[[], int]) -> None:
        self.app, self._limit = app, limit
        self._inner: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._inner is None:
            self._inner = RequestBodyLimitMiddleware(self.app, max_body_size=self._limit())
        await self._inner(scope, receive, send)


def _clean_loc(loc: Iterable[Any]) -> list[Any]:
    loc = list(loc)
    # Drop the discriminator tag ("basket"/"batch") that picks the request shape.
    if len(loc) > 1 and loc[0] == "body" and loc[1] in REQUEST_TAGS:
        del loc[1]
    return loc


def _message(error: dict[str, Any]) -> str:
    msg = str(error.get("msg", "invalid"))
    if error.get("type") == "json_invalid" and (ctx := error.get("ctx")):
        msg = f"{msg}: {ctx.get('error')}"  # says where the JSON broke
    return msg


async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 naming each offending field; the offending input is not echoed back."""
    errors = [
        {"loc": _clean_loc(e.get("loc", ())), "msg": _message(e), "type": e.get("type")}
        for e in exc.errors()
    ]
    summary = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5]
    )
    return JSONResponse({"detail": errors, "message": summary}, status_code=422)


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """FastAPI's schema, plus the request models of POST /predict, which reads its body itself
    (pydantic-core parses the bytes directly: the hot path's largest saving)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                                 description=app.description, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {}).update(predict.REQUEST_SCHEMA["$defs"])
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def create_app(settings: ServingSettings | None = None) -> FastAPI:
    """Build the app. `settings` defaults to the environment, read at startup."""
    app = FastAPI(
        title="Retail price-sensitivity inference",
        summary="Predicts a basket's price sensitivity (LA/MM/UM, or XX) with the Production model, "
                "and says which model, data and product snapshot answered.",
        description="Try it at [/](/) (a page for people). `POST /predict` takes one basket or "
                    "`{\"baskets\": [...]}`; bad input is a 422 whose `message` names each field.",
        lifespan=lifespan,
        docs_url=None,  # served by routes/page.py from the app's own Swagger UI assets
        redoc_url=None,
    )
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.reloader = None
    app.state.metrics = metrics = ServingMetrics(lambda: getattr(app.state, "reloader", None))
    app.add_exception_handler(RequestValidationError, validation_error_handler)  # type: ignore[arg-type]  # Starlette types handlers for Exception
    app.include_router(predict.router)
    app.include_router(ops.router)
    app.include_router(page.router)
    page.mount_static(app)
    app.add_middleware(LazyBodyLimit, limit=lambda: settings_of(app).max_body_bytes)
    # Outermost, so 413s and errors are counted and logged too.
    app.add_middleware(RequestMiddleware, metrics=metrics)
    return app


app = create_app()
