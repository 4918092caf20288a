"""gold/fct_price_sensitivity_mix (the business view): each basket counted once in its
store, week, mission, type, size and customer segment, with the counts and spend a
plain-Python count of the fixture gives; in the lake by week; incremental = full build."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pyarrow.dataset as ds
import pytest
from dbt_lake_fixture import BASKETS, write_raw_lake
from dbt_runner import build_lake, warehouse_table

MODEL = "fct_price_sensitivity_mix"
KEY = ("store_code", "store_format", "store_region", "basket_dominant_mission", "basket_type", "basket_size",
       "customer_segment", "customer_lifestage", "shop_week")


def expected_rows(baskets=BASKETS) -> dict[tuple, dict]:
    """The mart computed from the fixture's baskets (dbt_lake_fixture writes every basket
    at STORE00001, Fresh, Top Up, size S)."""
    rows: dict[tuple, dict] = defaultdict(lambda: Counter())
    for b in baskets:
        key = ("STORE00001", b.store_format, b.store_region, "Fresh", "Top Up", "S",
               b.cust_price_sensitivity or "unknown", b.cust_lifestage or "unknown", b.week)
        spend = sum(s for _, _, s in b.lines)
        row = rows[key]
        row["baskets"] += 1
        row[f"{b.label.lower()}_baskets"] += 1
        row["labelled_baskets"] += b.label != "XX"
        row["total_spend"] += spend
        if b.label != "XX":
            row[f"{b.label.lower()}_spend"] += spend
    return rows


def _by_key(rows: list[dict]) -> dict[tuple, dict]:
    return {tuple(r[k] for k in KEY): r for r in rows}


def test_the_mart_counts_each_basket_once_with_its_spend(built):
    run, lake = built
    assert run.returncode == 0, run.output[-3000:]
    statuses = {uid: s for uid, s in run.statuses("").items() if MODEL in uid}
    assert statuses and set(statuses.values()) <= {"success", "pass"}, statuses
    assert any(uid.startswith("unit_test.") for uid in statuses)  # its unit test ran too
    table = ds.dataset(lake / "retail" / "gold" / MODEL, format="parquet", partitioning="hive").to_table()
    assert table.column_names[-1] == "shop_week"
    got = _by_key(table.to_pylist())
    want = expected_rows()
    assert got.keys() == want.keys()
    for key, row in want.items():
        for column in ("baskets", "labelled_baskets", "la_baskets", "mm_baskets", "um_baskets", "xx_baskets"):
            assert got[key][column] == row[column], (key, column)
        for column in ("total_spend", "la_spend", "mm_spend", "um_spend"):
            assert got[key][column] == pytest.approx(row[column]), (key, column)
    assert sum(r["baskets"] for r in got.values()) == len(BASKETS)


def test_one_partition_file_per_week_in_the_lake(built):
    _, lake = built
    files = sorted((lake / "retail" / "gold" / MODEL).glob("shop_week=*/*.parquet"))
    assert [f.parent.name for f in files] == [f"shop_week={w}" for w in sorted({b.week for b in BASKETS})]
    assert {f.name for f in files} == {"part-0.parquet"}


def test_every_column_of_the_mart_is_described(built):
    import yaml
    from dbt_runner import PROJECT_DIR

    run, _ = built
    spec = yaml.safe_load((PROJECT_DIR / "models" / "marts" / f"{MODEL}.yml").read_text())["models"][0]
    assert spec["description"].strip()
    described = [c["name"] for c in spec["columns"] if c.get("description", "").strip()]
    built_columns = list(warehouse_table(run.target_path.parent, MODEL)[0])
    assert described == built_columns  # every column, in the table's order


def test_a_new_week_builds_incrementally_to_the_full_builds_table(built, tmp_path):
    full_run, _ = built
    lake = tmp_path / "lake"
    write_raw_lake(lake, tuple(b for b in BASKETS if b.week != 200604))
    select = ["--select", f"+{MODEL}"]
    first = build_lake(lake, tmp_path, *select, command="run")
    assert first.returncode == 0, first.output[-3000:]
    write_raw_lake(lake, tuple(b for b in BASKETS if b.week == 200604), duplicate_first_line=False)
    second = build_lake(lake, tmp_path, *select, "--vars", json.dumps({"shop_weeks": []}), command="run")
    assert second.returncode == 0, second.output[-3000:]
    assert warehouse_table(tmp_path, MODEL) == warehouse_table(full_run.target_path.parent, MODEL)
    weeks = sorted(int(p.parent.name.split("=")[1]) for p in (lake / "retail" / "gold" / MODEL).glob("*/*.parquet"))
    assert weeks == sorted({b.week for b in BASKETS})
