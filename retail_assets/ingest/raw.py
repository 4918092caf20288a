"""Land weekly files in the lake and turn each into its raw and quarantine partitions.

Both partition files carry, in their Parquet footer, the sha256 of the landing file they
came from and the week's counts, so the lake alone says whether a week reconciles and
whether its raw and quarantine files belong together.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from retail_assets.contract.lake import Lake, parquet_bytes
from retail_assets.contract.lake_keys import LANDING, quarantine_key, raw_key
from retail_assets.ingest.arrow_checks import failing_rows
from retail_assets.ingest.schema import RAW_SCHEMA
from retail_assets.ingest.weekly import (
    FILE_NAME,
    DecompressLimits,
    FileRejected,
    WeekIngest,
    parse_weekly_file,
    week_of_file,
    week_rules,
)

FOOTER_KEY = b"retail.ingest"  # JSON: landing file, its sha256 and the week's counts


@dataclass(frozen=True)
class LandedFile:
    key: str
    shop_week: int
    sha256: str

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


def landed_files(lake: Lake) -> tuple[list[LandedFile], list[str]]:
    """Weekly files in landing, and the problems with what is there (bad names, two files for one week)."""
    files: dict[int, list[LandedFile]] = {}
    problems: list[str] = []
    for info in lake.list_files(LANDING):
        key = lake.key_of(info.path)
        name = key.rsplit("/", 1)[-1]
        if name.startswith("."):
            continue
        if not FILE_NAME.match(name):
            problems.append(f"{name}: name is not transactions_YYYYWW.csv or transactions_YYYYWW.csv.gz")
            continue
        digest = hashlib.sha256(lake.read_bytes(key)).hexdigest()
        files.setdefault(week_of_file(name), []).append(LandedFile(key, week_of_file(name), digest))
    out = []
    for week, found in sorted(files.items()):
        if len(found) > 1:
            problems.append(f"week {week} has more than one file: {', '.join(f.name for f in found)}")
            continue
        out.append(found[0])
    return out, problems


def read_landed_week(lake: Lake, shop_week: int) -> tuple[LandedFile, bytes]:
    """The week's one landing file and its bytes; FileRejected if it has two."""
    for candidate in (f"transactions_{shop_week}.csv", f"transactions_{shop_week}.csv.gz"):
        key = f"{LANDING}/{candidate}"
        if lake.exists(key):
            other = f"{key}.gz" if not key.endswith(".gz") else key[:-3]
            if lake.exists(other):
                raise FileRejected(candidate, f"week {shop_week} has both {candidate} and {other.rsplit('/', 1)[-1]} in landing")
            data = lake.read_bytes(key)
            return LandedFile(key, shop_week, hashlib.sha256(data).hexdigest()), data
    raise FileRejected(f"transactions_{shop_week}.csv", f"no landing file for week {shop_week} under {lake.uri_of(LANDING)}")


def landed_file_for_week(lake: Lake, shop_week: int) -> LandedFile:
    return read_landed_week(lake, shop_week)[0]


def _with_footer(table: pa.Table, footer: dict) -> pa.Table:
    return table.replace_schema_metadata({FOOTER_KEY: json.dumps(footer, sort_keys=True).encode()})


def ingest_week(lake: Lake, shop_week: int,
                limits: DecompressLimits = DecompressLimits()) -> tuple[WeekIngest, dict[str, str]]:
    """Validate the week's landing file; on success replace its raw and quarantine partitions.

    A refused file (a bad one, or one expanding past `limits`) raises FileRejected before
    anything is written, so raw keeps its previous state. Both files are staged first;
    quarantine is committed (or a stale one deleted) before raw, so raw changes last, in one
    rename. Returns the result and the sha256 of every file involved; the same landing file
    always gives the same bytes.
    """
    landed, data = read_landed_week(lake, shop_week)
    result = parse_weekly_file(landed.name, data, limits)
    footer = {
        "landing_file": landed.name, "landing_sha256": landed.sha256, "rows_read": result.rows_read,
        "rows_raw": result.good.num_rows, "rows_quarantined": result.quarantine.num_rows,
        "duplicates_dropped": result.duplicates_dropped,
    }
    raw = parquet_bytes(_with_footer(result.good, footer))
    hashes = {"landing_sha256": landed.sha256, "raw_sha256": hashlib.sha256(raw).hexdigest()}
    quarantine = None
    if result.quarantine.num_rows:
        quarantine = parquet_bytes(_with_footer(result.quarantine, footer))
        hashes["quarantine_sha256"] = hashlib.sha256(quarantine).hexdigest()
    # A corrected file without bad rows deletes the week's stale rejects.
    lake.write_files({quarantine_key(shop_week): quarantine, raw_key(shop_week): raw})
    return result, hashes


def footer_of(lake: Lake, key: str) -> tuple[int, dict]:
    """(rows, ingest footer) of a lake Parquet file, from its footer alone."""
    meta = lake.parquet_metadata(key)
    kv = meta.metadata or {}
    return meta.num_rows, json.loads(kv[FOOTER_KEY]) if FOOTER_KEY in kv else {}


def count_data_lines(name: str, data: bytes) -> int:
    """Data lines in a landing file (non-empty lines after the header), counted without a CSV parser."""
    import gzip

    text = gzip.decompress(data) if name.endswith(".gz") else data
    return sum(1 for line in text.split(b"\n")[1:] if line not in (b"", b"\r"))


def reconcile_week(lake: Lake, shop_week: int) -> dict:
    """Counts of a written week from the lake itself: its landing file and both partition footers.

    `reconciles` holds when every data line of the landing file is in raw, in quarantine or
    counted as an exact duplicate, and both partition files come from that landing file.
    """
    landed, data = read_landed_week(lake, shop_week)
    lines = count_data_lines(landed.name, data)
    rows_raw, footer = footer_of(lake, raw_key(shop_week))
    rows_quarantined, q_footer = (footer_of(lake, quarantine_key(shop_week))
                                  if lake.exists(quarantine_key(shop_week)) else (0, {}))
    duplicates = int(footer.get("duplicates_dropped", 0))
    problems = []
    if footer.get("landing_sha256") != landed.sha256:
        problems.append("raw was not written from the current landing file")
    if rows_quarantined and q_footer.get("landing_sha256") != footer.get("landing_sha256"):
        problems.append("quarantine and raw come from different landing files")
    if rows_quarantined != int(footer.get("rows_quarantined", 0)):
        problems.append(f"raw expects {footer.get('rows_quarantined')} quarantined rows, quarantine holds {rows_quarantined}")
    unaccounted = lines - rows_raw - rows_quarantined - duplicates
    if unaccounted:
        problems.append(f"{unaccounted} lines unaccounted for")
    return {
        "file": landed.name, "lines_in_file": lines, "rows_raw": rows_raw, "rows_quarantined": rows_quarantined,
        "duplicates_dropped": duplicates, "unaccounted": unaccounted, "reconciles": not problems, "problems": problems,
    }


def validate_written_week(lake: Lake, shop_week: int) -> dict:
    """The written raw partition against the schema: its Arrow types, and every row by the rules."""
    table = lake.read_parquet(raw_key(shop_week))
    problems = []
    if not table.schema.remove_metadata().equals(RAW_SCHEMA):
        problems.append(f"schema {table.schema.remove_metadata()} is not the raw schema")
        return {"rows": table.num_rows, "failing_rows": None, "problems": problems}
    failing = int(np.count_nonzero(failing_rows(table, week_rules(shop_week))))
    if failing:
        problems.append(f"{failing} rows break the schema")
    return {"rows": table.num_rows, "failing_rows": failing, "problems": problems}
