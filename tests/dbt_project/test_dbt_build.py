"""dbt build on tiny generated lakes: silver and gold land where the contract says, the
features equal hand-computed values, the point-in-time window holds, and a query for one
region and a few weeks of silver reads only those files."""

from __future__ import annotations

import math

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from dbt_lake_fixture import BASKETS, CATEGORIES, Basket, write_raw_lake
from dbt_reference_features import UNSEEN, basket_features, product_stats
from dbt_runner import build_lake, files_read

FEATURE_COLUMNS = (
    "n_lines", "total_quantity", "total_spend", "avg_p_la", "avg_p_mm", "avg_p_um",
    "max_p_la", "max_p_um", "avg_log_price_index", "known_product_share", "shop_weekday", "shop_hour",
    "la_class_lines", "mm_class_lines", "um_class_lines", "xx_class_lines", "unclassed_lines",
    "la_class_share", "um_class_share", "class_balance", "la_class_spend_share", "um_class_spend_share",
)
PRODUCT_COLUMNS = [
    ("prod_code", pa.string()), ("n_lines", pa.int64()), ("p_la", pa.float64()), ("p_mm", pa.float64()),
    ("p_um", pa.float64()), ("log_price_index", pa.float64()), ("n_solo_la", pa.int64()),
    ("n_solo_mm", pa.int64()), ("n_solo_um", pa.int64()), ("n_solo_xx", pa.int64()),
]
INTEGER_FEATURES = {"n_lines", "total_quantity", "la_class_lines", "mm_class_lines", "um_class_lines",
                    "xx_class_lines", "unclassed_lines"}
# As read back from the lake: the Hive partition key (the week) comes last.
GOLD_SCHEMAS = {
    "fct_baskets": pa.schema(
        [("basket_id", pa.int64()), ("label", pa.string()),
         ("store_format", pa.string()), ("store_region", pa.string()),
         ("cust_price_sensitivity", pa.string()), ("cust_lifestage", pa.string()),
         *((name, pa.int32() if name in ("shop_weekday", "shop_hour")
            else pa.int64() if name in INTEGER_FEATURES else pa.float64()) for name in FEATURE_COLUMNS),
         ("shop_week", pa.int32())]
    ),
    "product_features_pit": pa.schema([*PRODUCT_COLUMNS, ("as_of_week", pa.int32())]),
    "product_features_latest": pa.schema(PRODUCT_COLUMNS),
}


def gold(lake, name: str) -> pa.Table:
    return pq.read_table(lake / "retail" / "gold" / name, partitioning=ds.partitioning(flavor="hive"))


def baskets_by_id(lake) -> dict[int, dict]:
    return {row["basket_id"]: row for row in gold(lake, "fct_baskets").to_pylist()}


def test_build_passes_models_data_tests_and_unit_tests(built):
    run, _ = built
    assert run.returncode == 0, run.output[-3000:]
    statuses = run.statuses("")
    assert set(statuses.values()) <= {"success", "pass"}, {k: v for k, v in statuses.items() if v not in ("success", "pass")}
    unit_tests = run.statuses("unit_test.")
    assert len(unit_tests) >= 7 and set(unit_tests.values()) == {"pass"}
    assert len(run.statuses("test.")) > 50


def test_silver_is_partitioned_by_week_and_region_without_the_duplicate_line(built):
    _, lake = built
    silver = lake / "retail" / "silver" / "transactions"
    expected = {(b.week, b.store_region) for b in BASKETS}
    found = {
        (int(p.parent.parent.name.removeprefix("shop_week=")), p.parent.name.removeprefix("store_region="))
        for p in silver.glob("shop_week=*/store_region=*/*.parquet")
    }
    assert found == expected
    table = pq.read_table(silver)  # Hive partitions come back as columns
    assert table.num_rows == sum(len(b.lines) for b in BASKETS)  # the raw duplicate is gone
    assert {"BASKET_ID", "PROD_CODE", "SPEND", "shop_week", "store_region"} <= set(table.column_names)


@pytest.mark.parametrize("name", sorted(GOLD_SCHEMAS))
def test_gold_tables_have_the_contract_columns_and_types(built, name):
    _, lake = built
    assert gold(lake, name).schema.remove_metadata() == GOLD_SCHEMAS[name]


def test_features_of_a_first_week_basket_know_no_product(built):
    _, lake = built
    basket = baskets_by_id(lake)[BASKETS[0].basket_id]  # week 200601: no history at all
    assert (basket["label"], basket["store_format"], basket["store_region"]) == ("LA", "LS", "E01")
    assert (basket["n_lines"], basket["total_quantity"], basket["total_spend"]) == (2, 3, 5.0)
    for column in ("avg_p_la", "avg_p_mm", "avg_p_um", "max_p_la", "max_p_um"):
        assert basket[column] == pytest.approx(1 / 3)
    assert basket["avg_log_price_index"] == 0.0
    assert basket["known_product_share"] == 0.0


