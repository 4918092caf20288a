"""Facts measured on a folder of weekly files: what the data dictionary's tables show.

Each file goes through the ingest parser (`ingest/weekly.py`), so the figures are about the
rows raw would hold: typed, validated, exact duplicates dropped, both header variants mapped
to the canonical columns. A file the parser refuses is counted and named, not measured.
Basket-level figures come from one row per basket (its label, store, type, mission and
customer fields are the same on every line; `inconsistent_baskets` counts exceptions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from retail_assets.ingest.reading import FileRejected, decompress, read_header
from retail_assets.ingest.schema import COLUMNS
from retail_assets.ingest.weekly import parse_weekly_file

WEEKLY_FILE = re.compile(r"^transactions_\d{6}\.csv(\.gz)?$")
LABELS = ("LA", "MM", "UM", "XX")
HIERARCHY = ("PROD_CODE", "PROD_CODE_10", "PROD_CODE_20", "PROD_CODE_30", "PROD_CODE_40")
# Basket-level columns whose values the dictionary counts, one count per basket.
BASKET_VALUE_COLUMNS = ("BASKET_SIZE", "BASKET_TYPE", "BASKET_DOMINANT_MISSION", "STORE_FORMAT",
                        "CUST_PRICE_SENSITIVITY", "CUST_LIFESTAGE")

_BASKETS_OF_A_WEEK = """
select
    BASKET_ID as basket_id,
    any_value(SHOP_WEEK) as shop_week,
    any_value(BASKET_PRICE_SENSITIVITY) as label,
    any_value(STORE_CODE) as store_code,
    any_value(STORE_FORMAT) as store_format,
    any_value(STORE_REGION) as store_region,
    any_value(BASKET_SIZE) as basket_size,
    any_value(BASKET_TYPE) as basket_type,
    any_value(BASKET_DOMINANT_MISSION) as basket_dominant_mission,
    any_value(CUST_CODE) as cust_code,
    any_value(CUST_PRICE_SENSITIVITY) as cust_price_sensitivity,
    any_value(CUST_LIFESTAGE) as cust_lifestage,
    count(*) as n_lines,
    sum(SPEND) as spend,
    any_value(PROD_CODE) as any_prod_code,
    (count(distinct BASKET_PRICE_SENSITIVITY) > 1 or count(distinct STORE_CODE) > 1
     or count(distinct BASKET_TYPE) > 1 or count(distinct BASKET_DOMINANT_MISSION) > 1
     or count(distinct BASKET_SIZE) > 1 or count(distinct coalesce(CUST_CODE, '')) > 1
     or count(distinct SHOP_DATE) > 1 or count(distinct SHOP_HOUR) > 1) as inconsistent
