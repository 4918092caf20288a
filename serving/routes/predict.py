"""POST /predict: one basket or a batch, scored by the currently serving bundle."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Body
from fastapi.exceptions import RequestValidationError

from retail_assets.contract.features import CATEGORICAL_FEATURES
from serving.deps import BundleDep, MetricsDep, SettingsDep
from serving.schemas import Basket, BasketBatch, Prediction, PredictRequest, PredictResponse

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


def _columns(baskets: list[Basket]) -> tuple[dict, dict]:
    """Request baskets as feature-builder columns; positions serve as basket ids."""
    ids = np.arange(len(baskets))
    basket_cols: dict = {
        "basket_id": ids,
        "shop_weekday": np.fromiter((b.shop_weekday for b in baskets), np.int64, len(baskets)),
        "shop_hour": np.fromiter((b.shop_hour for b in baskets), np.int64, len(baskets)),
    }
    for name in CATEGORICAL_FEATURES:
        basket_cols[name] = [getattr(b, name) for b in baskets]
    lines = [line for b in baskets for line in b.lines]
    line_cols = {
        "basket_id": np.repeat(ids, [len(b.lines) for b in baskets]),
        "prod_code": [line.prod_code for line in lines],
        "quantity": np.fromiter((line.quantity for line in lines), np.int64, len(lines)),
        "spend": np.fromiter((line.spend for line in lines), np.float64, len(lines)),
    }
    return basket_cols, line_cols


@router.post("/predict", responses={503: {"description": "no model loaded"}})
def predict(
    payload: Annotated[PredictRequest, Body()],
    bundle: BundleDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> PredictResponse:
    batch = isinstance(payload, BasketBatch)
    baskets = payload.baskets if isinstance(payload, BasketBatch) else [payload]
    _check_limits(baskets, settings.max_baskets_per_request, settings.max_lines_per_basket, batch)
    basket_cols, line_cols = _columns(baskets)
    try:
        labels, proba = bundle.predict(basket_cols, line_cols)
    except ValueError as exc:  # the feature builder's input checks
        raise RequestValidationError([{"type": "value_error", "loc": ("body",), "msg": str(exc)}]) from None

    classes = bundle.classes
    for label, count in Counter(labels.tolist()).items():
        metrics.predictions.inc(label, bundle.version, amount=count)
    return PredictResponse(
        model_version=bundle.version,
        bundle_id=bundle.bundle_id,
        predictions=[
            Prediction(basket_id=b.basket_id, label=label, probabilities=dict(zip(classes, row)))
            for b, label, row in zip(baskets, labels.tolist(), proba.tolist(), strict=True)
        ],
    )