def test_features_of_a_week_two_basket_by_hand(built):
    _, lake = built
    basket = baskets_by_id(lake)[BASKETS[3].basket_id]  # week 200602: P1 and P3
    # Week 1 history. P1: lines in baskets 1 (LA) and 2 (MM) -> n=2, p_la=p_mm=2/5, p_um=1/5;
    # unit price 6/3 = 2 against category CL00001's 7/4 -> ln(8/7).
    # P3: only in the XX basket 3 -> n=0, 1/3 each; unit price 1 = its category's -> 0.
    assert (basket["n_lines"], basket["total_quantity"], basket["total_spend"]) == (2, 2, 3.0)
    assert basket["avg_p_la"] == pytest.approx((2 / 5 + 1 / 3) / 2)
    assert basket["avg_p_mm"] == pytest.approx((2 / 5 + 1 / 3) / 2)
    assert basket["avg_p_um"] == pytest.approx((1 / 5 + 1 / 3) / 2)
    assert basket["max_p_la"] == pytest.approx(2 / 5)
    assert basket["max_p_um"] == pytest.approx(1 / 3)
    assert basket["avg_log_price_index"] == pytest.approx(math.log(8 / 7) / 2)
    assert basket["known_product_share"] == 0.5
    assert (basket["shop_weekday"], basket["shop_hour"]) == (4, 12)
    assert (basket["cust_price_sensitivity"], basket["cust_lifestage"]) == ("MM", "YF")


def test_every_basket_matches_the_reference_implementation(built):
    _, lake = built
    actual = baskets_by_id(lake)
    expected = basket_features(BASKETS)
    assert set(actual) == set(expected)
    for basket_id, features in expected.items():
        for column in FEATURE_COLUMNS:
            assert actual[basket_id][column] == pytest.approx(features[column], rel=1e-12, abs=1e-12), (basket_id, column)


def test_product_tables_match_the_reference(built):
    _, lake = built
    weeks = sorted({b.week for b in BASKETS})
    pit = {(r["prod_code"], r["as_of_week"]): r for r in gold(lake, "product_features_pit").to_pylist()}
    first_week = {p: min(b.week for b in BASKETS if any(line[0] == p for line in b.lines)) for p in CATEGORIES}
    assert set(pit) == {(p, w) for p in CATEGORIES for w in weeks if w > first_week[p]}
    latest = {r["prod_code"]: r for r in gold(lake, "product_features_latest").to_pylist()}
    # The latest table is the point-in-time table as of a week after every week loaded.
    for (prod_code, week), row in [*pit.items(), *(((p, 999999), r) for p, r in latest.items())]:
        expected = product_stats(BASKETS, week).get(prod_code, UNSEEN)
        for column, value in expected.items():
            assert row[column] == pytest.approx(value, rel=1e-12, abs=1e-12), (prod_code, week, column)


def test_changing_week_three_labels_and_prices_changes_only_later_baskets(built, built_relabelled):
    (run, lake), (run_relabelled, lake_relabelled) = built, built_relabelled
    assert run_relabelled.returncode == 0, run_relabelled.output[-3000:]
    before, after = baskets_by_id(lake), baskets_by_id(lake_relabelled)
    for basket in BASKETS:
        # A week-3 basket's own spend changed; everything it knows of other weeks did not.
        columns = [c for c in FEATURE_COLUMNS if not (basket.week == 200603 and c == "total_spend")]
        old = [before[basket.basket_id][c] for c in columns]
        new = [after[basket.basket_id][c] for c in columns]
        if basket.week <= 200603:
            assert new == old, f"basket of week {basket.week} saw week 200603's data"
        else:
            assert new != old, "a week-4 basket must see week 200603's labels and prices"
    pit_before, pit_after = (
        {(r["prod_code"], r["as_of_week"]): r for r in gold(x, "product_features_pit").to_pylist()}
        for x in (lake, lake_relabelled)
    )
    assert {k: v for k, v in pit_before.items() if k[1] <= 200603} == {k: v for k, v in pit_after.items() if k[1] <= 200603}
    assert [v for k, v in pit_before.items() if k[1] == 200604] != [v for k, v in pit_after.items() if k[1] == 200604]


def test_unknown_store_format_fails_accepted_values_and_blocks_gold(tmp_path):
    odd = Basket(994100100000099, 200601, "MM", "XXL", "E01", 1, 9, (("PRD0000001", 1, 1.0),))
    lake = write_raw_lake(tmp_path / "lake", (*BASKETS, odd))
    run = build_lake(lake, tmp_path)
    assert run.returncode != 0
    results = run.results()
    failing = {uid: r for uid, r in results.items() if r["status"] == "fail"}
    assert any("accepted_values_stg_transactions_STORE_FORMAT" in uid for uid in failing), failing.keys()
    [store_format_test] = [r for uid, r in failing.items() if "STORE_FORMAT" in uid]
    assert store_format_test["failures"] == 1
    assert results["model.retail.fct_baskets"]["status"] == "skipped"


def test_a_query_for_one_region_and_two_weeks_reads_only_their_files(built, tmp_path):
    _, lake = built
    silver = lake / "retail" / "silver" / "transactions"
    every_file = sorted(str(p) for p in silver.rglob("*.parquet"))
    wanted = [str(silver / f"shop_week={w}" / "store_region=E01" / "part-0.parquet") for w in (200601, 200602)]
    read, bytes_read, lines = files_read(
        f"select count(*) from read_parquet('{silver}/*/*/*.parquet', hive_partitioning = true) "
        "where store_region = 'E01' and shop_week in (200601, 200602)",
        tmp_path,
    )
    assert read == wanted and len(every_file) > 2 * len(wanted)
    assert 0 < bytes_read < sum((silver / p).stat().st_size for p in every_file)
    assert lines == sum(len(b.lines) for b in BASKETS if b.store_region == "E01" and b.week <= 200602)
