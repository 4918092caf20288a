"""Broken weekly files of every kind the platform must refuse or quarantine (`retail sample --faulty KIND`).

Each is a generated week damaged one way, so a user (or a test) can watch what ingestion does
with it: a file that cannot be trusted is refused with one message, bad rows go to quarantine.
"""

from __future__ import annotations

import gzip as gzip_lib
from pathlib import Path

import numpy as np

from retail_assets.sample.weeks import COLUMNS, _week_text, _write, add_weeks

# Rows changed by write_bad_fixture("bad_rows"), each on a different line of the file.
BAD_ROW_COUNTS = {
    "unparseable_quantity": 3,  # QUANTITY "abc"
    "negative_quantity": 2,  # QUANTITY "-2"
    "unknown_label": 2,  # BASKET_PRICE_SENSITIVITY "ZZ"
    "wrong_week": 2,  # SHOP_WEEK = the next week (SHOP_DATE left as it was)
    "malformed_prod_code": 2,  # PROD_CODE "PRD12X"
}
BAD_FIXTURE_KINDS = (
    "missing_column", "extra_column", "empty", "truncated_gzip", "scientific_basket_ids", "bad_rows",
)


def write_bad_fixture(kind: str, out_dir: Path, seed: int = 7) -> Path:
    """Write one broken weekly file (week 200607, header "seg", 40 baskets) and return its path.

    kinds:
    - "missing_column": the SPEND column dropped (header and rows), 21 columns;
    - "extra_column": a 23rd column EXTRA_COL (value "x") appended;
    - "empty": the header line only;
    - "truncated_gzip": transactions_200607.csv.gz cut at half its bytes;
    - "scientific_basket_ids": every BASKET_ID written as a spreadsheet does, e.g. 9.94E+14;
    - "bad_rows": a good file except for BAD_ROW_COUNTS rows (11 in all, each a different
      line, the others untouched): 3 with QUANTITY "abc", 2 with QUANTITY "-2", 2 with
      BASKET_PRICE_SENSITIVITY "ZZ", 2 with SHOP_WEEK 200608 (the next week), 2 with
      PROD_CODE "PRD12X".
    The changed rows' baskets keep their other lines as they were. All kinds but
    "truncated_gzip" write a plain transactions_200607.csv.
    """
    if kind not in BAD_FIXTURE_KINDS:
        raise ValueError(f"unknown bad fixture kind {kind!r}; one of {BAD_FIXTURE_KINDS}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    week = 200607
    text = _week_text(seed, week, 40, "seg")
    path = out_dir / f"transactions_{week}.csv"
    rows = [r.split(",") for r in text.splitlines()]  # safe: no field holds a comma

    if kind == "missing_column":
        i = COLUMNS.index("SPEND")
        rows = [r[:i] + r[i + 1:] for r in rows]
    elif kind == "extra_column":
        rows = [r + ["EXTRA_COL" if k == 0 else "x"] for k, r in enumerate(rows)]
    elif kind == "empty":
        rows = rows[:1]
    elif kind == "truncated_gzip":
        data = gzip_lib.compress(text.encode(), compresslevel=6, mtime=0)
        gz = out_dir / f"transactions_{week}.csv.gz"
        gz.write_bytes(data[: len(data) // 2])
        return gz
    elif kind == "scientific_basket_ids":
        i = COLUMNS.index("BASKET_ID")
        for r in rows[1:]:
            r[i] = f"{int(r[i]):.2E}"
    else:  # bad_rows
        rng = np.random.default_rng([seed, 2])
        n_bad = sum(BAD_ROW_COUNTS.values())
        picked = iter(1 + rng.choice(len(rows) - 1, n_bad, replace=False))
        edits = {
            "unparseable_quantity": ("QUANTITY", "abc"),
            "negative_quantity": ("QUANTITY", "-2"),
            "unknown_label": ("BASKET_PRICE_SENSITIVITY", "ZZ"),
            "wrong_week": ("SHOP_WEEK", str(add_weeks(week, 1))),
            "malformed_prod_code": ("PROD_CODE", "PRD12X"),
        }
        for name, count in BAD_ROW_COUNTS.items():
            column, value = edits[name]
            for _ in range(count):
                rows[next(picked)][COLUMNS.index(column)] = value
    return _write(path, "\n".join(",".join(r) for r in rows) + "\n")
