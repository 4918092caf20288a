"""The feature contract (docs/contracts.md section 3): names, vocabularies, features.json.

Which features exist, in which order, with which categories; `baskets.py` computes them in
numpy for the API and the scorer, dbt in SQL for training, and a parity test holds the two
equal. No pandas: a pandas DataFrame is accepted wherever columns are, because it is
indexable by column name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CLASSES = ("LA", "MM", "UM")  # what the model predicts
UNCLASSIFIED = "XX"  # the label of a basket that cannot be classified; an answer too, by rule
ANSWERS = (*CLASSES, UNCLASSIFIED)
# A rule a bundle carries (bundle.json "rules"): a basket whose every line is a product of class
# XX is answered XX. On the real weeks every XX basket holds only such products and no other
# basket does, so the model (trained on LA/MM/UM) must not be asked.
XX_RULE = "xx_when_every_line_is_xx"

NUMERIC_FEATURES: tuple[str, ...] = (
    "n_lines",
    "total_quantity",
    "total_spend",
    "avg_p_la",
    "avg_p_mm",
    "avg_p_um",
    "max_p_la",
    "max_p_um",
    "avg_log_price_index",
    "known_product_share",
    "shop_weekday",
    "shop_hour",
    "la_class_lines",
    "mm_class_lines",
    "um_class_lines",
    "xx_class_lines",
    "unclassed_lines",
    "la_class_share",
    "um_class_share",
    "class_balance",
    "la_class_spend_share",
    "um_class_spend_share",
)

CATEGORICAL_FEATURES: dict[str, tuple[str, ...]] = {
    "store_format": ("LS", "MS", "SS", "XLS"),
    "store_region": tuple(f"{area}0{i}" for area in "ENSW" for i in (1, 2, 3)),
    "cust_price_sensitivity": ("LA", "MM", "UM", "XX"),
    "cust_lifestage": ("YA", "OA", "YF", "OF", "PE", "OT", "XX"),
}

PRODUCT_STAT_COLUMNS = ("n_lines", "p_la", "p_mm", "p_um", "log_price_index")

# Labels of the product's past single-line baskets, from which its class comes. Online
# tables written before these columns existed load with zeros: every product unclassed.
PRODUCT_CLASS_COLUMNS = ("n_solo_la", "n_solo_mm", "n_solo_um", "n_solo_xx")
PRODUCT_CLASSES = ("LA", "MM", "UM", "XX")  # in PRODUCT_CLASS_COLUMNS order

# Numeric features that come from the basket's context rather than from its lines.
CONTEXT_NUMERIC = ("shop_weekday", "shop_hour")

UNKNOWN_PRODUCT = {"n_lines": 0, "p_la": 1 / 3, "p_mm": 1 / 3, "p_um": 1 / 3, "log_price_index": 0.0,
                   **dict.fromkeys(PRODUCT_CLASS_COLUMNS, 0)}
INTEGER_STATS = ("n_lines", *PRODUCT_CLASS_COLUMNS)


@dataclass(frozen=True)
class FeatureSpec:
    """The ordered feature list and encodings a model was trained on (features.json)."""

    numeric: tuple[str, ...]
    categorical: dict[str, tuple[str, ...]]
    classes: tuple[str, ...] = CLASSES

    def encoded_names(self) -> list[str]:
        names = list(self.numeric)
        for name, values in self.categorical.items():
            names.extend(f"{name}={value}" for value in values)
        return names

    def to_json(self) -> dict[str, Any]:
        return {
            "numeric": list(self.numeric),
            "categorical": {name: list(values) for name, values in self.categorical.items()},
            "classes": list(self.classes),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | str | bytes) -> FeatureSpec:
        if isinstance(d, (str, bytes)):
            d = json.loads(d)
        if not isinstance(d, Mapping):
            raise ValueError("features.json: expected an object")
        try:
            numeric = _str_tuple(d["numeric"], "numeric")
            categorical_raw = d["categorical"]
            classes = _str_tuple(d["classes"], "classes")
        except KeyError as exc:
            raise ValueError(f"features.json: missing key {exc.args[0]!r}") from None
        if not isinstance(categorical_raw, Mapping):
            raise ValueError("features.json: 'categorical' must be an object")
        categorical = {
            str(name): _str_tuple(values, f"categorical.{name}")
            for name, values in categorical_raw.items()
        }
        if not classes:
            raise ValueError("features.json: 'classes' is empty")
        for label, values in [("numeric", numeric), ("classes", classes),
                              *((f"categorical.{n}", v) for n, v in categorical.items())]:
            if len(set(values)) != len(values):
                raise ValueError(f"features.json: duplicate entries in {label!r}")
        return cls(numeric=numeric, categorical=categorical, classes=classes)


def _str_tuple(values: Any, what: str) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise ValueError(f"features.json: {what!r} must be a list of strings")
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"features.json: {what!r} must be a list of strings")
    return tuple(values)


def default_spec() -> FeatureSpec:
    return FeatureSpec(
        numeric=NUMERIC_FEATURES,
        categorical=dict(CATEGORICAL_FEATURES),
        classes=CLASSES,
    )
