"""Land weekly files in the lake and turn each into its raw and quarantine partitions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from retail_assets.ingest.weekly import FILE_NAME, FileRejected, WeekIngest, parse_weekly_file, week_of_file
from retail_assets.lake import Lake

LANDING = "retail/landing"


def raw_key(shop_week: int) -> str:
    return f"retail/raw/shop_week={shop_week}/part-0.parquet"


def quarantine_key(shop_week: int) -> str:
    return f"retail/quarantine/shop_week={shop_week}/part-0.parquet"


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


def landed_file_for_week(lake: Lake, shop_week: int) -> LandedFile:
    for candidate in (f"transactions_{shop_week}.csv", f"transactions_{shop_week}.csv.gz"):
        key = f"{LANDING}/{candidate}"
        if lake.exists(key):
            other = f"{key}.gz" if not key.endswith(".gz") else key[:-3]
            if lake.exists(other):
                raise FileRejected(candidate, f"week {shop_week} has both {candidate} and {other.rsplit('/', 1)[-1]} in landing")
            return LandedFile(key, shop_week, hashlib.sha256(lake.read_bytes(key)).hexdigest())
    raise FileNotFoundError(f"no landing file for week {shop_week} under {lake.uri_of(LANDING)}")


def ingest_week(lake: Lake, shop_week: int) -> tuple[WeekIngest, dict[str, str]]:
    """Validate the week's landing file; on success replace its raw and quarantine partitions.

    A refused file raises FileRejected before anything is written, so raw keeps its previous state.
    Returns the result and the sha256 of every file written (equal for equal input).
    """
    landed = landed_file_for_week(lake, shop_week)
    result = parse_weekly_file(landed.name, lake.read_bytes(landed.key))
    hashes = {"landing_sha256": landed.sha256, "raw_sha256": lake.write_parquet(raw_key(shop_week), result.good)}
    if result.quarantine.num_rows:
        hashes["quarantine_sha256"] = lake.write_parquet(quarantine_key(shop_week), result.quarantine)
    else:
        lake.delete(quarantine_key(shop_week))  # a corrected file leaves no stale rejects behind
    return result, hashes
