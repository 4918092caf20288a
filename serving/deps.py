"""FastAPI dependencies: the app's settings, metrics and currently serving bundle.

`async def`, although none awaits: FastAPI runs a plain `def` dependency in the thread pool,
and three hops there and back per request cost more than the whole model run of one basket."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request

from retail_assets.contract.bundle import Bundle
from serving.metrics import ServingMetrics
from serving.reloader import BundleReloader
from serving.settings import ServingSettings, get_settings


def settings_of(app: FastAPI) -> ServingSettings:
    """The app's settings: those it was created with, else the environment's (lazily)."""
    if getattr(app.state, "settings", None) is None:
        app.state.settings = get_settings()
    return app.state.settings


async def app_settings(request: Request) -> ServingSettings:
    return settings_of(request.app)


async def app_metrics(request: Request) -> ServingMetrics:
    return request.app.state.metrics


async def app_reloader(request: Request) -> BundleReloader | None:
    return getattr(request.app.state, "reloader", None)


async def current_bundle(reloader: Annotated[BundleReloader | None, Depends(app_reloader)]) -> Bundle:
    bundle = reloader.current if reloader else None
    if bundle is None:
        raise HTTPException(status_code=503, detail="no model loaded yet")
    return bundle


SettingsDep = Annotated[ServingSettings, Depends(app_settings)]
MetricsDep = Annotated[ServingMetrics, Depends(app_metrics)]
ReloaderDep = Annotated[BundleReloader | None, Depends(app_reloader)]
BundleDep = Annotated[Bundle, Depends(current_bundle)]
