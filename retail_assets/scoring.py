"""Basket-level scoring and evaluation of weekly files with a model bundle (Dagster-free).

Features are computed by the contract's own code (retail_assets.contract.baskets), so what the CLI
scores is exactly what the API would answer.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from retail_assets.contract.bundle import Bundle, load_bundle
from retail_assets.contract.bundle_format import BundleError
from retail_assets.contract.registry_index import resolve_production
from retail_assets.ingest.weekly import parse_weekly_file

CONTEXT = {
    "STORE_FORMAT": "store_format", "STORE_REGION": "store_region", "SHOP_WEEKDAY": "shop_weekday",
    "SHOP_HOUR": "shop_hour", "CUST_PRICE_SENSITIVITY": "cust_price_sensitivity",
    "CUST_LIFESTAGE": "cust_lifestage", "BASKET_PRICE_SENSITIVITY": "label", "SHOP_WEEK": "shop_week",
}


def open_bundle(bundle: str, registry_index_uri: str) -> Bundle:
    """`bundle` is a bundle path/URI or the word "production" (resolved in the registry)."""
    if bundle == "production":
        ref = resolve_production(registry_index_uri)
        if ref is None:
            raise BundleError(f"no Production version in the registry at {registry_index_uri}; run `retail run` first")
        return load_bundle(ref.bundle_uri)
    return load_bundle(bundle)


@dataclass
class ScoringInput:
    baskets: pa.Table  # basket_id + context columns + label + shop_week, one row per basket
    lines: pa.Table  # basket_id, prod_code, quantity, spend
    rows_quarantined: int


def read_weekly_files(paths: list[Path]) -> ScoringInput:
    """Validate files as ingestion does; quarantined rows are left out and counted (on stderr)."""
    goods, quarantined = [], 0
    for path in paths:
        result = parse_weekly_file(path.name, path.read_bytes())  # FileRejected names the file
        if result.quarantine.num_rows:
            print(f"{path.name}: {result.quarantine.num_rows} rows quarantined and not scored: {result.reasons}", file=sys.stderr)
        quarantined += result.quarantine.num_rows
        goods.append(result.good)
    good = pa.concat_tables(goods)
    grouped = good.group_by("BASKET_ID", use_threads=False).aggregate([(c, "first") for c in CONTEXT])
    baskets = pa.table(
        {"basket_id": grouped.column("BASKET_ID"), **{v: grouped.column(f"{k}_first") for k, v in CONTEXT.items()}}
    ).sort_by("basket_id")
    lines = pa.table({
        "basket_id": good.column("BASKET_ID"), "prod_code": good.column("PROD_CODE"),
        "quantity": good.column("QUANTITY"), "spend": good.column("SPEND"),
    })
    return ScoringInput(baskets=baskets, lines=lines, rows_quarantined=quarantined)


def score(bundle: Bundle, data: ScoringInput) -> pa.Table:
    labels, proba = bundle.predict(data.baskets, data.lines)
    columns = {"BASKET_ID": data.baskets.column("basket_id"), "predicted_label": pa.array(labels.astype(str))}
    for i, name in enumerate(bundle.classes):
        columns[f"p_{name}"] = pa.array(proba[:, i].astype(np.float64))
    return pa.table(columns)


def evaluate(bundle: Bundle, data: ScoringInput) -> dict:
    """Metrics of the bundle's answers (its XX rule included) on every labelled basket of `data`."""
    from retail_assets.ml.metrics import evaluation_json

    predicted, _ = bundle.predict(data.baskets, data.lines)
    return evaluation_json(data.baskets.column("label").to_pylist(), predicted)
