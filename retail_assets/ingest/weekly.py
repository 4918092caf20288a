"""Parse and validate one weekly dunnhumby file.

A file either yields (good rows, quarantined rows with a reason, counts) or is refused as a
whole with `FileRejected`, whose message names the file and the problem. Refusal is for
problems that make every row untrustworthy; a bad row only costs itself.

All of it runs column-wise in Arrow: the CSV is read as text, numbers are parsed with
regular expressions and casts, and every row is screened by the pandera schema compiled to
Arrow compute. Only the rows the screen flags go through pandera itself, which decides
whether they are bad and says why; a clean file never pays pandera's per-call cost.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import pandera.errors
import pyarrow as pa
import pyarrow.compute as pc
from pandera.pandas import DataFrameSchema

from retail_assets.ingest.arrow_checks import Rule, compile_column, compile_schema, failing_rows
from retail_assets.ingest.reading import (
    REASON,
    DecompressLimits,
    FileRejected,
    decompress,
    nonblank_lines,
    parse_numbers,
    read_as_text,
    read_header,
)
from retail_assets.ingest.schema import COLUMNS, NUMERIC_COLUMNS, RAW_SCHEMA, shop_week_column, transaction_schema

FILE_NAME = re.compile(r"^transactions_(\d{6})\.csv(\.gz)?$")
SCIENTIFIC = r"^\s*[+-]?\d+(\.\d*)?[eE][+-]?\d+\s*$"
LINE = "SOURCE_LINE"

QUARANTINE_SCHEMA = pa.schema([(c, pa.string()) for c in COLUMNS] + [(LINE, pa.int64()), (REASON, pa.string())])
__all__ = ["FILE_NAME", "DecompressLimits", "FileRejected", "QUARANTINE_SCHEMA", "RAW_SCHEMA", "WeekIngest",
           "parse_weekly_file", "week_of_file"]


@dataclass
class WeekIngest:
    shop_week: int
    file_name: str
    rows_read: int
    good: pa.Table
    quarantine: pa.Table
    duplicates_dropped: int
    reasons: dict[str, int] = field(default_factory=dict)  # kind of problem -> rows

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.good.num_rows + self.quarantine.num_rows + self.duplicates_dropped


def week_of_file(file_name: str) -> int:
    match = FILE_NAME.match(file_name)
    if not match:
        raise FileRejected(file_name, "name is not transactions_YYYYWW.csv or transactions_YYYYWW.csv.gz")
    return int(match.group(1))


@lru_cache(maxsize=1)
def _rules_but_the_week() -> tuple[Rule, ...]:
    return tuple(r for r in compile_schema(transaction_schema()) if r.column != "SHOP_WEEK")


def week_rules(shop_week: int) -> list[Rule]:
    """The schema of `shop_week` as Arrow rules (building a pandera schema per week costs more)."""
    return [*compile_column("SHOP_WEEK", shop_week_column(shop_week)), *_rules_but_the_week()]


@lru_cache(maxsize=8)
def week_schema(shop_week: int) -> DataFrameSchema:
    return transaction_schema(shop_week)


def _check_message(column: str, check: str, value) -> str:
    if check.startswith("SHOP_WEEK is not") or "must" in check:
        return f"{check} (got {value!r})"
    if check.startswith("isin"):
        return f"{column} {value!r} is not an allowed code"
    if check.startswith("str_matches"):
        return f"{column} {value!r} is malformed"
    if check == "not_nullable":
        return f"{column} is missing"
    return f"{column} {value!r} fails {check}"


def _kind(message: str) -> str:
    """The kind of a problem, for counting: the message without the value."""
    return re.sub(r" '.*?'| \(got .*\)", "", message)


def parse_weekly_file(file_name: str, data: bytes, limits: DecompressLimits = DecompressLimits()) -> WeekIngest:
    """Validate one file's bytes (plain CSV or gzip, by its name; refused past `limits`)."""
    shop_week = week_of_file(file_name)
    text = decompress(file_name, data, limits)
    names = read_header(file_name, text[:4096])
    strings, malformed = read_as_text(file_name, text, names)

    # Physical line numbers: the reader numbers non-empty lines (header = 1) and skips malformed ones.
    lines = nonblank_lines(text)
    rows_read = len(lines) - 1
    if rows_read == 0:
        raise FileRejected(file_name, "has a header but no rows")
    skipped = np.array([m["row"] - 1 for m in malformed], dtype=np.int64)
    if rows_read != strings.num_rows + len(malformed) or (len(skipped) and skipped.min() < 1):
        raise FileRejected(file_name, f"{rows_read} lines but the CSV reader accounted for {strings.num_rows + len(malformed)}")
    if strings.num_rows == 0:
        raise FileRejected(file_name, f"no line has the header's {len(names)} fields (another delimiter?): "
                                      f"e.g. line {lines[1]}: {malformed[0]['text'][:80]!r}")
    row_lines = np.delete(lines, np.concatenate(([0], skipped)))

    ids = strings.column("BASKET_ID")
    sci = pc.fill_null(pc.match_substring_regex(ids, SCIENTIFIC), False)
    n_sci = pc.sum(sci).as_py() or 0
    if n_sci:
        first = pc.index(sci, True).as_py()
        raise FileRejected(
            file_name,
            f"BASKET_ID in scientific notation ({n_sci} rows, e.g. {ids[first].as_py()!r} on line {row_lines[first]}): "
            "a spreadsheet rounded the ids, so baskets cannot be rebuilt; re-export the file with ids as text",
        )

    reasons: dict[int, list[str]] = {}
    typed_columns, missing, invalid = parse_numbers(strings)
    for name in NUMERIC_COLUMNS:  # a number that cannot be read is its row's only reported problem
        for i in np.flatnonzero(missing[name]):
            reasons.setdefault(int(i), []).append(f"{name} is missing")
        for i in np.flatnonzero(invalid[name]):
            reasons.setdefault(int(i), []).append(f"{name} {strings.column(name)[int(i)].as_py()!r} is not a valid number")
    typed = pa.table({c: typed_columns.get(c, strings.column(c)) for c in COLUMNS}, schema=RAW_SCHEMA)

    parsed = np.ones(typed.num_rows, dtype=bool)
    parsed[list(reasons)] = False
    suspect = np.flatnonzero(failing_rows(typed, week_rules(shop_week)) & parsed)
    if len(suspect):
        _judge_with_pandera(file_name, week_schema(shop_week), typed, strings, suspect, reasons)

    bad = np.zeros(typed.num_rows, dtype=bool)
    bad[list(reasons)] = True
    good = typed.take(np.flatnonzero(~bad)) if reasons else typed
    keep = _first_of_each_distinct_row(good)
    duplicates = good.num_rows - len(keep)
    if duplicates:
        good = good.take(keep)

    bad_idx = np.flatnonzero(bad)
    quarantine = strings.take(bad_idx).append_column(LINE, pa.array(row_lines[bad_idx], pa.int64())).append_column(
        REASON, pa.array(["; ".join(reasons[int(i)]) for i in bad_idx], pa.string()))
    if malformed:
        extra = pa.Table.from_pylist(
            [{**{c: None for c in COLUMNS}, "PROD_CODE": m["text"][:500], LINE: int(lines[m["row"] - 1]), REASON: m[REASON]}
             for m in malformed],
            schema=QUARANTINE_SCHEMA,
        )
        quarantine = pa.concat_tables([quarantine.cast(QUARANTINE_SCHEMA), extra]).sort_by(LINE)
    counts = Counter(_kind(part) for text_reason in quarantine.column(REASON).to_pylist() for part in text_reason.split("; "))
    return WeekIngest(
        shop_week=shop_week,
        file_name=file_name,
        rows_read=rows_read,
        good=good,
        quarantine=quarantine.cast(QUARANTINE_SCHEMA),
        duplicates_dropped=duplicates,
        reasons=dict(sorted(counts.items())),
    )


