"""Tests of the synthetic dunnhumby-format generator (retail_assets/sample/)."""

import datetime as dt
import gzip
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retail_assets.sample import (
    BAD_ROW_COUNTS,
    COLUMNS,
    SEG_1,
    SEG_2,
    add_weeks,
    week_monday,
    write_bad_fixture,
    write_sample_weeks,
)

# The real files are never in the project: RETAIL_REAL_DATA names them (see tests/conftest.py).
REAL = Path(os.environ.get("RETAIL_REAL_DATA", Path(__file__).resolve().parents[3] / "shared" / "data" / "dunnhumby"))
SEG_HEADER = list(COLUMNS[:12]) + ["seg_1", "seg_2"] + list(COLUMNS[14:])
PATTERNS = {
    "SHOP_WEEK": r"\d{6}", "SHOP_DATE": r"\d{8}", "SHOP_WEEKDAY": r"[1-7]", "SHOP_HOUR": r"\d{1,2}",
    "QUANTITY": r"[1-9]\d*", "SPEND": r"\d+\.\d{1,2}", "PROD_CODE": r"PRD\d{7}",
    "PROD_CODE_10": r"CL\d{5}", "PROD_CODE_20": r"DEP\d{5}", "PROD_CODE_30": r"G\d{5}",
    "PROD_CODE_40": r"D\d{5}", "CUST_CODE": r"(CUST\d{10})?", "BASKET_ID": r"\d{15}",
    "BASKET_SIZE": r"[LMS]", "BASKET_PRICE_SENSITIVITY": r"LA|MM|UM|XX",
    "BASKET_TYPE": r"Full Shop|Small Shop|Top Up|XX",
    "BASKET_DOMINANT_MISSION": r"Fresh|Grocery|Mixed|Nonfood|XX",
    "STORE_CODE": r"STORE\d{5}", "STORE_FORMAT": r"LS|MS|SS|XLS", "STORE_REGION": r"[ENSW]0[123]",
    "seg_1": r"(AZ|BG|CT|DY)?", "seg_2": r"(AT|BU|CZ|DI|EQ|FN)?",
    "CUST_PRICE_SENSITIVITY": r"(LA|UM|MM|XX)?", "CUST_LIFESTAGE": r"(YA|OT|OA|YF|OF|PE)?",
}
BASKET_FIELDS = [c for c in SEG_HEADER if c not in ("QUANTITY", "SPEND") and not c.startswith("PROD_CODE")]


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def read_weeks(paths) -> pd.DataFrame:
    return pd.concat([read(p) for p in paths], ignore_index=True)


# ---------------------------------------------------------------- calendar


def test_week_arithmetic_follows_the_52_week_calendar():
    assert add_weeks(200652, 1) == 200701
    assert add_weeks(200701, -1) == 200652
    assert add_weeks(200607, 52) == 200707
    assert week_monday(200607) == dt.date(2006, 4, 10)
    assert week_monday(200701) == dt.date(2007, 2, 26)  # from time.csv
    with pytest.raises(ValueError):
        add_weeks(200653, 1)


@pytest.mark.skipif(not (REAL / "time.csv").exists(), reason="real dunnhumby time.csv not present")
def test_calendar_matches_real_time_csv():
    t = pd.read_csv(REAL / "time.csv")
    for week, date_from, date_to in t.itertuples(index=False):
        monday = week_monday(week)
        assert int(monday.strftime("%Y%m%d")) == date_from
        assert int((monday + dt.timedelta(days=6)).strftime("%Y%m%d")) == date_to


# ---------------------------------------------------------------- format


@pytest.fixture(scope="module")
def seg_files(tmp_path_factory):
    # Crosses the year boundary: 200651, 200652, 200701.
    return write_sample_weeks(tmp_path_factory.mktemp("seg"), 3, first_week=200651, baskets_per_week=200)


def test_file_names_and_weeks(seg_files):
    assert [p.name for p in seg_files] == [f"transactions_{w}.csv" for w in (200651, 200652, 200701)]
    for p in seg_files:
        assert (read(p).SHOP_WEEK == p.name[13:19]).all()


def test_columns_codes_and_quoting(seg_files):
    for p in seg_files:
        text = p.read_text()
        assert text.endswith("\n") and "\r" not in text
        lines = text.splitlines()
        assert lines[0].split(",") == SEG_HEADER
        assert all(line.count(",") == 21 for line in lines)
        # The only quoted values are empty ones, written "" as in the real files.
        assert set(re.findall(r'"[^,]*"', text)) == {'""'}
        assert all(field != "" for line in lines for field in line.split(","))
        df = read(p)
        for col in SEG_HEADER:
            assert df[col].str.fullmatch(PATTERNS[col]).all(), col


def test_dates_weekdays_hours(seg_files):
    for p in seg_files:
        df = read(p)
        monday = week_monday(int(p.name[13:19]))
        dates = pd.to_datetime(df.SHOP_DATE, format="%Y%m%d")
        assert dates.min() >= pd.Timestamp(monday)
        assert dates.max() <= pd.Timestamp(monday + dt.timedelta(days=6))
        # 1 = Sunday: pandas dayofweek is 0 = Monday .. 6 = Sunday.
        assert ((dates.dt.day_of_week + 1) % 7 + 1 == df.SHOP_WEEKDAY.astype(int)).all()
        assert df.SHOP_HOUR.astype(int).between(8, 21).all()


