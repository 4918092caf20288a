"""Prometheus metrics (prometheus-client), one registry per app, so two apps in one process
(the tests) never share series. Request metrics are recorded by `RequestMiddleware`
(serving/observability.py); model state is read from the reloader when scraped."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from serving.reloader import BundleReloader

# The classic text format, which every Prometheus version parses (generate_latest writes it).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

# Error kinds by status: what /metrics counts under retail_errors_total{kind}.
ERROR_KINDS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large",
               415: "unsupported_media_type", 422: "validation", 503: "not_ready"}


def error_kind(status: int) -> str | None:
    if status < 400:
        return None
    return ERROR_KINDS.get(status, "internal" if status >= 500 else "client")


class ModelCollector(Collector):
    """The serving model's state, read from the reloader at scrape time."""

    def __init__(self, reloader: Callable[[], BundleReloader | None]) -> None:
        self._reloader = reloader

    def collect(self) -> Iterable[CounterMetricFamily | GaugeMetricFamily | InfoMetricFamily]:
        reloader = self._reloader()
        bundle = reloader.current if reloader else None
        info = InfoMetricFamily("retail_model", "The serving model: version, bundle id, model name, training weeks.")
        loaded = GaugeMetricFamily("retail_model_loaded", "1 when a model is loaded, has matched its golden "
                                   "input and serves.")
        age = GaugeMetricFamily("retail_feature_snapshot_age_seconds", "Seconds since the serving bundle (and "
                                "its product-feature snapshot) was written.")
        reloads = CounterMetricFamily("retail_model_reloads", "Bundle load attempts, by result.", labels=["result"])
        if bundle is not None:
            weeks = bundle.training_weeks()
            snapshot = bundle.product_snapshot()
            info.add_metric([], {"model_version": bundle.version, "bundle_id": bundle.bundle_id,
                                 "model_name": bundle.model_name,
                                 "training_weeks": f"{weeks['first']}..{weeks['last']}",
                                 "product_snapshot_sha256": snapshot["sha256"][:12],
                                 "product_snapshot_week": str(snapshot["as_of_week"])})
            if bundle.created_at_epoch is not None:
                age.add_metric([], max(0.0, time.time() - bundle.created_at_epoch))
        loaded.add_metric([], 1.0 if bundle is not None else 0.0)
        if reloader is not None:
            reloads.add_metric(["success"], float(reloader.stats.loads))
            reloads.add_metric(["failure"], float(reloader.stats.failures))
        yield from (info, loaded, age, reloads)


class ServingMetrics:
    """The app's metric families and its registry."""

    def __init__(self, reloader: Callable[[], BundleReloader | None]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram("retail_http_request_duration_seconds", "HTTP request latency in seconds, "
                                 "by route template and status.", ("method", "route", "status"),
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.predictions = Counter("retail_predictions", "Baskets answered, by class and model version.",
                                   ("label", "model_version"), registry=self.registry)
        self.errors = Counter("retail_errors", "Requests answered with an error, by kind.", ("kind",),
                              registry=self.registry)
        self.registry.register(ModelCollector(reloader))

    def expose(self) -> bytes:
        return generate_latest(self.registry)
