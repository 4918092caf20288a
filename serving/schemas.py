"""Request and response bodies of the serving API (docs/contracts.md section 5).

Numbers are strict (no "3" for 3, no true for 1) and bounded, so nothing a client
sends can reach the model as NaN, infinity or an overflow. Category codes must be
strings; an unknown code is allowed and encodes to zeros, like in training.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

Code = Annotated[str, Field(min_length=1, max_length=32)]
BasketId = Annotated[int, Field(strict=True, ge=0, le=2**63 - 1)] | Annotated[
    str, Field(strict=True, min_length=1, max_length=64)
]

# Hard caps, whatever the settings say; the configured limits are checked in the route.
HARD_MAX_BASKETS = 100_000
HARD_MAX_LINES = 100_000


class Line(BaseModel):
    model_config = ConfigDict(extra="ignore")

    prod_code: Code
    quantity: Annotated[int, Field(strict=True, ge=1, le=1_000_000)]
    spend: Annotated[float, Field(strict=True, ge=0, le=1e7, allow_inf_nan=False)]


class Basket(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{
            "basket_id": 994100100398294, "store_format": "LS", "store_region": "E02",
            "shop_weekday": 3, "shop_hour": 17, "cust_price_sensitivity": "MM",
            "cust_lifestage": "YF",
            "lines": [{"prod_code": "PRD0900001", "quantity": 2, "spend": 1.49}],
        }]},
    )

    basket_id: BasketId | None = None
    store_format: Code
    store_region: Code
    shop_weekday: Annotated[int, Field(strict=True, ge=1, le=7, description="1 = Sunday")]
    shop_hour: Annotated[int, Field(strict=True, ge=0, le=23)]
    cust_price_sensitivity: Code | None = None
    cust_lifestage: Code | None = None
    lines: Annotated[list[Line], Field(min_length=1, max_length=HARD_MAX_LINES)]


class BasketBatch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    baskets: Annotated[list[Basket], Field(min_length=1, max_length=HARD_MAX_BASKETS)]


def _request_kind(value: Any) -> str:
    if isinstance(value, dict) and "baskets" in value:
        return "batch"
    if isinstance(value, (BasketBatch, Basket)):
        return "batch" if isinstance(value, BasketBatch) else "basket"
    return "basket"


# One basket, or {"baskets": [...]}. The tag only picks the model; error locations
# have it removed again (see app.validation_error_handler).
PredictRequest = Annotated[
    Annotated[Basket, Tag("basket")] | Annotated[BasketBatch, Tag("batch")],
    Discriminator(_request_kind),
]
REQUEST_TAGS = ("basket", "batch")


class Prediction(BaseModel):
    basket_id: int | str | None
    label: str
    probabilities: dict[str, float]


class PredictResponse(BaseModel):
    model_version: str
    bundle_id: str
    predictions: list[Prediction]
