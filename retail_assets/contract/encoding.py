"""Feature columns as the model's inputs: one [N, 1] array per feature, and the one-hot layout.

A bundle's ONNX graph takes the raw feature values, one input per feature, and one-hot
encodes the categorical ones inside; `model_inputs` builds those feeds. `encode` gives the
same one-hot layout as a matrix (numeric features, then one block per categorical feature),
the layout the graph's encoder must reproduce.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_assets.contract.features import FeatureSpec


def column(columns: Any, name: str, what: str) -> Any:
    try:
        return columns[name]
    except (KeyError, IndexError):
        raise ValueError(f"{what}: missing column {name!r}") from None


def to_numpy(values: Any) -> np.ndarray:
    if isinstance(values, (pa.ChunkedArray, pa.Array)):
        return values.to_numpy(zero_copy_only=False)
    return np.asarray(values)


def _n_rows(columns: Any) -> int | None:
    if isinstance(columns, pa.Table):
        return columns.num_rows
    return None


def _string_array(values: Any) -> pa.Array:
    """Any 1-D array-like of category values as an Arrow string array; non-strings and
    missing values (None, NaN, pd.NA) become nulls, so they encode to all zeros."""
    if isinstance(values, pa.ChunkedArray):
        arr: pa.Array = values.combine_chunks()
    elif isinstance(values, pa.Array):
        arr = values
    else:
        try:
            arr = pa.array(values, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            # Mixed types (e.g. strings and ints): only genuine strings are categories.
            seq = np.asarray(values, dtype=object).ravel()
            return pa.array([v if isinstance(v, str) else None for v in seq], pa.string())
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_string(arr.type):
        return arr
    if pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type):
        return arr.cast(pa.string())
    # Not strings at all (numbers, nulls): no value can match a category.
    return pa.nulls(len(arr), pa.string())


@lru_cache(maxsize=64)
def _category_positions(categories: tuple[str, ...]) -> dict[str, int]:
    return {value: i for i, value in enumerate(categories)}


# Below this many rows a dict lookup per row beats Arrow's per-call overhead (the API's
# case); above it, Arrow's hash lookup is vectorised (training's case).
_SMALL = 512


def _category_index(values: Any, categories: tuple[str, ...]) -> np.ndarray:
    """Position of each value in `categories`, -1 for unknown or missing values."""
    if not isinstance(values, (pa.Array, pa.ChunkedArray)) and len(values) <= _SMALL:
        positions = _category_positions(categories)
        try:
            return np.fromiter(
                (positions.get(v, -1) if isinstance(v, str) else -1 for v in values),
                dtype=np.intp, count=len(values),
            )
        except TypeError:
            pass  # not iterable as scalars; let Arrow sort it out
    arr = _string_array(values)
    index = pc.index_in(arr, value_set=pa.array(categories, pa.string()))
    return index.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp, copy=False)


def _numeric_array(values: Any, name: str) -> np.ndarray:
    values = to_numpy(values)
    if values.ndim != 1:
        raise ValueError(f"encode: feature {name!r} must be 1-D, got shape {values.shape}")
    if values.dtype.kind not in "biuf":
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"encode: numeric feature {name!r} is not numeric") from None
    return values


def encode(columns: Any, spec: FeatureSpec) -> np.ndarray:
    """Encode feature columns into the model input: float32 [N, len(spec.encoded_names())].

    `columns` maps a feature name to a 1-D array-like (dict of numpy arrays or lists,
    a pandas DataFrame, a pyarrow Table, or the output of `basket_features`). Numeric
    features come first in spec order, then one one-hot block per categorical feature;
    an unknown or missing category gives an all-zero block. Missing or non-finite
    numeric values are an error: no feature of the contract can be missing.
    """
    numeric = [_numeric_array(column(columns, name, "encode"), name) for name in spec.numeric]
    categorical = [
        _category_index(column(columns, name, "encode"), values)
        for name, values in spec.categorical.items()
    ]
    lengths = {len(a) for a in (*numeric, *categorical)}
    if len(lengths) > 1:
        raise ValueError(f"encode: feature columns differ in length: {sorted(lengths)}")
    n = lengths.pop() if lengths else _n_rows(columns) or 0
    width = len(spec.numeric) + sum(len(v) for v in spec.categorical.values())

    out = np.zeros((n, width), dtype=np.float32)
    with np.errstate(all="ignore"):  # overflow to inf is caught just below
        for j, values in enumerate(numeric):
            out[:, j] = values
    block = out[:, : len(numeric)]
    if not np.isfinite(block).all():
        bad = ~np.isfinite(block)
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        raise ValueError(f"encode: numeric feature {spec.numeric[j]!r} has "
                         f"{int(bad[:, j].sum())} missing or non-finite values")

    start = len(numeric)
    rows = np.arange(n)
    for index, categories in zip(categorical, spec.categorical.values(), strict=True):
        known = index >= 0
        out[rows[known], start + index[known]] = 1.0
        start += len(categories)
    return out


UNKNOWN_CATEGORY = ""  # what a missing or unknown category is sent as; the graph one-hot encodes it to zeros


def model_inputs(columns: Any, spec: FeatureSpec) -> dict[str, np.ndarray]:
    """Feeds for the bundle's ONNX graph: float32 [N, 1] per numeric feature, object [N, 1] per categorical.

    Validated as `encode` validates (a missing or non-finite number is an error); a category
    outside features.json, a missing or a non-string one is sent as "", which the graph maps
    to an all-zero block, exactly as `encode` does.
    """
    feeds: dict[str, np.ndarray] = {}
    for name in spec.numeric:
        values = _numeric_array(column(columns, name, "encode"), name)
        with np.errstate(all="ignore"):  # overflow to inf is caught just below
            values32 = values.astype(np.float32)
        bad = ~np.isfinite(values32)
        if bad.any():
            raise ValueError(f"encode: numeric feature {name!r} has {int(bad.sum())} missing or non-finite values")
        feeds[name] = values32.reshape(-1, 1)
    for name, categories in spec.categorical.items():
        index = _category_index(column(columns, name, "encode"), categories)
        vocabulary = np.asarray((*categories, UNKNOWN_CATEGORY), dtype=object)  # index -1 picks ""
        feeds[name] = vocabulary[index].reshape(-1, 1)
    lengths = {len(a) for a in feeds.values()}
    if len(lengths) > 1:
        raise ValueError(f"encode: feature columns differ in length: {sorted(lengths)}")
    return feeds
