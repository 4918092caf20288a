"""Weekly file validation: good rows through, bad rows kept with a reason, bad files refused."""

from __future__ import annotations

import pytest

from retail_assets.ingest.weekly import FileRejected, parse_weekly_file
from retail_assets.sample import BAD_ROW_COUNTS, write_bad_fixture, write_sample_weeks


def _parse(path):
    return parse_weekly_file(path.name, path.read_bytes())


def test_both_header_variants_give_the_same_rows(tmp_path):
    seg = write_sample_weeks(tmp_path / "seg", weeks=1, header="seg")[0]
    cust = write_sample_weeks(tmp_path / "cust", weeks=1, header="cust")[0]
    a, b = _parse(seg), _parse(cust)
    assert a.good.num_rows > 0 and a.quarantine.num_rows == 0
    assert a.good.equals(b.good)
    assert set(a.good.column("CUST_PRICE_SENSITIVITY").drop_null().to_pylist()) <= {"LA", "MM", "UM", "XX"}
    assert a.good.column("CUST_CODE").null_count > 0  # "" means unknown, kept as null


def test_gzip_and_plain_agree(tmp_path):
    plain = write_sample_weeks(tmp_path / "p", weeks=1)[0]
    gz = write_sample_weeks(tmp_path / "g", weeks=1, gzip=True)[0]
    assert gz.name.endswith(".csv.gz")
    assert _parse(plain).good.equals(_parse(gz).good)


def test_bad_rows_are_quarantined_with_reasons_and_counts_reconcile(tmp_path):
    path = write_bad_fixture("bad_rows", tmp_path)
    result = _parse(path)
    lines = len(path.read_text().splitlines()) - 1
    assert result.rows_read == lines
    assert result.reconciles
    assert result.quarantine.num_rows == sum(BAD_ROW_COUNTS.values())
    reasons = result.quarantine.column("REJECT_REASON").to_pylist()
    assert sum("QUANTITY 'abc' is not a valid number" in r for r in reasons) == 3
    assert sum("QUANTITY must be at least 1" in r for r in reasons) == 2
    assert sum("BASKET_PRICE_SENSITIVITY 'ZZ' is not an allowed code" in r for r in reasons) == 2
    assert sum("SHOP_WEEK is not the file's week 200607" in r for r in reasons) == 2
    assert sum("PROD_CODE 'PRD12X' is malformed" in r for r in reasons) == 2
    # The quarantined rows keep their original values and their line in the file.
    lines_text = path.read_text().splitlines()
    for row in result.quarantine.to_pylist():
        assert lines_text[row["SOURCE_LINE"] - 1].split(",")[6] == row["PROD_CODE"]


@pytest.mark.parametrize(
    "kind, message",
    [
        ("missing_column", "missing columns ['SPEND']"),
        ("extra_column", "unexpected columns ['EXTRA_COL']"),
        ("empty", "has a header but no rows"),
        ("truncated_gzip", "truncated or corrupt gzip"),
        ("scientific_basket_ids", "BASKET_ID in scientific notation"),
    ],
)
def test_untrustworthy_files_are_refused_naming_file_and_problem(tmp_path, kind, message):
    path = write_bad_fixture(kind, tmp_path)
    with pytest.raises(FileRejected) as info:
        _parse(path)
    assert str(info.value).startswith(path.name + ": ")
    assert message in str(info.value)


def test_exact_duplicates_are_dropped_and_counted(tmp_path):
    path = write_sample_weeks(tmp_path, weeks=1)[0]
    assert _parse(path).duplicates_dropped == 0  # like the real files: no exact duplicate lines
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines + lines[1:4]) + "\n")
    result = _parse(path)
    assert result.duplicates_dropped == 3
    assert result.rows_read == len(lines) - 1 + 3
    assert result.reconciles


def test_a_line_with_the_wrong_number_of_fields_is_kept_not_lost(tmp_path):
    path = write_sample_weeks(tmp_path, weeks=1)[0]
    lines = path.read_text().splitlines()
    lines.insert(5, "200607,20060410,2,10,1")
    path.write_text("\n".join(lines) + "\n")
    result = _parse(path)
    assert result.reconciles
    bad = result.quarantine.to_pylist()
    assert [r["SOURCE_LINE"] for r in bad] == [6]
    assert "5 fields, expected 22" in bad[0]["REJECT_REASON"]


def test_file_name_must_carry_the_week(tmp_path):
    with pytest.raises(FileRejected, match="name is not transactions_YYYYWW.csv"):
        parse_weekly_file("week7.csv", b"x")


def test_numbers_are_read_like_a_lenient_reader_and_refused_when_they_are_not_numbers(tmp_path):
    path = write_sample_weeks(tmp_path, weeks=1, baskets_per_week=30)[0]
    rows = [line.split(",") for line in path.read_text().splitlines()]
    edits = {  # line index -> (column, value, accepted as, or the reason)
        1: ("QUANTITY", "+3", 3), 2: ("QUANTITY", " 4 ", 4), 3: ("QUANTITY", "5.0", 5), 4: ("SPEND", "1e1", 10.0),
        5: ("QUANTITY", "99999999999", "QUANTITY '99999999999' is not a valid number"),
        6: ("SPEND", "inf", "SPEND 'inf' is not a valid number"), 7: ("SPEND", "nan", "SPEND 'nan' is not a valid number"),
        8: ("QUANTITY", "2.5", "QUANTITY '2.5' is not a valid number"), 9: ("SHOP_HOUR", '""', "SHOP_HOUR is missing"),
        10: ("seg_1", "QQ", "CUST_PRICE_SENSITIVITY 'QQ' is not an allowed code"),
        11: ("STORE_FORMAT", '""', "STORE_FORMAT is missing"),
        12: ("SHOP_WEEKDAY", "8", "SHOP_WEEKDAY '8' fails in_range(1, 7)"),
    }
    header = rows[0]
    for i, (column, value, _) in edits.items():
        rows[i][header.index(column)] = value
    keys = {i: rows[i][header.index("PROD_CODE")] + rows[i][header.index("BASKET_ID")] for i in edits}
    rows.insert(1, [])  # a blank line: SOURCE_LINE still counts it, as an editor would
    path.write_text("\n".join(",".join(r) for r in rows) + "\n")
    result = _parse(path)
    assert result.reconciles
    by_line = {r["SOURCE_LINE"]: r["REJECT_REASON"] for r in result.quarantine.to_pylist()}
    assert by_line == {i + 2: expected for i, (_, _, expected) in edits.items() if isinstance(expected, str)}
    good = {r["PROD_CODE"] + str(r["BASKET_ID"]): r for r in result.good.to_pylist()}
    for i, (column, _, expected) in edits.items():
        if not isinstance(expected, str):
            assert good[keys[i]][column] == expected
    assert result.reasons["SHOP_HOUR is missing"] == 1 and result.reasons["QUANTITY is not a valid number"] == 2
