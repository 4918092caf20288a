"""POST /predict: one basket or a batch, scored by the currently serving bundle, with provenance."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from retail_assets.contract.bundle import Bundle
from retail_assets.contract.features import XX_RULE
from retail_assets.contract.golden import basket_columns
from serving.deps import BundleDep, MetricsDep, SettingsDep
from serving.metrics import ServingMetrics
from serving.schemas import PREDICT_EXAMPLES, Basket, BasketBatch, PredictRequest, PredictResponse

router = APIRouter(tags=["predict"])


def _limit_error(loc: tuple[str | int, ...], msg: str) -> RequestValidationError:
    return RequestValidationError([{"type": "too_long", "loc": ("body", *loc), "msg": msg}])


def _check_limits(baskets: list[Basket], max_baskets: int, max_lines: int, batch: bool) -> None:
    if len(baskets) > max_baskets:
        raise _limit_error(("baskets",), f"at most {max_baskets} baskets per request")
    for i, basket in enumerate(baskets):
        if len(basket.lines) > max_lines:
            loc = ("baskets", i, "lines") if batch else ("lines",)
            raise _limit_error(loc, f"at most {max_lines} lines per basket")


_PROVENANCE: dict[int, tuple[Bundle, str]] = {}


def provenance_json(bundle: Bundle) -> str:
    """The answer's provenance fields as a JSON fragment, computed once per bundle."""
    cached = _PROVENANCE.get(id(bundle))
    if cached is None or cached[0] is not bundle:
        fields = {"model_version": bundle.version, "bundle_id": bundle.bundle_id, "model_name": bundle.model_name,
                  "training_weeks": bundle.training_weeks(), "product_snapshot": bundle.product_snapshot()}
        cached = (bundle, json.dumps(fields, separators=(",", ":"))[1:-1])
        _PROVENANCE.clear()  # one serving bundle at a time (two while a swap is in flight)
        _PROVENANCE[id(bundle)] = cached
    return cached[1]


def answer_json(bundle: Bundle, baskets: list[Basket], labels: np.ndarray, proba: np.ndarray,
                features: dict[str, np.ndarray]) -> bytes:
    """The response body (PredictResponse), encoded directly: the same JSON pydantic would give,
    without building a model object per basket on the hot path."""
    classes = bundle.classes
    n_lines = features["n_lines"].tolist()
    # known_product_share is the share of lines whose product has statistics (n_lines > 0).
    unknown = np.rint(features["n_lines"] * (1.0 - features["known_product_share"])).astype(np.int64).tolist()
    unclassed = features["unclassed_lines"].tolist()
    ruled = bundle.rule_mask(features)
    rules = [XX_RULE if r else None for r in ruled.tolist()] if ruled is not None else [None] * len(baskets)
    predictions: list[dict[str, Any]] = [
        {"basket_id": b.basket_id, "label": label, "probabilities": dict(zip(classes, row, strict=True)),
         "rule": rule, "n_lines": n, "unknown_product_lines": u, "unclassed_lines": c}
        for b, label, row, rule, n, u, c in zip(baskets, labels.tolist(), proba.tolist(), rules, n_lines, unknown,
                                                unclassed, strict=True)
    ]
    body = json.dumps(predictions, separators=(",", ":"), allow_nan=False)
    return f'{{{provenance_json(bundle)},"predictions":{body}}}'.encode()


# Bodies up to this size are scored on the event loop: for one basket (about 1 ms of work) a hop
# to the thread pool and back costs more than it saves, and the hop's GIL hand-offs make the tail.
INLINE_MAX_BYTES = 16 * 1024
REQUEST = TypeAdapter(PredictRequest)
REQUEST_SCHEMA = REQUEST.json_schema(ref_template="#/components/schemas/{model}")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _invalid(exc: ValidationError) -> RequestValidationError:
    return RequestValidationError([{**e, "loc": ("body", *e["loc"])}
                                   for e in exc.errors(include_url=False, include_input=False)])


def _answer(body: bytes, bundle: Bundle, max_baskets: int, max_lines: int,
            metrics: ServingMetrics, log_fields: dict[str, Any] | None) -> bytes:
    """Parse (pydantic-core straight from the bytes), check limits, score, encode."""
    try:
        payload = REQUEST.validate_json(body)
    except ValidationError as exc:
        raise _invalid(exc) from None
    batch = isinstance(payload, BasketBatch)
    baskets = payload.baskets if isinstance(payload, BasketBatch) else [payload]
    _check_limits(baskets, max_baskets, max_lines, batch)
    try:
        labels, proba, features = bundle.score(*basket_columns(baskets, getattr))
    except ValueError as exc:  # the feature builder's input checks
        raise RequestValidationError([{"type": "value_error", "loc": ("body",), "msg": str(exc)}]) from None
    counts = Counter(labels.tolist())
    for label, count in counts.items():
        metrics.predictions.labels(label, bundle.version).inc(count)
    if log_fields is not None:
        log_fields.update(model_version=bundle.version, baskets=len(baskets), labels=dict(counts))
    return answer_json(bundle, baskets, labels, proba, features)


@router.post(
    "/predict",
    response_model=PredictResponse,
    responses={422: {"description": "invalid input: `message` names each offending field"},
               503: {"description": "no model loaded yet"}},
    summary="Price sensitivity of one basket or a batch",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {k: v for k, v in REQUEST_SCHEMA.items() if k != "$defs"}, "examples": PREDICT_EXAMPLES}}}},
)
async def predict(request: Request, bundle: BundleDep, settings: SettingsDep, metrics: MetricsDep) -> Response:
    """Each basket's class (LA, MM, UM; XX when it cannot be classified) and class
    probabilities, with the provenance of the answer: the model version and bundle, the
    weeks it was trained on, the product-feature snapshot it looked products up in, and per
    basket how many lines had a product without statistics or without a class.

    The body is one basket, or `{"baskets": [...]}` (see the Basket and BasketBatch schemas)."""
    if not _is_json(request.headers.get("content-type", "")):
        raise RequestValidationError([{"type": "content_type", "loc": ("body",),
                                       "msg": "send the body as JSON (Content-Type: application/json)"}])
    body = await request.body()
    args = (body, bundle, settings.max_baskets_per_request, settings.max_lines_per_basket, metrics,
            request.scope.get("state", {}).get("log"))
    answer = _answer(*args) if len(body) <= INLINE_MAX_BYTES else await run_in_threadpool(_answer, *args)
    return Response(answer, media_type="application/json")
