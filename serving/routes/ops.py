"""Operational endpoints: liveness, readiness, model metadata, Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from serving.deps import BundleDep, MetricsDep, ReloaderDep
from serving.metrics import CONTENT_TYPE

router = APIRouter(tags=["ops"])


@router.get("/health")
def health() -> dict[str, str]:
    """Alive: answers 200 whenever the process serves HTTP."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "no model loaded"}})
def ready(reloader: ReloaderDep) -> JSONResponse:
    bundle = reloader.current if reloader else None
    if bundle is None:
        reason = reloader.stats.last_error if reloader else "starting"
        return JSONResponse({"status": "not ready", "reason": reason or "no model loaded"},
                            status_code=503)
    return JSONResponse({"status": "ready", "model_version": bundle.version,
                         "bundle_id": bundle.bundle_id})


@router.get("/model", responses={503: {"description": "no model loaded"}})
def model(bundle: BundleDep, reloader: ReloaderDep) -> dict[str, Any]:
    info = bundle.describe()
    if reloader is not None:
        info["source"] = reloader.source
        info["registry_uri"] = reloader.registry_uri if reloader.source == "registry" else None
        info["last_reload_error"] = reloader.stats.last_error
    return info


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(registry: MetricsDep) -> PlainTextResponse:
    return PlainTextResponse(registry.expose(), media_type=CONTENT_TYPE)