def test_basket_level_fields_are_constant_and_ids_unique(seg_files):
    df = read_weeks(seg_files)
    per_basket = df.groupby("BASKET_ID")[BASKET_FIELDS].nunique()
    assert (per_basket == 1).all().all()
    assert df.groupby("BASKET_ID").SHOP_WEEK.first().value_counts().tolist() == [200, 200, 200]
    baskets = df.drop_duplicates("BASKET_ID")
    unknown = baskets.CUST_CODE == ""
    assert 0.12 < unknown.mean() < 0.28
    assert (baskets.loc[unknown, ["seg_1", "seg_2"]] == "").all().all()
    assert set(df.BASKET_SIZE) == {"L", "M", "S"}
    assert set(df.STORE_FORMAT) == {"LS", "MS", "SS", "XLS"}


def test_product_hierarchy_is_a_tree(seg_files):
    df = read_weeks(seg_files)
    for child, parent in [("PROD_CODE", "PROD_CODE_10"), ("PROD_CODE_10", "PROD_CODE_20"),
                          ("PROD_CODE_20", "PROD_CODE_30"), ("PROD_CODE_30", "PROD_CODE_40")]:
        assert (df.groupby(child)[parent].nunique() == 1).all()
    assert 150 < df.PROD_CODE.nunique() < 500


def test_cust_header_carries_the_same_data(tmp_path):
    seg = read(write_sample_weeks(tmp_path / "s", 1, baskets_per_week=100)[0])
    cust = read(write_sample_weeks(tmp_path / "c", 1, baskets_per_week=100, header="cust")[0])
    assert list(cust.columns) == list(COLUMNS)
    for col in ("CUST_PRICE_SENSITIVITY", "CUST_LIFESTAGE"):
        assert cust[col].str.fullmatch(PATTERNS[col]).all()
    to_seg_1 = {**SEG_1, "": ""}
    to_seg_2 = {**SEG_2, "": ""}
    assert (cust.CUST_PRICE_SENSITIVITY.map(to_seg_1) == seg.seg_1).all()
    assert (cust.CUST_LIFESTAGE.map(to_seg_2) == seg.seg_2).all()
    common = [c for c in COLUMNS if c not in ("CUST_PRICE_SENSITIVITY", "CUST_LIFESTAGE")]
    assert cust[common].equals(seg[common])


@pytest.mark.skipif(
    not (REAL / "transactions_200607.csv.gz").exists(), reason="real dunnhumby files not present"
)
def test_header_matches_real_file(seg_files):
    with gzip.open(REAL / "transactions_200607.csv.gz", "rt") as f:
        assert f.readline().rstrip("\n").split(",") == SEG_HEADER


# ---------------------------------------------------------------- determinism


def test_same_arguments_same_bytes(tmp_path):
    for gz in (False, True):
        a = write_sample_weeks(tmp_path / f"a{gz}", 2, seed=3, gzip=gz)
        b = write_sample_weeks(tmp_path / f"b{gz}", 2, seed=3, gzip=gz)
        assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    other = write_sample_weeks(tmp_path / "c", 2, seed=4)
    assert other[0].read_bytes() != (tmp_path / "aFalse" / other[0].name).read_bytes()


def test_gzip_holds_the_plain_file(tmp_path):
    plain = write_sample_weeks(tmp_path / "p", 1)[0]
    gz = write_sample_weeks(tmp_path / "g", 1, gzip=True)[0]
    assert gz.name == "transactions_200607.csv.gz"
    assert gzip.decompress(gz.read_bytes()) == plain.read_bytes()


def test_a_week_does_not_depend_on_the_run(tmp_path):
    whole = write_sample_weeks(tmp_path / "w", 3)
    tail = write_sample_weeks(tmp_path / "t", 1, first_week=add_weeks(200607, 2))
    assert whole[2].read_bytes() == tail[0].read_bytes()


# ---------------------------------------------------------------- label


def test_class_mix(tmp_path):
    df = read_weeks(write_sample_weeks(tmp_path, 10, baskets_per_week=500))
    mix = df.drop_duplicates("BASKET_ID").BASKET_PRICE_SENSITIVITY.value_counts(normalize=True)
    for label, share in {"LA": 0.23, "MM": 0.51, "UM": 0.24, "XX": 0.02}.items():
        assert abs(mix[label] - share) < (0.01 if label == "XX" else 0.03), (label, mix[label])


