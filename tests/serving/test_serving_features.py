from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from retail_assets.contract.baskets import basket_features
from retail_assets.contract.encoding import encode
from retail_assets.contract.features import (
    CATEGORICAL_FEATURES,
    CLASSES,
    NUMERIC_FEATURES,
    PRODUCT_CLASS_COLUMNS,
    PRODUCT_STAT_COLUMNS,
    FeatureSpec,
    default_spec,
)
from retail_assets.contract.products import ProductTable, product_class

THIRD = 1 / 3


@pytest.fixture
def products() -> ProductTable:
    # P1 seen in labelled baskets, alone in 3 LA and 1 MM basket (class LA); P2 only in XX
    # baskets (n_lines 0, still has a price index), once alone (class XX); P3 is not in
    # the table at all.
    return ProductTable.from_arrow(pa.table({
        "prod_code": ["PRD0000002", "PRD0000001"],
        "n_lines": pa.array([0, 10], pa.int64()),
        "p_la": [THIRD, 0.5],
        "p_mm": [THIRD, 0.3],
        "p_um": [THIRD, 0.2],
        "log_price_index": [-0.2, 0.1],
        "n_solo_la": pa.array([0, 3], pa.int64()),
        "n_solo_mm": pa.array([0, 1], pa.int64()),
        "n_solo_um": pa.array([0, 0], pa.int64()),
        "n_solo_xx": pa.array([1, 0], pa.int64()),
    }))


def two_baskets() -> tuple[dict, dict]:
    baskets = {
        "basket_id": np.array([7, 3], dtype=np.int64),
        "shop_weekday": [2, 7],
        "shop_hour": [9, 23],
        "store_format": ["LS", "XLS"],
        "store_region": ["E01", "W03"],
        "cust_price_sensitivity": ["UM", None],
        "cust_lifestage": [None, "PE"],
    }
    # Lines interleaved, plus one line of a basket that was not asked for.
    lines = {
        "basket_id": [7, 3, 99, 7, 7],
        "prod_code": ["PRD0000001", "PRD0000001", "PRD0000001", "PRD0000002", "PRD0000003"],
        "quantity": [2, 1, 5, 1, 4],
        "spend": [3.0, 0.0, 9.0, 1.5, 2.0],
    }
    return baskets, lines


def test_constants_follow_the_contract() -> None:
    assert CLASSES == ("LA", "MM", "UM")
    assert NUMERIC_FEATURES == (
        "n_lines", "total_quantity", "total_spend", "avg_p_la", "avg_p_mm", "avg_p_um",
        "max_p_la", "max_p_um", "avg_log_price_index", "known_product_share",
        "shop_weekday", "shop_hour",
        "la_class_lines", "mm_class_lines", "um_class_lines", "xx_class_lines", "unclassed_lines",
        "la_class_share", "um_class_share", "class_balance", "la_class_spend_share", "um_class_spend_share",
    )
    assert list(CATEGORICAL_FEATURES) == [
        "store_format", "store_region", "cust_price_sensitivity", "cust_lifestage"]
    assert CATEGORICAL_FEATURES["store_region"] == (
        "E01", "E02", "E03", "N01", "N02", "N03", "S01", "S02", "S03", "W01", "W02", "W03")
    assert CATEGORICAL_FEATURES["cust_lifestage"] == ("YA", "OA", "YF", "OF", "PE", "OT", "XX")
    assert PRODUCT_STAT_COLUMNS == ("n_lines", "p_la", "p_mm", "p_um", "log_price_index")
    assert PRODUCT_CLASS_COLUMNS == ("n_solo_la", "n_solo_mm", "n_solo_um", "n_solo_xx")


def test_spec_names_and_json_round_trip() -> None:
    spec = default_spec()
    names = spec.encoded_names()
    assert names[:22] == list(NUMERIC_FEATURES)
    assert names[22:26] == ["store_format=LS", "store_format=MS", "store_format=SS", "store_format=XLS"]
    assert names[-1] == "cust_lifestage=XX"
    assert len(names) == 22 + 4 + 12 + 4 + 7
    assert FeatureSpec.from_json(spec.to_json()) == spec
    with pytest.raises(ValueError, match="classes"):
        FeatureSpec.from_json({"numeric": [], "categorical": {}})