from week
group by BASKET_ID
"""


@dataclass
class DataFacts:
    files: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # file -> problem
    weeks: list[int] = field(default_factory=list)
    header_variants: dict[str, int] = field(default_factory=dict)  # "seg_1/seg_2" or "CUST_*" -> files
    lines: int = 0  # data lines in the files
    rows: int = 0  # rows raw would hold
    quarantined: int = 0
    duplicates: int = 0
    first_date: int = 0
    last_date: int = 0
    nulls: dict[str, int] = field(default_factory=dict)  # column -> rows with an empty value
    baskets: int = 0
    baskets_in_several_weeks: int = 0
    inconsistent_baskets: int = 0
    stores: int = 0
    customers: int = 0
    baskets_with_customer: int = 0
    lines_per_basket: tuple[float, float, int] = (0.0, 0.0, 0)  # mean, median, max
    labels: dict[str, tuple[int, int, float]] = field(default_factory=dict)  # label -> baskets, lines, spend
    by_format: dict[str, dict[str, int]] = field(default_factory=dict)  # format -> label -> baskets
    by_region: dict[str, dict[str, int]] = field(default_factory=dict)
    single_line: dict[str, tuple[int, int]] = field(default_factory=dict)  # label -> single-line, all baskets
    values: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> value -> baskets
    hierarchy: dict[str, tuple[int, int]] = field(default_factory=dict)  # level -> codes, most parents of one code
    products_bought_alone: int = 0
    products_alone_one_label: int = 0  # of those, every single-line basket has the same label


def weekly_files(data: Path) -> list[Path]:
    files = sorted(p for p in Path(data).iterdir() if WEEKLY_FILE.match(p.name))
    if not files:
        raise FileNotFoundError(f"no transactions_YYYYWW.csv[.gz] files in {data}")
    return files


def _header_variant(name: str, data: bytes) -> str:
    names = read_header(name, decompress(name, data)[:4096])
    return "seg_1, seg_2" if "seg_1" in names else "CUST_PRICE_SENSITIVITY, CUST_LIFESTAGE"


def measure(data: Path) -> DataFacts:
    """Read every weekly file in `data` and measure it."""
    facts = DataFacts(nulls={c: 0 for c in COLUMNS})
    con = duckdb.connect()
    baskets, products = [], []
    for path in weekly_files(data):
        facts.files += 1
        raw = path.read_bytes()
        try:
            week = parse_weekly_file(path.name, raw)
            variant = _header_variant(path.name, raw)
        except FileRejected as exc:
            facts.refused[path.name] = exc.problem
            continue
        facts.header_variants[variant] = facts.header_variants.get(variant, 0) + 1
        facts.weeks.append(week.shop_week)
        facts.lines += week.rows_read
        facts.rows += week.good.num_rows
        facts.quarantined += week.quarantine.num_rows
        facts.duplicates += week.duplicates_dropped
        for column in COLUMNS:
            facts.nulls[column] += week.good.column(column).null_count
        con.register("week", week.good)
        baskets.append(con.sql(_BASKETS_OF_A_WEEK).to_arrow_table())
        products.append(con.sql(f"select distinct {', '.join(HIERARCHY)} from week").to_arrow_table())
        dates = _one(con, "select min(SHOP_DATE), max(SHOP_DATE) from week")
        facts.first_date = min(facts.first_date or dates[0], dates[0])
        facts.last_date = max(facts.last_date, dates[1])
        con.unregister("week")
    if not baskets:
        raise ValueError(f"no readable weekly file in {data}: {facts.refused}")
    facts.weeks.sort()
    con.register("baskets", pa.concat_tables(baskets))
    con.register("products", pa.concat_tables(products).group_by(list(HIERARCHY)).aggregate([]))
    _measure_baskets(con, facts)
    _measure_products(con, facts)
    return facts


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    row = con.sql(sql).fetchone()
    if row is None:
        raise ValueError(f"no row from {sql}")
    return row


def _measure_baskets(con: duckdb.DuckDBPyConnection, facts: DataFacts) -> None:
    def one(sql: str) -> tuple:
        return _one(con, sql)

    facts.baskets, facts.stores, facts.customers, facts.baskets_with_customer = one(
        "select count(distinct basket_id), count(distinct store_code), count(distinct cust_code), "
        "count(cust_code) from baskets")
    facts.baskets_in_several_weeks = one(
        "select count(*) from (select basket_id from baskets group by 1 having count(*) > 1)")[0]
    facts.inconsistent_baskets = one("select count(*) from baskets where inconsistent")[0]
    mean, median, most = one("select avg(n_lines), median(n_lines), max(n_lines) from baskets")
    facts.lines_per_basket = (float(mean), float(median), int(most))
    for label, n, lines, spend in con.sql(
            "select label, count(*), sum(n_lines), sum(spend) from baskets group by 1 order by 1").fetchall():
        facts.labels[label] = (n, int(lines), float(spend))
    for name, column in (("by_format", "store_format"), ("by_region", "store_region")):
        table: dict[str, dict[str, int]] = {}
        for key, label, n in con.sql(f"select {column}, label, count(*) from baskets group by 1, 2 order by 1, 2").fetchall():
            table.setdefault(key, {})[label] = n
        setattr(facts, name, table)
    for label, alone, n in con.sql(
            "select label, count(*) filter (where n_lines = 1), count(*) from baskets group by 1 order by 1").fetchall():
        facts.single_line[label] = (alone, n)
    for column in BASKET_VALUE_COLUMNS:
        rows = con.sql(f"select coalesce({column.lower()}, '(empty)'), count(*) from baskets group by 1 order by 1")
        facts.values[column] = dict(rows.fetchall())


def _measure_products(con: duckdb.DuckDBPyConnection, facts: DataFacts) -> None:
    for level, parent in zip(HIERARCHY, (*HIERARCHY[1:], None)):
        if parent is None:
            codes = _one(con, f"select count(distinct {level}) from products")[0]
            facts.hierarchy[level] = (codes, 0)
            continue
        codes, most = _one(con, f"select count(*), max(parents) from (select {level}, count(distinct {parent}) "
                                f"as parents from products group by 1)")
        facts.hierarchy[level] = (codes, int(most))
    facts.products_bought_alone, facts.products_alone_one_label = _one(
        con, "select count(*), count(*) filter (where labels = 1) from ("
             "  select any_prod_code, count(distinct label) as labels from baskets where n_lines = 1 group by 1)")
