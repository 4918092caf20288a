"""The online product table that serving looks features up in, and a product's class."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from retail_assets.contract.encoding import to_numpy
from retail_assets.contract.features import (
    INTEGER_STATS,
    PRODUCT_CLASS_COLUMNS,
    PRODUCT_STAT_COLUMNS,
    UNKNOWN_PRODUCT,
)


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
            dtype = np.int64 if name in INTEGER_STATS else np.float64
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
        codes = to_numpy(prod_codes)
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