def test_each_basket_feature_by_hand(products: ProductTable) -> None:
    baskets, lines = two_baskets()
    f = basket_features(baskets, lines, products)
    assert list(f) == ["basket_id", *NUMERIC_FEATURES, *CATEGORICAL_FEATURES]
    assert f["basket_id"].tolist() == [7, 3]  # the order of `baskets`
    # basket 7: P1 (0.5/0.3/0.2, lpi 0.1, known), P2 (1/3 each, lpi -0.2, n_lines 0), P3 unknown
    expected = {
        "n_lines": [3, 1],
        "total_quantity": [7, 1],
        "total_spend": [6.5, 0.0],
        "avg_p_la": [(0.5 + THIRD + THIRD) / 3, 0.5],
        "avg_p_mm": [(0.3 + THIRD + THIRD) / 3, 0.3],
        "avg_p_um": [(0.2 + THIRD + THIRD) / 3, 0.2],
        "max_p_la": [0.5, 0.5],
        "max_p_um": [THIRD, 0.2],
        "avg_log_price_index": [(0.1 - 0.2 + 0.0) / 3, 0.1],
        "known_product_share": [1 / 3, 1.0],
        "shop_weekday": [2, 7],
        "shop_hour": [9, 23],
        # basket 7: P1 is LA, P2 is XX, P3 unclassed; basket 3: P1 (LA) with no spend.
        "la_class_lines": [1, 1],
        "mm_class_lines": [0, 0],
        "um_class_lines": [0, 0],
        "xx_class_lines": [1, 0],
        "unclassed_lines": [1, 0],
        "la_class_share": [1 / 3, 1.0],
        "um_class_share": [0.0, 0.0],
        "class_balance": [-1 / 3, -1.0],
        "la_class_spend_share": [3.0 / 6.5, 0.0],
        "um_class_spend_share": [0.0, 0.0],
    }
    for name, values in expected.items():
        np.testing.assert_allclose(f[name], values, rtol=1e-12, err_msg=name)
    for name in ("n_lines", "total_quantity", "la_class_lines", "unclassed_lines"):
        assert f[name].dtype == np.int64, name
    assert f["store_format"].tolist() == ["LS", "XLS"]
    assert f["cust_price_sensitivity"].tolist() == ["UM", None]


def test_basket_features_from_arrow_tables(products: ProductTable) -> None:
    baskets, lines = two_baskets()
    from_arrow = basket_features(pa.table(baskets), pa.table(lines), products)
    from_dicts = basket_features(baskets, lines, products)
    for name in NUMERIC_FEATURES:
        np.testing.assert_allclose(from_arrow[name], from_dicts[name], err_msg=name)
    assert from_arrow["cust_lifestage"].tolist() == [None, "PE"]


def test_missing_categorical_context_encodes_as_unknown(products: ProductTable) -> None:
    baskets, lines = two_baskets()
    del baskets["cust_lifestage"]
    f = basket_features(baskets, lines, products)
    X = encode(f, default_spec())
    assert X[:, -7:].sum() == 0


def test_basket_without_lines_is_an_error(products: ProductTable) -> None:
    baskets, lines = two_baskets()
    baskets["basket_id"] = np.array([7, 42])
    with pytest.raises(ValueError, match="basket_id 42"):
        basket_features(baskets, lines, products)


def test_duplicate_basket_ids_are_an_error(products: ProductTable) -> None:
    baskets, lines = two_baskets()
    baskets["basket_id"] = np.array([7, 7])
    with pytest.raises(ValueError, match="duplicate basket_id"):
        basket_features(baskets, lines, products)


def test_many_baskets_match_a_per_basket_reference(products: ProductTable) -> None:
    rng = np.random.default_rng(1)
    n = 200
    ids = rng.permutation(np.arange(10**14, 10**14 + n))
    per_basket = rng.integers(1, 6, n)
    line_ids = np.repeat(ids, per_basket)
    shuffle = rng.permutation(len(line_ids))
    codes = rng.choice(["PRD0000001", "PRD0000002", "PRD0000003"], len(line_ids))[shuffle]
    line_ids = line_ids[shuffle]
    qty = rng.integers(1, 4, len(line_ids))
    spend = rng.uniform(0, 5, len(line_ids))
    baskets = {"basket_id": ids, "shop_weekday": np.ones(n, int), "shop_hour": np.zeros(n, int)}
    lines = {"basket_id": line_ids, "prod_code": codes, "quantity": qty, "spend": spend}
    f = basket_features(baskets, lines, products)
    for i in rng.choice(n, 20, replace=False):
        mine = line_ids == ids[i]
        stats = products.lookup(codes[mine])
        assert f["n_lines"][i] == mine.sum()
        assert f["total_quantity"][i] == qty[mine].sum()
        assert math.isclose(f["total_spend"][i], spend[mine].sum())
        assert math.isclose(f["max_p_la"][i], stats["p_la"].max())
        assert math.isclose(f["avg_p_um"][i], stats["p_um"].mean())
        assert math.isclose(f["known_product_share"][i], (stats["n_lines"] > 0).mean())


def test_product_table_lookup_and_unknown_product(products: ProductTable, tmp_path) -> None:
    stats = products.lookup(["PRD0000001", "PRD9999999", "PRD0000002", "PRD00000011"])
    assert stats["n_lines"].tolist() == [10, 0, 0, 0]
    assert stats["p_la"].tolist() == [0.5, THIRD, THIRD, THIRD]
    assert stats["p_mm"].tolist()[1] == THIRD and stats["p_um"].tolist()[1] == THIRD
    assert stats["log_price_index"].tolist() == [0.1, 0.0, -0.2, 0.0]
    assert "PRD0000001" in products and "PRD9999999" not in products
    pq.write_table(products.to_arrow(), tmp_path / "p.parquet")
    assert len(ProductTable.from_parquet(tmp_path / "p.parquet")) == 2
    empty = ProductTable.from_arrow(products.to_arrow().slice(0, 0))
    assert empty.lookup(["PRD0000001"])["p_mm"].tolist() == [THIRD]


