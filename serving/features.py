"""The basket feature definition (docs/contracts.md section 3), in numpy.

dbt computes the same features in SQL for training; a parity test compares the two,
feature by feature, so every definition here follows the contract to the letter. No
pandas: a pandas DataFrame is accepted wherever columns are, because it is indexable by
column name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

CLASSES = ("LA", "MM", "UM")

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
_INTEGER_STATS = ("n_lines", *PRODUCT_CLASS_COLUMNS)


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


# --------------------------------------------------------------------------- columns


def _column(columns: Any, name: str, what: str) -> Any:
    try:
        return columns[name]
    except (KeyError, IndexError):
        raise ValueError(f"{what}: missing column {name!r}") from None


def _to_numpy(values: Any) -> np.ndarray:
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
    values = _to_numpy(values)
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
    numeric = [_numeric_array(_column(columns, name, "encode"), name) for name in spec.numeric]
    categorical = [
        _category_index(_column(columns, name, "encode"), values)
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
    for index, values in zip(categorical, spec.categorical.values(), strict=True):
        known = index >= 0
        out[rows[known], start + index[known]] = 1.0
        start += len(values)
    return out


# --------------------------------------------------------------------------- products


class ProductTable:
    """The online product-feature table, indexed by prod_code (sorted, for searchsorted)."""

    def __init__(self, prod_codes: np.ndarray, stats: Mapping[str, np.ndarray]) -> None:
        codes = np.asarray(prod_codes).astype(str)
        order = np.argsort(codes, kind="stable")
        self._codes = codes[order]
        if len(self._codes) > 1:
            dup = self._codes[1:] == self._codes[:-1]
            if dup.any():
                raise ValueError(
                    f"product table: duplicate prod_code {self._codes[1:][dup].tolist()[0]!r}"
                )
        self._stats: dict[str, np.ndarray] = {}
        present = [c for c in PRODUCT_CLASS_COLUMNS if c in stats]
        if present and len(present) < len(PRODUCT_CLASS_COLUMNS):
            missing = [c for c in PRODUCT_CLASS_COLUMNS if c not in stats]
            raise ValueError(f"product table: missing column {missing[0]!r}")
        if not present:  # a table from before the class columns: nothing is classed
            stats = {**stats, **{c: np.zeros(len(codes), np.int64) for c in PRODUCT_CLASS_COLUMNS}}
        for name in (*PRODUCT_STAT_COLUMNS, *PRODUCT_CLASS_COLUMNS):
            if name not in stats:
                raise ValueError(f"product table: missing column {name!r}")
            dtype = np.int64 if name in _INTEGER_STATS else np.float64
            values = np.asarray(stats[name])
            if len(values) != len(codes):
                raise ValueError(f"product table: column {name!r} has the wrong length")
            try:
                values = values.astype(dtype)
            except (TypeError, ValueError):
                raise ValueError(f"product table: column {name!r} is not numeric") from None
            if dtype is np.float64 and not np.isfinite(values).all():
                raise ValueError(f"product table: column {name!r} has missing or non-finite values")
            self._stats[name] = values[order]

    @classmethod
    def from_arrow(cls, table: pa.Table) -> ProductTable:
        missing = [c for c in ("prod_code", *PRODUCT_STAT_COLUMNS) if c not in table.column_names]
        if missing:
            raise ValueError(f"product table: missing columns {missing}")
        names = ["prod_code", *(c for c in (*PRODUCT_STAT_COLUMNS, *PRODUCT_CLASS_COLUMNS)
                                if c in table.column_names)]
        for name in names:
            if table.column(name).null_count:
                raise ValueError(f"product table: column {name!r} has nulls")
        codes = table.column("prod_code").to_numpy(zero_copy_only=False)
        stats = {c: table.column(c).to_numpy(zero_copy_only=False) for c in names[1:]}
        return cls(codes, stats)

    @classmethod
    def from_parquet(cls, path: Any) -> ProductTable:
        """`path`: a local path, a file-like object, or a pyarrow NativeFile/Buffer."""
        parquet = pq.ParquetFile(path)
        present = set(parquet.schema_arrow.names)
        wanted = [c for c in ("prod_code", *PRODUCT_STAT_COLUMNS, *PRODUCT_CLASS_COLUMNS) if c in present]
        return cls.from_arrow(parquet.read(columns=wanted))

    def to_arrow(self) -> pa.Table:
        return pa.table({"prod_code": self._codes, **self._stats})

    def __len__(self) -> int:
        return len(self._codes)

    def __contains__(self, prod_code: object) -> bool:
        return (isinstance(prod_code, str) and len(self._codes) > 0
                and bool(self._find(np.asarray([prod_code]))[1][0]))

    @property
    def prod_codes(self) -> np.ndarray:
        return self._codes

    def _find(self, prod_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pos = np.searchsorted(self._codes, prod_codes)
        pos = np.minimum(pos, len(self._codes) - 1)
        return pos, self._codes[pos] == prod_codes

    def lookup(self, prod_codes: Any) -> dict[str, np.ndarray]:
        """Stats for each code, in order; a code not in the table gets the unknown-product
        values (n_lines 0, p_* = 1/3, log_price_index 0, no single-line baskets)."""
        codes = _to_numpy(prod_codes)
        if codes.dtype.kind != "U":
            codes = codes.astype(str)  # None -> "None": an unknown product, as it should be
        if len(self._codes) == 0:
            return {name: np.full(len(codes), UNKNOWN_PRODUCT[name], dtype=values.dtype)
                    for name, values in self._stats.items()}
        pos, found = self._find(codes)
        return {
            name: np.where(found, values[pos], UNKNOWN_PRODUCT[name]).astype(values.dtype, copy=False)
            for name, values in self._stats.items()
        }


def product_class(stats: Mapping[str, np.ndarray]) -> np.ndarray:
    """Each product's class as an index into PRODUCT_CLASSES, -1 for none: the label held by
    strictly more of its past single-line baskets than any other label (none without
    single-line baskets, or on a tie). A single-line basket's label can only come from its
    one product, which makes this the cleanest per-product evidence the labels give."""
    counts = np.stack([np.asarray(stats[c], dtype=np.int64) for c in PRODUCT_CLASS_COLUMNS], axis=1)
    if not len(counts):
        return np.zeros(0, dtype=np.intp)
    top = counts.max(axis=1)
    leaders = (counts == top[:, None]).sum(axis=1)
    return np.where(leaders == 1, counts.argmax(axis=1), -1)


# --------------------------------------------------------------------------- baskets


def basket_features(baskets: Any, lines: Any, products: ProductTable) -> dict[str, np.ndarray]:
    """Basket features (contracts.md section 3), one row per basket in `baskets` order.

    baskets: `basket_id`, `shop_weekday`, `shop_hour` and the categorical context
    columns (a missing categorical column counts as unknown). lines: `basket_id`,
    `prod_code`, `quantity`, `spend`; lines of baskets not listed are ignored. Every
    basket needs at least one line. Returns `basket_id`, the numeric features and the
    categorical columns as passed.
    """
    basket_ids = _to_numpy(_column(baskets, "basket_id", "baskets"))
    n_baskets = len(basket_ids)
    order = np.argsort(basket_ids, kind="stable")
    sorted_ids = basket_ids[order]
    if n_baskets > 1:
        dup = sorted_ids[1:] == sorted_ids[:-1]
        if dup.any():
            raise ValueError(f"baskets: duplicate basket_id {sorted_ids[1:][dup].tolist()[0]!r}")

    line_ids = _to_numpy(_column(lines, "basket_id", "lines"))
    if n_baskets:
        pos = np.minimum(np.searchsorted(sorted_ids, line_ids), n_baskets - 1)
        keep = sorted_ids[pos] == line_ids
        row = order[pos[keep]]
    else:
        keep = np.zeros(len(line_ids), dtype=bool)
        row = np.zeros(0, dtype=np.intp)

    counts = np.bincount(row, minlength=n_baskets)
    if (counts == 0).any():
        empty = basket_ids[counts == 0]
        raise ValueError(
            f"baskets without lines: {len(empty)} (e.g. basket_id {empty.tolist()[0]!r}); "
            "every basket needs at least one line"
        )

    prod_codes = _to_numpy(_column(lines, "prod_code", "lines"))[keep]
    quantity = _to_numpy(_column(lines, "quantity", "lines"))[keep].astype(np.int64)
    spend = _to_numpy(_column(lines, "spend", "lines"))[keep].astype(np.float64)
    stats = products.lookup(prod_codes)

    # Lines grouped by basket row, so reduceat can take per-basket maxima.
    line_order = np.argsort(row, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])) if n_baskets else counts

    def mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(row, weights=values, minlength=n_baskets) / counts

    def maximum(values: np.ndarray) -> np.ndarray:
        if not n_baskets:
            return np.zeros(0)
        return np.maximum.reduceat(values[line_order], starts)

    classes = product_class(stats)
    in_class = [classes == i for i in range(len(PRODUCT_CLASSES))]

    out: dict[str, np.ndarray] = {"basket_id": basket_ids}
    out["n_lines"] = counts.astype(np.int64)
    out["total_quantity"] = (
        np.add.reduceat(quantity[line_order], starts) if n_baskets else np.zeros(0, np.int64)
    )
    out["total_spend"] = np.bincount(row, weights=spend, minlength=n_baskets)
    out["avg_p_la"] = mean(stats["p_la"])
    out["avg_p_mm"] = mean(stats["p_mm"])
    out["avg_p_um"] = mean(stats["p_um"])
    out["max_p_la"] = maximum(stats["p_la"])
    out["max_p_um"] = maximum(stats["p_um"])
    out["avg_log_price_index"] = mean(stats["log_price_index"])
    out["known_product_share"] = mean((stats["n_lines"] > 0).astype(np.float64))
    for name in CONTEXT_NUMERIC:
        out[name] = _to_numpy(_column(baskets, name, "baskets")).astype(np.int64)
    for label, mask in zip(PRODUCT_CLASSES, in_class, strict=True):
        out[f"{label.lower()}_class_lines"] = np.bincount(row[mask], minlength=n_baskets).astype(np.int64)
    out["unclassed_lines"] = np.bincount(row[classes < 0], minlength=n_baskets).astype(np.int64)
    out["la_class_share"] = out["la_class_lines"] / counts
    out["um_class_share"] = out["um_class_lines"] / counts
    out["class_balance"] = (out["um_class_lines"] - out["la_class_lines"]) / counts
    total_spend = out["total_spend"]
    has_spend = total_spend > 0
    for label, i in (("la", 0), ("um", 2)):
        class_spend = np.bincount(row, weights=np.where(in_class[i], spend, 0.0), minlength=n_baskets)
        out[f"{label}_class_spend_share"] = np.divide(
            class_spend, total_spend, out=np.zeros(n_baskets), where=has_spend)
    for name in CATEGORICAL_FEATURES:
        try:
            values = baskets[name]
        except (KeyError, IndexError):
            out[name] = np.full(n_baskets, None, dtype=object)
            continue
        out[name] = _to_numpy(values)
    return out
