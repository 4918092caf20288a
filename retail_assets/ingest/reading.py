"""From a weekly file's bytes to a table of text, and its numbers to typed columns.

No judgement of values here beyond "is this a number of the column's type": that is the
schema's business (weekly.py). A problem that makes the whole file unreadable raises
`FileRejected` naming the file.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from retail_assets.ingest.schema import ARROW_TYPES, COLUMNS, NUMERIC_COLUMNS, SEG_CODES, SEG_HEADER

INTEGER = r"^[+-]?\d{1,18}(\.0*)?$"  # "3" or "3.0"; at most 18 digits, so int64 cannot overflow
DECIMAL = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
REASON = "REJECT_REASON"


class FileRejected(Exception):
    """The whole file cannot be trusted; nothing of it may reach raw."""

    def __init__(self, file_name: str, problem: str):
        super().__init__(f"{file_name}: {problem}")
        self.file_name = file_name
        self.problem = problem


@dataclass(frozen=True)
class DecompressLimits:
    """How far a weekly file may expand. A real week is 2.4-4.1 MB of CSV at 10.4-10.9x.

    `max_decompressed_bytes` bounds the text of a file (gzip or plain); `max_expansion_ratio`
    bounds decompressed / compressed bytes, judged while decompressing, so a bomb is refused
    after a few MB of output instead of all of it.
    """

    max_decompressed_bytes: int = 512 * 2**20
    max_expansion_ratio: float = 100.0

    def __post_init__(self):
        if self.max_decompressed_bytes < 1 or not self.max_expansion_ratio >= 1:
            raise ValueError(f"max_decompressed_bytes must be >= 1 and max_expansion_ratio >= 1, got {self}")


GZIP_INPUT = 1 << 16  # compressed bytes fed per step
GZIP_PIECE = 1 << 20  # most output per step, so no step expands far past a limit
RATIO_FLOOR = 1 << 20  # output below this is not judged by ratio (a tiny file's ratio is noise)
_NONZERO = re.compile(rb"[^\x00]")


def decompress(file_name: str, data: bytes, limits: DecompressLimits = DecompressLimits()) -> bytes:
    """The file's text: plain as it is, gzip decompressed by streaming within `limits`."""
    if not file_name.endswith(".gz"):
        if len(data) > limits.max_decompressed_bytes:
            raise FileRejected(file_name, f"is {len(data):,} bytes, more than max_decompressed_bytes "
                                          f"{limits.max_decompressed_bytes:,}")
        return data
    try:
        return _gunzip(file_name, data, limits)
    except zlib.error as exc:
        raise FileRejected(file_name, f"truncated or corrupt gzip ({exc})") from exc


def _gunzip(file_name: str, data: bytes, limits: DecompressLimits) -> bytes:
    """Every gzip member in turn (as gzip.decompress reads them), refusing as soon as a limit is passed."""
    view, pieces, total, pos = memoryview(data), [], 0, 0
    while pos < len(data):
        member = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # checks the header, CRC and length
        pending: bytes | memoryview = b""
        while not member.eof:
            if not pending:
                if pos >= len(data):
                    raise FileRejected(file_name, "truncated or corrupt gzip (compressed data ended before the "
                                                  "end-of-stream marker)")
                pending = view[pos:pos + GZIP_INPUT]
                pos += len(pending)
            piece = member.decompress(pending, GZIP_PIECE)
            pending = member.unconsumed_tail
            total += len(piece)
            _within_limits(file_name, total, pos - len(pending) - len(member.unused_data), len(data), limits)
            pieces.append(piece)
        after = _NONZERO.search(data, pos - len(member.unused_data))  # gzip ignores zero padding after a member
        pos = after.start() if after else len(data)
    return b"".join(pieces)


def _within_limits(file_name: str, total: int, consumed: int, size: int, limits: DecompressLimits) -> None:
    if total > limits.max_decompressed_bytes:
        raise FileRejected(file_name, f"decompresses to more than max_decompressed_bytes "
                                      f"{limits.max_decompressed_bytes:,} bytes (refused at {total:,} bytes from "
                                      f"{consumed:,} of its {size:,} compressed bytes)")
    if total > RATIO_FLOOR and total > limits.max_expansion_ratio * consumed:
        raise FileRejected(file_name, f"expands more than max_expansion_ratio {limits.max_expansion_ratio:g}x "
                                      f"({consumed:,} compressed bytes gave {total:,}): refused as a likely gzip "
                                      f"bomb")


def read_header(file_name: str, text: bytes) -> list[str]:
    first = text.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    if not first:
        raise FileRejected(file_name, "empty file (no header)")
    names = [n.strip().strip('"') for n in first.split(",")]
    canonical = [SEG_HEADER.get(n, n) for n in names]
    missing = [c for c in COLUMNS if c not in canonical]
    extra = [n for n, c in zip(names, canonical) if c not in COLUMNS]
    dupes = sorted({c for c in canonical if canonical.count(c) > 1})
    if len(missing) == len(COLUMNS):
        raise FileRejected(file_name, f"not a weekly transactions file: its first line names none of the "
                                      f"expected columns ({first[:60]!r})")
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