def test_product_class_is_the_strict_leader_of_single_line_labels() -> None:
    counts = {  # LA leads; tie MM/UM; none; XX leads; UM alone
        "n_solo_la": [3, 0, 0, 1, 0],
        "n_solo_mm": [1, 2, 0, 0, 0],
        "n_solo_um": [0, 2, 0, 0, 1],
        "n_solo_xx": [0, 0, 0, 2, 0],
    }
    assert product_class(counts).tolist() == [0, -1, -1, 3, 2]
    assert product_class({c: [] for c in PRODUCT_CLASS_COLUMNS}).tolist() == []


def test_a_table_without_class_columns_loads_unclassed(products: ProductTable, tmp_path) -> None:
    # Online tables written before the class columns existed: every product unclassed.
    legacy = products.to_arrow().drop_columns(list(PRODUCT_CLASS_COLUMNS))
    pq.write_table(legacy, tmp_path / "legacy.parquet")
    table = ProductTable.from_parquet(tmp_path / "legacy.parquet")
    assert table.lookup(["PRD0000001"])["n_solo_la"].tolist() == [0]
    baskets, lines = two_baskets()
    f = basket_features(baskets, lines, table)
    assert f["unclassed_lines"].tolist() == f["n_lines"].tolist()
    with pytest.raises(ValueError, match="n_solo_xx"):
        ProductTable.from_arrow(products.to_arrow().drop_columns(["n_solo_xx"]))


def test_product_table_refuses_bad_tables(products: ProductTable) -> None:
    table = products.to_arrow()
    with pytest.raises(ValueError, match="duplicate prod_code"):
        ProductTable.from_arrow(pa.concat_tables([table, table]))
    with pytest.raises(ValueError, match="log_price_index"):
        ProductTable.from_arrow(table.drop_columns(["log_price_index"]))
    with pytest.raises(ValueError, match="nulls"):
        ProductTable.from_arrow(table.set_column(
            2, "p_la", pa.array([None, 0.5], pa.float64())))


def test_encode_order_and_one_hots() -> None:
    columns = {name: [float(i), float(i) + 0.5] for i, name in enumerate(NUMERIC_FEATURES)}
    columns |= {
        "store_format": ["XLS", "LS"],
        "store_region": ["N02", "W03"],
        "cust_price_sensitivity": ["LA", "XX"],
        "cust_lifestage": ["OT", "YA"],
    }
    spec = default_spec()
    X = encode(columns, spec)
    names = spec.encoded_names()
    assert X.dtype == np.float32 and X.shape == (2, len(names))
    n = len(NUMERIC_FEATURES)
    np.testing.assert_array_equal(X[0, :n], np.arange(n, dtype=np.float32))
    hot = [[names[j] for j in np.flatnonzero(row[n:]) + n] for row in X]
    assert hot == [
        ["store_format=XLS", "store_region=N02", "cust_price_sensitivity=LA", "cust_lifestage=OT"],
        ["store_format=LS", "store_region=W03", "cust_price_sensitivity=XX", "cust_lifestage=YA"],
    ]


def test_encode_unknown_and_missing_categories_are_zeros() -> None:
    spec = FeatureSpec(numeric=("n_lines",), categorical={"store_format": ("LS", "MS")})
    values = ["ZZ", None, float("nan"), "ms", 3, "MS"]
    X = encode({"n_lines": range(6), "store_format": np.array(values, dtype=object)}, spec)
    assert X[:, 1:].tolist() == [[0, 0]] * 5 + [[0, 1]]
    ints = encode({"n_lines": [1], "store_format": [7]}, spec)  # not strings at all
    assert ints[:, 1:].tolist() == [[0, 0]]


def test_encode_accepts_pandas_and_arrow() -> None:
    pd = pytest.importorskip("pandas")
    spec = FeatureSpec(numeric=("n_lines", "total_spend"),
                       categorical={"store_region": ("E01", "E02")})
    frame = pd.DataFrame({"n_lines": [1, 2], "total_spend": [0.5, 2.0],
                          "store_region": pd.Series(["E02", None], dtype="string")})
    expected = [[1, 0.5, 0, 1], [2, 2.0, 0, 0]]
    assert encode(frame, spec).tolist() == expected
    frame["store_region"] = frame["store_region"].astype("category")
    assert encode(frame, spec).tolist() == expected
    assert encode(pa.Table.from_pandas(frame), spec).tolist() == expected


def test_encode_rejects_bad_numeric_columns() -> None:
    spec = FeatureSpec(numeric=("n_lines",), categorical={})
    with pytest.raises(ValueError, match="missing column 'n_lines'"):
        encode({}, spec)
    with pytest.raises(ValueError, match="non-finite"):
        encode({"n_lines": [1.0, float("nan")]}, spec)
    with pytest.raises(ValueError, match="not numeric"):
        encode({"n_lines": ["a"]}, spec)
