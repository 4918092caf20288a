"""Request and response bodies of the serving API (docs/contracts.md section 5).

Numbers are strict (no "3" for 3, no true for 1) and bounded, so nothing a client sends can
reach the model as NaN, infinity or an overflow. Store format and region, and the customer
codes, are enums of the contract's vocabularies (a 422 names the allowed values); product
codes are free: a product the model has no statistics for is answered, and counted in the
answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag
from typing_extensions import TypedDict

from retail_assets.contract.features import CATEGORICAL_FEATURES, CLASSES, PRODUCT_CLASSES

if TYPE_CHECKING:  # the vocabularies are only known at run time, from the contract
    StoreFormat: TypeAlias = str
    StoreRegion: TypeAlias = str
    CustPriceSensitivity: TypeAlias = str
    CustLifestage: TypeAlias = str
    Label: TypeAlias = str
else:
    StoreFormat = Literal[CATEGORICAL_FEATURES["store_format"]]
    StoreRegion = Literal[CATEGORICAL_FEATURES["store_region"]]
    CustPriceSensitivity = Literal[CATEGORICAL_FEATURES["cust_price_sensitivity"]]
    CustLifestage = Literal[CATEGORICAL_FEATURES["cust_lifestage"]]
    # What a basket is answered: a class of the model, or XX when it cannot be classified.
    Label = Literal[tuple(dict.fromkeys((*CLASSES, *PRODUCT_CLASSES)))]


def _whole_number(value: Any) -> Any:
    # JSON Schema's integer includes 3.0; strings and booleans stay refused (strict below).
    return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 2**63 else value


# Whole numbers: strict ints (no "3", no true) that also take 3.0, as JSON Schema's integer does.
Quantity = Annotated[int, Field(strict=True, ge=1, le=1_000_000, description="Units bought."),
                     BeforeValidator(_whole_number)]
Weekday = Annotated[int, Field(strict=True, ge=1, le=7, description="Day of the week, 1 = Sunday."),
                    BeforeValidator(_whole_number)]
Hour = Annotated[int, Field(strict=True, ge=0, le=23, description="Hour of the day the basket was bought."),
                 BeforeValidator(_whole_number)]


BasketId = Annotated[int, Field(strict=True, ge=0, le=2**63 - 1), BeforeValidator(_whole_number)] | Annotated[
    str, Field(strict=True, min_length=1, max_length=64)
]
ProdCode = Annotated[str, Field(min_length=1, max_length=32, description="Product code, e.g. PRD0900001. A "
                                "code the model has no statistics for is allowed and counted in the answer.")]

# Hard caps, whatever the settings say; the configured limits are checked in the route.
HARD_MAX_BASKETS = 100_000
HARD_MAX_LINES = 100_000

LINE_EXAMPLE: dict[str, Any] = {"prod_code": "PRD0900001", "quantity": 2, "spend": 1.49}
BASKET_EXAMPLE: dict[str, Any] = {
    "basket_id": 994100100398294, "store_format": "LS", "store_region": "E02",
    "shop_weekday": 3, "shop_hour": 17, "cust_price_sensitivity": "MM", "cust_lifestage": "YF",
    "lines": [LINE_EXAMPLE, {"prod_code": "PRD0900002", "quantity": 1, "spend": 0.93}],
}


class Line(TypedDict):
    """One line of a basket. A TypedDict, not a model: a batch holds thousands of lines, and
    validating them into dicts takes half the time of building an object per line."""

    __pydantic_config__ = ConfigDict(extra="ignore", json_schema_extra={"examples": [LINE_EXAMPLE]})  # type: ignore[misc]

    prod_code: ProdCode
    quantity: Quantity
    spend: Annotated[float, Field(strict=True, ge=0, le=1e7, allow_inf_nan=False,
                                  description="What the line cost, in pounds.")]


class Basket(BaseModel):
    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [BASKET_EXAMPLE]})

    basket_id: BasketId | None = Field(default=None, description="Echoed back; any integer or string.")
    store_format: StoreFormat = Field(description="Store format: LS (large), MS, SS (small), XLS (extra large).")
    store_region: StoreRegion = Field(description="Store region: E, N, S or W, then 01..03.")
    shop_weekday: Weekday
    shop_hour: Hour
    cust_price_sensitivity: CustPriceSensitivity | None = Field(
        default=None, description="The customer's own price-sensitivity segment, when known.")
    cust_lifestage: CustLifestage | None = Field(default=None, description="The customer's lifestage, when known.")
    lines: Annotated[list[Line], Field(min_length=1, max_length=HARD_MAX_LINES, description="The basket's lines.")]


class BasketBatch(BaseModel):
    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": [{"baskets": [BASKET_EXAMPLE]}]})

    baskets: Annotated[list[Basket], Field(min_length=1, max_length=HARD_MAX_BASKETS,
                                           description="Baskets, answered in this order.")]


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

# Examples shown by /docs for POST /predict.
PREDICT_EXAMPLES: dict[str, dict[str, Any]] = {
    "one basket": {"summary": "One basket of two known products", "value": BASKET_EXAMPLE},
    "unknown product": {"summary": "A product the model has never seen (counted in the answer)", "value": {
        **BASKET_EXAMPLE, "basket_id": "new-products", "cust_price_sensitivity": None, "cust_lifestage": None,
        "lines": [{"prod_code": "PRD9999999", "quantity": 1, "spend": 3.5}]}},
    "batch": {"summary": "A batch: answers come in the same order", "value": {"baskets": [
        BASKET_EXAMPLE, {**BASKET_EXAMPLE, "basket_id": 2, "store_format": "XLS", "store_region": "W01",
                         "shop_weekday": 7, "shop_hour": 10}]}},
}


class TrainingWeeks(BaseModel):
    first: int | None = Field(description="First training week (YYYYWW).")
    last: int | None = Field(description="Last training week (YYYYWW).")
    n: int = Field(description="Number of training weeks.")


class ProductSnapshot(BaseModel):
    sha256: str = Field(description="sha256 of the bundle's product-feature table (product_features.parquet).")
    as_of_week: int | None = Field(description="The last week the product statistics cover (YYYYWW).")
    n_products: int = Field(description="Products the table holds statistics for.")


class Provenance(BaseModel):
    model_version: str = Field(description="Registry version that answered, e.g. v0003.")
    bundle_id: str = Field(description="sha256 of the bundle's files (docs/contracts.md section 4).")
    model_name: str = Field(description="Model family: logistic_regression, decision_tree, random_forest, xgboost.")
    training_weeks: TrainingWeeks
    product_snapshot: ProductSnapshot


class Prediction(BaseModel):
    basket_id: int | str | None = Field(description="The request's basket_id, or null.")
    label: Label = Field(description="Predicted class: LA (less affluent), MM (mid market), UM (up market), "
                                     "or XX when the basket cannot be classified.")
    probabilities: dict[str, float] = Field(description="The model's probability of each class (also when a "
                                                        "rule decided the label).")
    rule: str | None = Field(default=None, description="The bundle rule that decided the label instead of the "
                                                       "model (xx_when_every_line_is_xx), or null.")
    n_lines: int = Field(description="Lines in the basket.")
    unknown_product_lines: int = Field(description="Lines whose product the model has no statistics for.")
    unclassed_lines: int = Field(description="Lines whose product has no class yet (too few single-line baskets).")


class PredictResponse(Provenance):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "model_version": "v0001", "bundle_id": "18c50be00b42" + "0" * 52, "model_name": "xgboost",
        "training_weeks": {"first": 200607, "last": 200612, "n": 6},
        "product_snapshot": {"sha256": "5e1f" + "0" * 60, "as_of_week": 200614, "n_products": 4321},
        "predictions": [{"basket_id": 994100100398294, "label": "UM",
                         "probabilities": {"LA": 0.01, "MM": 0.38, "UM": 0.61}, "rule": None,
                         "n_lines": 2, "unknown_product_lines": 0, "unclassed_lines": 1}],
    }]})

    predictions: list[Prediction]


class Gate(BaseModel):
    model_config = ConfigDict(extra="allow")

    gate: str | None = None
    value: float | None = None
    minimum: float | None = None
    passed: bool | None = None


class GoldenResult(BaseModel):
    baskets: int = Field(description="Golden baskets the bundle scored when it was loaded.")
    source: str | None = Field(description="Where they came from (raw validation weeks, or synthetic).")
    tolerance: float | None
    matched: bool = Field(description="True: the loaded model reproduced every expected answer.")


class ModelInfo(Provenance):
    model_config = ConfigDict(extra="allow")

    created_at: str | None
    bundle_uri: str
    loaded_at: str
    classes: list[str]
    n_features: int
    validation_weeks: list[int]
    metrics: dict[str, Any] = Field(description="Headline validation metrics of metrics.json.")
    gates: list[Gate] = Field(description="The quality gates the model passed at training.")
    golden: GoldenResult | None
    source: str = Field(description="registry: the Production version of the registry index; bundle: one fixed bundle.")
    registry_uri: str | None
    last_reload_error: str | None = Field(description="Why the latest reload was refused (the old model kept "
                                                      "serving), or null.")


class ProductHit(BaseModel):
    prod_code: str
    n_lines: int = Field(description="Labelled lines the product's statistics come from.")
    product_class: str | None = Field(description="The product's class (LA/MM/UM/XX), or null if none yet.")


class ProductSearch(BaseModel):
    total: int = Field(description="Products whose code starts with the query.")
    products: list[ProductHit]