def nonblank_lines(text: bytes) -> np.ndarray:
    """1-based numbers of the lines holding something (the CSV reader skips empty lines)."""
    buf = np.frombuffer(text, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], ends + 1))
    ends = np.concatenate((ends, [len(buf)]))
    length = ends - starts
    has_cr = np.zeros(len(ends), dtype=bool)
    inner = length > 0
    has_cr[inner] = buf[ends[inner] - 1] == 13
    return np.flatnonzero(length - has_cr > 0) + 1


def read_as_text(file_name: str, text: bytes, names: list[str]) -> tuple[pa.Table, list[dict]]:
    malformed: list[dict] = []

    def keep_malformed(row) -> str:  # a line with the wrong number of fields is kept, never dropped
        malformed.append({"row": row.number if row.number is not None else -1, "text": row.text,
                          REASON: f"line has {row.actual_columns} fields, expected {row.expected_columns}"})
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(text),
            read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 26, skip_rows=1, column_names=names),
            parse_options=pacsv.ParseOptions(invalid_row_handler=keep_malformed, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise FileRejected(file_name, f"not a readable CSV ({exc})") from exc
    columns = {SEG_HEADER.get(n, n): table.column(i) for i, n in enumerate(names)}
    if "seg_1" in names:  # the coded variant: translate; an unknown code stays for validation to name
        for column, codes in SEG_CODES.items():
            columns[column] = _translate(columns[column], codes)
    return pa.table({c: columns[c] for c in COLUMNS}), malformed


def _translate(values: pa.ChunkedArray, codes: dict[str, str]) -> pa.ChunkedArray:
    index = pc.index_in(values, value_set=pa.array(list(codes)))
    mapped = pc.take(pa.array(list(codes.values())), index)
    return pc.if_else(pc.is_null(index), values, mapped)


def parse_numbers(text: pa.Table) -> tuple[dict[str, pa.Array], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Typed numeric columns (null where unparseable), and masks of missing / unparseable values."""
    typed, missing, invalid = {}, {}, {}
    for name in NUMERIC_COLUMNS:
        column = text.column(name)
        missing[name] = np.asarray(pc.is_null(column).to_numpy(zero_copy_only=False), dtype=bool)
        number = _clean_cast(column, ARROW_TYPES[name])
        if number is None:
            number, ok = _careful_cast(column, ARROW_TYPES[name])
            invalid[name] = ~ok & ~missing[name]
        else:
            invalid[name] = np.zeros(len(column), dtype=bool)
        typed[name] = number
    return typed, missing, invalid


def _clean_cast(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray | None:
    """The whole column cast at once, or None when some value needs a closer look.

    Arrow's cast accepts a subset of what the careful path does (no sign, spaces or ".0"), so
    a column it takes whole holds only valid numbers; non-finite floats are still left to it.
    """
    try:
        wide = pc.cast(column, pa.int64() if pa.types.is_integer(target) else target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if pa.types.is_integer(target):
        bounds = np.iinfo(target.to_pandas_dtype())
        low, high = pc.min_max(wide).values()
        if low.is_valid and (low.as_py() < bounds.min or high.as_py() > bounds.max):
            return None
    elif pc.all(pc.is_finite(wide)).as_py() is False:  # inf or nan: the careful path names them
        return None
    return pc.cast(wide, target)


def _careful_cast(column: pa.ChunkedArray, target: pa.DataType) -> tuple[pa.ChunkedArray, np.ndarray]:
    """Value by value: typed column with nulls where a value is not a number of the target type."""
    raw = pc.utf8_trim_whitespace(column)
    is_int = pa.types.is_integer(target)
    ok = pc.fill_null(pc.match_substring_regex(raw, INTEGER if is_int else DECIMAL), False)
    if is_int:
        digits = pc.replace_substring_regex(raw, r"^\+|\.0*$", "")  # Arrow's cast takes neither
        number = pc.cast(pc.if_else(ok, digits, pa.scalar(None, pa.string())), pa.int64())
        bounds = np.iinfo(target.to_pandas_dtype())
        in_range = pc.and_(pc.greater_equal(number, bounds.min), pc.less_equal(number, bounds.max))
        ok = pc.and_(ok, pc.fill_null(in_range, False))
    else:
        number = pc.cast(pc.if_else(ok, raw, pa.scalar(None, pa.string())), target)
        ok = pc.and_(ok, pc.fill_null(pc.is_finite(number), False))
    number = pc.cast(pc.if_else(ok, number, pa.scalar(None, number.type)), target)
    return number, np.asarray(ok.to_numpy(zero_copy_only=False), dtype=bool)
