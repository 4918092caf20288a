"""Parse and validate one weekly dunnhumby file.

A file either yields (good rows, quarantined rows with a reason, counts) or is refused as a
whole with `FileRejected`, whose message names the file and the problem. Refusal is for
problems that make every row untrustworthy; a bad row only costs itself.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.errors
import pyarrow as pa
import pyarrow.csv as pacsv

from retail_assets.ingest.schema import (
    COLUMNS, INTEGER_TYPES, NUMERIC_COLUMNS, SEG_1_CODES, SEG_2_CODES, SEG_HEADER, transaction_schema,
)

FILE_NAME = re.compile(r"^transactions_(\d{6})\.csv(\.gz)?$")
SCIENTIFIC = re.compile(r"^\s*-?\d+(\.\d*)?[eE][+-]?\d+\s*$")
REASON = "REJECT_REASON"
LINE = "SOURCE_LINE"

ARROW_TYPES = {
    "SHOP_WEEK": pa.int32(), "SHOP_DATE": pa.int32(), "SHOP_WEEKDAY": pa.int8(), "SHOP_HOUR": pa.int8(),
    "QUANTITY": pa.int32(), "SPEND": pa.float64(), "BASKET_ID": pa.int64(),
}
RAW_SCHEMA = pa.schema([(c, ARROW_TYPES.get(c, pa.string())) for c in COLUMNS])
QUARANTINE_SCHEMA = pa.schema([(c, pa.string()) for c in COLUMNS] + [(LINE, pa.int64()), (REASON, pa.string())])


class FileRejected(Exception):
    """The whole file cannot be trusted; nothing of it may reach raw."""

    def __init__(self, file_name: str, problem: str):
        super().__init__(f"{file_name}: {problem}")
        self.file_name = file_name
        self.problem = problem


@dataclass
class WeekIngest:
    shop_week: int
    file_name: str
    rows_read: int
    good: pa.Table
    quarantine: pa.Table
    duplicates_dropped: int
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.good.num_rows + self.quarantine.num_rows + self.duplicates_dropped


def week_of_file(file_name: str) -> int:
    match = FILE_NAME.match(file_name)
    if not match:
        raise FileRejected(file_name, "name is not transactions_YYYYWW.csv or transactions_YYYYWW.csv.gz")
    return int(match.group(1))


def _decompress(file_name: str, data: bytes) -> bytes:
    if not file_name.endswith(".gz"):
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise FileRejected(file_name, f"truncated or corrupt gzip ({exc})") from exc


def _header(file_name: str, text_head: bytes) -> list[str]:
    first = text_head.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    if not first:
        raise FileRejected(file_name, "empty file (no header)")
    names = [n.strip().strip('"') for n in first.split(",")]
    canonical = [SEG_HEADER.get(n, n) for n in names]
    missing = [c for c in COLUMNS if c not in canonical]
    extra = [n for n, c in zip(names, canonical) if c not in COLUMNS]
    dupes = sorted({c for c in canonical if canonical.count(c) > 1})
    problems = []
    if missing:
        problems.append(f"missing columns {missing}")
    if extra:
        problems.append(f"unexpected columns {extra}")
    if dupes:
        problems.append(f"repeated columns {dupes}")
    if problems:
        raise FileRejected(file_name, "; ".join(problems))
    return names


def parse_weekly_file(file_name: str, data: bytes) -> WeekIngest:
    """Validate one file's bytes (plain CSV or gzip, by its name)."""
    shop_week = week_of_file(file_name)
    text = _decompress(file_name, data)
    names = _header(file_name, text[:4096])

    malformed: list[dict] = []

    def keep_malformed(row) -> str:  # rows with the wrong number of fields: kept, never dropped
        malformed.append({LINE: row.number, REASON: f"line has {row.actual_columns} fields, expected {row.expected_columns}", "_text": row.text})
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(text),
            read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 26),
            parse_options=pacsv.ParseOptions(invalid_row_handler=keep_malformed, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise FileRejected(file_name, f"not a readable CSV ({exc})") from exc

    frame = table.to_pandas()
    frame.columns = [SEG_HEADER.get(n, n) for n in names]
    if "seg_1" in names:  # coded variant: translate, leaving unknown codes for validation to name
        frame["CUST_PRICE_SENSITIVITY"] = frame["CUST_PRICE_SENSITIVITY"].map(lambda v: SEG_1_CODES.get(v, v))
        frame["CUST_LIFESTAGE"] = frame["CUST_LIFESTAGE"].map(lambda v: SEG_2_CODES.get(v, v))
    frame = frame[list(COLUMNS)]
    # Line numbers in the file: header is line 1; malformed lines were skipped by the reader.
    skipped = sorted(m[LINE] for m in malformed if m[LINE] is not None)
    frame.index = _line_numbers(len(frame), skipped)
    rows_read = len(frame) + len(malformed)
    if rows_read == 0:
        raise FileRejected(file_name, "has a header but no rows")

    ids = frame["BASKET_ID"].dropna()
    sci = ids[ids.str.match(SCIENTIFIC)]
    if len(sci):
        raise FileRejected(
            file_name,
            f"BASKET_ID in scientific notation ({len(sci)} rows, e.g. {sci.iloc[0]!r} on line {sci.index[0]}): "
            "a spreadsheet rounded the ids, so baskets cannot be rebuilt; re-export the file with ids as text",
        )

    reasons = pd.Series("", index=frame.index, dtype=object)
    typed = frame.copy()
    for col in NUMERIC_COLUMNS:
        raw = frame[col]
        num = pd.to_numeric(raw, errors="coerce")
        missing = raw.isna()
        bad = num.isna() & ~missing
        if col in INTEGER_TYPES:
            info = np.iinfo(INTEGER_TYPES[col])
            frac = num.notna() & ((num % 1 != 0) | (num < info.min) | (num > info.max))
            bad |= frac
        _add(reasons, missing, f"{col} is missing")
        _add(reasons, bad, lambda idx, c=col: f"{c} {frame.at[idx, c]!r} is not a valid number")
        typed[col] = num
    parse_ok = reasons == ""
    checked = typed[parse_ok].astype({c: INTEGER_TYPES.get(c, "float64") for c in NUMERIC_COLUMNS})
    try:
        transaction_schema(shop_week).validate(checked, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        for case in errors.failure_cases.itertuples():
            if pd.isna(case.index):
                raise FileRejected(file_name, f"schema problem: {case.column} {case.check}") from errors
            idx = int(case.index)
            value = frame.at[idx, case.column] if case.column in frame.columns else case.failure_case
            message = _check_message(case.column, case.check, value)
            reasons.at[idx] = f"{reasons.at[idx]}; {message}" if reasons.at[idx] else message

    good_mask = reasons == ""
    good = checked[good_mask[parse_ok].to_numpy()]
    dup = good.duplicated(keep="first")
    good = good[~dup]

    quarantined = frame[~good_mask].astype(object).where(frame[~good_mask].notna(), None)
    quarantined[LINE] = quarantined.index.astype("int64")
    quarantined[REASON] = reasons[~good_mask]
    quarantine = pa.Table.from_pandas(
        quarantined.reset_index(drop=True), schema=QUARANTINE_SCHEMA, preserve_index=False
    ).replace_schema_metadata(None)
    if malformed:
        extra = pa.Table.from_pylist(
            [{**{c: None for c in COLUMNS}, "PROD_CODE": m["_text"][:500], LINE: m[LINE], REASON: m[REASON]} for m in malformed],
            schema=QUARANTINE_SCHEMA,
        )
        quarantine = pa.concat_tables([quarantine, extra]).sort_by(LINE)

    counts: dict[str, int] = {}
    for text_reason in quarantine.column(REASON).to_pylist():
        for part in text_reason.split("; "):
            key = part.split(" '")[0].split(" (")[0]
            counts[key] = counts.get(key, 0) + 1
    return WeekIngest(
        shop_week=shop_week,
        file_name=file_name,
        rows_read=rows_read,
        good=pa.Table.from_pandas(good.reset_index(drop=True), schema=RAW_SCHEMA, preserve_index=False).replace_schema_metadata(None),
        quarantine=quarantine,
        duplicates_dropped=int(dup.sum()),
        reasons=counts,
    )


def _line_numbers(n: int, skipped: list[int]) -> pd.Index:
    """File line numbers of the n parsed rows, given the lines the reader skipped."""
    lines, line, s = [], 2, 0
    for _ in range(n):
        while s < len(skipped) and skipped[s] == line:
            line += 1
            s += 1
        lines.append(line)
        line += 1
    return pd.Index(lines, dtype="int64")


def _add(reasons: pd.Series, mask: pd.Series, message) -> None:
    for idx in mask[mask].index:
        text = message(idx) if callable(message) else message
        reasons.at[idx] = f"{reasons.at[idx]}; {text}" if reasons.at[idx] else text


def _check_message(column: str, check: str, value) -> str:
    if check.startswith("SHOP_WEEK is not") or "must" in check:
        return f"{check} (got {value!r})" if "SHOP_WEEK" not in check else f"{check} (got {value!r})"
    if check.startswith("isin"):
        return f"{column} {value!r} is not an allowed code"
    if check.startswith("str_matches"):
        return f"{column} {value!r} is malformed"
    if check == "not_nullable":
        return f"{column} is missing"
    return f"{column} {value!r} fails {check}"