def holdout_accuracy(df: pd.DataFrame) -> float:
    """Fit on weeks 1-6 baskets, score weeks 7-8, with product label shares from weeks 1-6."""
    from sklearn.linear_model import LogisticRegression

    weeks = sorted(df.SHOP_WEEK.unique())
    train_weeks = weeks[:6]
    history = df[df.SHOP_WEEK.isin(train_weeks) & (df.BASKET_PRICE_SENSITIVITY != "XX")]
    counts = pd.crosstab(history.PROD_CODE, history.BASKET_PRICE_SENSITIVITY)[["LA", "MM", "UM"]]
    shares = (counts + 1).div(counts.sum(axis=1) + 3, axis=0)  # Laplace smoothed
    lines = df.join(shares, on="PROD_CODE").fillna({"LA": 1 / 3, "MM": 1 / 3, "UM": 1 / 3})
    baskets = lines.groupby("BASKET_ID").agg(
        la=("LA", "mean"), mm=("MM", "mean"), um=("UM", "mean"),
        week=("SHOP_WEEK", "first"), label=("BASKET_PRICE_SENSITIVITY", "first"),
    )
    baskets = baskets[baskets.label != "XX"]
    train = baskets[baskets.week.isin(train_weeks)]
    test = baskets[~baskets.week.isin(train_weeks)]
    x = ["la", "mm", "um"]
    model = LogisticRegression(max_iter=1000).fit(train[x], train.label)
    return float((model.predict(test[x]) == test.label).mean())


@pytest.fixture(scope="module")
def eight_weeks(tmp_path_factory):
    return read_weeks(write_sample_weeks(tmp_path_factory.mktemp("eight"), 8))


def test_label_is_learnable_from_product_statistics(eight_weeks):
    assert holdout_accuracy(eight_weeks) >= 0.80


def test_a_label_ignoring_content_fails_the_learnability_check(eight_weeks):
    # Same class mix and basket fields, but each basket's label moved to another basket.
    df = eight_weeks.copy()
    labels = df.groupby("BASKET_ID").BASKET_PRICE_SENSITIVITY.first()
    shuffled = pd.Series(np.random.default_rng(0).permutation(labels.to_numpy()), index=labels.index)
    df["BASKET_PRICE_SENSITIVITY"] = df.BASKET_ID.map(shuffled)
    assert holdout_accuracy(df) < 0.65


# ---------------------------------------------------------------- bad fixtures


def test_bad_fixture_missing_and_extra_column(tmp_path):
    missing = read(write_bad_fixture("missing_column", tmp_path / "m"))
    assert list(missing.columns) == [c for c in SEG_HEADER if c != "SPEND"]
    assert len(missing) > 0
    extra = read(write_bad_fixture("extra_column", tmp_path / "e"))
    assert list(extra.columns) == SEG_HEADER + ["EXTRA_COL"]


def test_bad_fixture_empty(tmp_path):
    path = write_bad_fixture("empty", tmp_path)
    assert path.name == "transactions_200607.csv"
    assert path.read_text() == ",".join(SEG_HEADER) + "\n"


def test_bad_fixture_truncated_gzip(tmp_path):
    path = write_bad_fixture("truncated_gzip", tmp_path)
    assert path.name == "transactions_200607.csv.gz"
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    with pytest.raises(EOFError):
        gzip.decompress(path.read_bytes())


def test_bad_fixture_scientific_basket_ids(tmp_path):
    df = read(write_bad_fixture("scientific_basket_ids", tmp_path))
    assert df.BASKET_ID.str.fullmatch(r"\d\.\d{2}E\+14").all()
    assert (df.drop(columns="BASKET_ID") != "").any().all()  # the rest is intact


def test_bad_fixture_bad_rows(tmp_path):
    path = write_bad_fixture("bad_rows", tmp_path / "a")
    assert path.read_bytes() == write_bad_fixture("bad_rows", tmp_path / "b").read_bytes()
    df = read(path)
    qty = pd.to_numeric(df.QUANTITY, errors="coerce")
    found = {
        "unparseable_quantity": int(qty.isna().sum()),
        "negative_quantity": int((qty < 0).sum()),
        "unknown_label": int((~df.BASKET_PRICE_SENSITIVITY.isin(["LA", "MM", "UM", "XX"])).sum()),
        "wrong_week": int((df.SHOP_WEEK != "200607").sum()),
        "malformed_prod_code": int((~df.PROD_CODE.str.fullmatch(r"PRD\d{7}")).sum()),
    }
    assert found == BAD_ROW_COUNTS
    assert found == {"unparseable_quantity": 3, "negative_quantity": 2, "unknown_label": 2,
                     "wrong_week": 2, "malformed_prod_code": 2}
    # Every other row is well formed.
    bad = qty.isna() | (qty < 0) | (df.SHOP_WEEK != "200607") | ~df.PROD_CODE.str.fullmatch(r"PRD\d{7}") \
        | ~df.BASKET_PRICE_SENSITIVITY.isin(["LA", "MM", "UM", "XX"])
    assert bad.sum() == sum(BAD_ROW_COUNTS.values())
    good = df[~bad]
    for col in SEG_HEADER:
        assert good[col].str.fullmatch(PATTERNS[col]).all(), col


def test_unknown_bad_fixture_kind(tmp_path):
    with pytest.raises(ValueError):
        write_bad_fixture("nonsense", tmp_path)