def _judge_with_pandera(file_name: str, schema: DataFrameSchema, typed: pa.Table, strings: pa.Table, rows: np.ndarray,
                        reasons: dict[int, list[str]]) -> None:
    """pandera validates the flagged rows; its failure cases are the reasons (by file row)."""
    frame = typed.take(rows).to_pandas()
    frame.index = pd.Index(rows)
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        for case in errors.failure_cases.itertuples():
            if pd.isna(case.index):
                raise FileRejected(file_name, f"schema problem: {case.column} {case.check}") from errors
            i = int(case.index)
            value = strings.column(case.column)[i].as_py() if case.column in COLUMNS else case.failure_case
            reasons.setdefault(i, []).append(_check_message(case.column, case.check, value))


def _first_of_each_distinct_row(table: pa.Table) -> np.ndarray:
    """Row numbers of the first occurrence of every distinct row (exact duplicates after it drop).

    Exact duplicates share basket and product, so the full comparison only runs on the rows
    whose (BASKET_ID, PROD_CODE) repeats: none, in the real files.
    """
    rows = np.arange(table.num_rows)
    if table.num_rows == 0:
        return rows
    pairs = table.select(["BASKET_ID", "PROD_CODE"]).append_column("__row", pa.array(rows))
    counted = pairs.group_by(["BASKET_ID", "PROD_CODE"], use_threads=False).aggregate([("__row", "list")])
    groups = counted.column("__row_list")
    sizes = pc.list_value_length(groups).to_numpy()
    if (sizes == 1).all():
        return rows
    candidates = np.sort(pc.list_flatten(groups.filter(pc.greater(pc.list_value_length(groups), 1))).to_numpy())
    subset = table.take(candidates).append_column("__row", pa.array(candidates))
    first = subset.group_by(list(COLUMNS), use_threads=False).aggregate([("__row", "min")]).column("__row_min").to_numpy()
    drop = np.setdiff1d(candidates, first)
    return np.setdiff1d(rows, drop)
