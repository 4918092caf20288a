"""The golden input of a bundle (golden.json): real baskets and the answers its graph gave them.

Written with the bundle (`golden_document`), from baskets of the validation weeks' raw
partitions, in the request shape of `POST /predict`; reproduced by every loader
(`bundle.load_bundle`), which refuses a bundle whose graph, product table or feature code no
longer gives those answers. The same baskets are the sample the web page loads.

golden.json: `{"source": "raw weeks 200613,200614" | "synthetic ...", "tolerance": 1e-4,
"classes": [...], "baskets": [basket, ...], "observed_labels": [label or null, ...],
"expected": [{"label": "UM", "probabilities": [p_LA, p_MM, p_UM]}, ...]}`. The expected answers
are the model's own (graph, product table and feature code), before any rule of bundle.json.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_assets.contract.features import CATEGORICAL_FEATURES

TOLERANCE = 1e-4  # on each probability; the graph is float32 and runtimes may differ in the last bits
SAMPLE_SIZE = 64

# The dunnhumby line columns a basket is rebuilt from (raw partitions, contracts.md section 1).
RAW_COLUMNS = {"basket_id": "BASKET_ID", "prod_code": "PROD_CODE", "quantity": "QUANTITY", "spend": "SPEND",
               "store_format": "STORE_FORMAT", "store_region": "STORE_REGION", "shop_weekday": "SHOP_WEEKDAY",
               "shop_hour": "SHOP_HOUR", "cust_price_sensitivity": "CUST_PRICE_SENSITIVITY",
               "cust_lifestage": "CUST_LIFESTAGE", "label": "BASKET_PRICE_SENSITIVITY"}
CONTEXT = ("store_format", "store_region", "shop_weekday", "shop_hour", "cust_price_sensitivity", "cust_lifestage")


def _item(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name)


def basket_columns(baskets: Sequence[Any], field: Callable[[Any, str], Any] = _item) -> tuple[dict, dict]:
    """Request-shaped baskets (dicts, or objects with those attributes, whose lines are dicts) as
    the feature builder's basket and line columns; positions serve as basket ids."""
    n = len(baskets)
    ids = np.arange(n)
    basket_cols: dict[str, Any] = {
        "basket_id": ids,
        "shop_weekday": np.fromiter((field(b, "shop_weekday") for b in baskets), np.int64, n),
        "shop_hour": np.fromiter((field(b, "shop_hour") for b in baskets), np.int64, n),
    }
    for name in CATEGORICAL_FEATURES:
        basket_cols[name] = [field(b, name) for b in baskets]
    per_basket = [field(b, "lines") for b in baskets]
    lines = [line for basket_lines in per_basket for line in basket_lines]
    line_cols = {  # lines are mappings either way (the API validates them into dicts)
        "basket_id": np.repeat(ids, [len(x) for x in per_basket]),
        "prod_code": [line["prod_code"] for line in lines],
        "quantity": np.fromiter((line["quantity"] for line in lines), np.int64, len(lines)),
        "spend": np.fromiter((line["spend"] for line in lines), np.float64, len(lines)),
    }
    return basket_cols, line_cols


def sample_raw_baskets(lines: pa.Table, n: int = SAMPLE_SIZE, seed: int = 0) -> tuple[list[dict], list[str | None]]:
    """Up to `n` baskets of raw line rows, as request bodies, with their observed labels.

    Spread over basket sizes (every size class from 1 line to the largest is drawn from), so
    the sample holds small and large baskets alike; deterministic for a seed."""
    ids = lines.column(RAW_COLUMNS["basket_id"]).to_numpy(zero_copy_only=False)
    unique, counts = np.unique(ids, return_counts=True)
    if not len(unique):
        return [], []
    rng = np.random.default_rng(seed)
    order = np.argsort(counts, kind="stable")
    strata = np.array_split(order, min(n, len(order)))
    chosen = np.sort(unique[[int(rng.choice(s)) for s in strata if len(s)]])
    rows = lines.filter(pc.is_in(lines.column(RAW_COLUMNS["basket_id"]), pa.array(chosen))).to_pylist()
    by_basket: dict[int, list[dict]] = {}
    for row in rows:
        by_basket.setdefault(int(row[RAW_COLUMNS["basket_id"]]), []).append(row)
    baskets, observed = [], []
    for basket_id in chosen.tolist():
        group = by_basket[basket_id]
        first = group[0]
        body: dict[str, Any] = {"basket_id": basket_id}
        for name in CONTEXT:
            value = first.get(RAW_COLUMNS[name])
            body[name] = int(value) if name in ("shop_weekday", "shop_hour") and value is not None else value
        body["lines"] = [{"prod_code": r[RAW_COLUMNS["prod_code"]], "quantity": int(r[RAW_COLUMNS["quantity"]]),
                          "spend": round(float(r[RAW_COLUMNS["spend"]]), 2)} for r in group]
        baskets.append(body)
        observed.append(first.get(RAW_COLUMNS["label"]))
    return baskets, observed


