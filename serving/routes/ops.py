"""Operational endpoints: liveness, readiness, model metadata, Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from retail_assets.contract.bundle import Bundle
from serving.deps import BundleDep, MetricsDep, ReloaderDep
from serving.metrics import CONTENT_TYPE
from serving.reloader import BundleReloader
from serving.schemas import ModelInfo

router = APIRouter(tags=["ops"])


@router.get("/health")
def health() -> dict[str, str]:
    """Alive: answers 200 whenever the process serves HTTP."""
    return {"status": "ok"}


def _golden(bundle: Bundle) -> dict[str, Any] | None:
    return bundle.describe()["golden"]


@router.get("/ready", responses={503: {"description": "no model that matched its golden input is loaded"}})
def ready(reloader: ReloaderDep) -> JSONResponse:
    """Ready: a model is loaded and has reproduced the golden input shipped in its bundle."""
    bundle = reloader.current if reloader else None
    if bundle is None:
        reason = reloader.stats.last_error if reloader else "starting"
        return JSONResponse({"status": "not ready", "reason": reason or "no model loaded"},
                            status_code=503)
    return JSONResponse({"status": "ready", "model_version": bundle.version, "bundle_id": bundle.bundle_id,
                         "golden": _golden(bundle)})


def model_info(bundle: Bundle, reloader: BundleReloader | None) -> dict[str, Any]:
    info = bundle.describe()
    return {
        **info, "model_version": bundle.version, "gates": bundle.gates(),
        "source": reloader.source if reloader else "bundle",
        "registry_uri": reloader.registry_uri if reloader and reloader.source == "registry" else None,
        "last_reload_error": reloader.stats.last_error if reloader else None,
        "last_refused": reloader.stats.last_refused if reloader else None,
    }


@router.get("/model", response_model=ModelInfo, responses={503: {"description": "no model loaded"}})
def model(bundle: BundleDep, reloader: ReloaderDep) -> dict[str, Any]:
    """The serving model: provenance (version, bundle, training weeks, product snapshot), its
    validation metrics and quality gates, its golden check, and why the latest reload was refused."""
    return model_info(bundle, reloader)


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
def metrics(registry: MetricsDep) -> Response:
    """Prometheus text exposition of this worker's metrics."""
    return Response(registry.expose(), media_type=CONTENT_TYPE)