def synthetic_baskets(prod_codes: Sequence[str], n: int = 16, seed: int = 0) -> list[dict]:
    """Baskets over known product codes (and one unknown), for a bundle written without raw weeks."""
    rng = np.random.default_rng(seed)
    codes = [*list(prod_codes)[:500], "PRD0000000"]
    formats, regions = CATEGORICAL_FEATURES["store_format"], CATEGORICAL_FEATURES["store_region"]
    return [{
        "basket_id": i, "store_format": formats[i % len(formats)], "store_region": regions[i % len(regions)],
        "shop_weekday": 1 + i % 7, "shop_hour": 8 + i % 12, "cust_price_sensitivity": None, "cust_lifestage": None,
        "lines": [{"prod_code": str(rng.choice(codes)), "quantity": int(rng.integers(1, 4)),
                   "spend": round(float(rng.gamma(2.0, 1.5)), 2)} for _ in range(1 + i % 12)],
    } for i in range(n)]


def golden_document(baskets: list[dict], predict: Callable[[dict, dict], tuple[np.ndarray, np.ndarray]],
                    classes: Sequence[str], *, source: str,
                    observed: Sequence[str | None] | None = None) -> dict[str, Any]:
    """golden.json for `baskets`, the expected answers being `predict`'s (the bundle's own path)."""
    labels, proba = predict(*basket_columns(baskets))
    return {
        "source": source,
        "tolerance": TOLERANCE,
        "classes": list(classes),
        "baskets": baskets,
        "observed_labels": list(observed) if observed is not None else [None] * len(baskets),
        "expected": [{"label": str(label), "probabilities": [round(float(p), 7) for p in row]}
                     for label, row in zip(labels.tolist(), proba.tolist(), strict=True)],
    }


def golden_mismatch(document: Mapping[str, Any], labels: np.ndarray, proba: np.ndarray) -> str | None:
    """What differs between the answers and golden.json's expected ones (None: they match).

    A label may differ only where the expected probabilities of the two labels are within the
    tolerance (a tie the last bits decide)."""
    expected = document["expected"]
    classes = list(document["classes"])
    tolerance = float(document.get("tolerance", TOLERANCE))
    if len(expected) != len(labels):
        return f"{len(labels)} answers for {len(expected)} golden baskets"
    for i, (want, label, row) in enumerate(zip(expected, labels.tolist(), proba.tolist(), strict=True)):
        diff = max(abs(a - b) for a, b in zip(want["probabilities"], row, strict=True))
        basket_id = document["baskets"][i].get("basket_id")
        if diff > tolerance:
            return (f"golden basket {i} (basket_id {basket_id}): probabilities {[round(p, 6) for p in row]} "
                    f"differ from the expected {want['probabilities']} by {diff:.2g} (tolerance {tolerance})")
        if label != want["label"]:
            probs = dict(zip(classes, want["probabilities"], strict=True))
            gap = abs(probs.get(label, 0.0) - probs.get(want["label"], 0.0))
            if gap > tolerance:
                return f"golden basket {i} (basket_id {basket_id}): label {label}, expected {want['label']}"
    return None


def raw_sample(lake_uri: str, weeks: Sequence[int | str], n: int = SAMPLE_SIZE,
               seed: int = 0) -> tuple[list[dict], list[str | None], str] | None:
    """A sample of the baskets of `weeks`' raw partitions in the lake (None when none can be read)."""
    from retail_assets.contract.lake import Lake
    from retail_assets.contract.lake_keys import raw_key

    lake = Lake.from_uri(lake_uri)
    tables, read = [], []
    for week in weeks:
        try:
            tables.append(lake.read_parquet(raw_key(week)).select(list(RAW_COLUMNS.values())))
            read.append(str(week))
        except (OSError, KeyError, pa.ArrowException):
            continue  # a week without its raw partition here (a copied lake, a test): take the others
    if not tables:
        return None
    baskets, observed = sample_raw_baskets(pa.concat_tables(tables), n, seed)
    return (baskets, observed, f"raw weeks {','.join(read)}") if baskets else None
