"""The pandera schema compiled to Arrow says exactly what pandera says, row by row and check by check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pandera
import pyarrow as pa
import pytest

from retail_assets.ingest.arrow_checks import compile_schema
from retail_assets.ingest.schema import COLUMNS, NUMERIC_COLUMNS, RAW_SCHEMA, transaction_schema
from retail_assets.ingest.weekly import parse_weekly_file
from retail_assets.sample import write_sample_weeks

WEEK = 200607

# Values that sit on, just inside and just outside each rule, and a few that fool naive regexes.
STRANGE_STRINGS = [None, "", " ", "PRD0900033", "PRD090003", "PRD09000333", "prd0900033", " PRD0900033",
                   "PRD0900033 ", "PRD\u0660\u0661\u0662\u0663\u0664\u0665\u0666", "CL00201", "DEP00067", "G00021",
                   "D00005", "CUST0000410727", "CUST000041072", "STORE00001", "LA", "la", "MM", "UM", "XX", "ZZ",
                   "YA", "OT", "L", "M", "S", "Full Shop", "Top Up", "full shop", "Fresh", "Mixed", "LS", "XLS",
                   "E02", "W03", "E04", "N01 ", "\u00e9"]
# No null integers: a missing number never reaches the schema (the parser quarantines it as
# missing), and pandas could not hold it in an int column for pandera anyway.
STRANGE_NUMBERS = {
    pa.int8(): [-128, -1, 0, 1, 6, 7, 8, 23, 24, 127],
    pa.int32(): [-2147483648, -2, 0, 1, 190001, 200606, WEEK, 200608, 209953, 19000101, 20991231, 20991232],
    pa.int64(): [-1, 0, 1, 994100100398294, 2**62],
    pa.float64(): [None, -1.0, -0.01, -0.0, 0.0, 0.01, 1e300, float("nan")],
}


def _good_table(tmp_path) -> pa.Table:
    path = write_sample_weeks(tmp_path, weeks=1, baskets_per_week=60)[0]
    return parse_weekly_file(path.name, path.read_bytes()).good


def _corrupt(table: pa.Table, rng: np.random.Generator, share: float = 0.3) -> pa.Table:
    columns = {}
    for name in COLUMNS:
        values = table.column(name).to_pylist()
        pool = STRANGE_NUMBERS[RAW_SCHEMA.field(name).type] if name in NUMERIC_COLUMNS else STRANGE_STRINGS
        for i in np.flatnonzero(rng.random(len(values)) < share):
            values[i] = pool[rng.integers(len(pool))]
        columns[name] = pa.array(values, RAW_SCHEMA.field(name).type)
    return pa.table(columns, schema=RAW_SCHEMA)


def _pandera_failures(schema: pandera.DataFrameSchema, table: pa.Table) -> set[tuple[int, str, str]]:
    try:
        schema.validate(table.to_pandas(), lazy=True)
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        assert cases["index"].notna().all(), cases[cases["index"].isna()]  # nothing frame-level (dtypes)
        return {(int(c.index), c.column, c.check) for c in cases.itertuples()}
    return set()


def _arrow_failures(schema: pandera.DataFrameSchema, table: pa.Table) -> set[tuple[int, str, str]]:
    return {(int(i), rule.column, rule.check) for rule in compile_schema(schema) for i in np.flatnonzero(rule.failing(table))}


@pytest.mark.parametrize("seed", range(4))
def test_compiled_rules_fail_exactly_where_pandera_fails(tmp_path, seed):
    table = _corrupt(_good_table(tmp_path), np.random.default_rng(seed))
    schema = transaction_schema(WEEK)
    expected = _pandera_failures(schema, table)
    assert len(expected) > 100  # the corruption reaches every kind of rule
    assert {check for _, _, check in expected} >= {"not_nullable", "SHOP_WEEK is not the file's week 200607"}
    assert _arrow_failures(schema, table) == expected


def test_a_clean_week_passes_both(tmp_path):
    table = _good_table(tmp_path)
    schema = transaction_schema(WEEK)
    assert _pandera_failures(schema, table) == set() == _arrow_failures(schema, table)


def test_a_check_without_an_arrow_form_is_run_by_pandera(tmp_path):
    """A rule added to the schema is never skipped: unknown checks fall back to pandera itself."""
    custom = pandera.Check(lambda s: s.str.len() <= 9, error="PROD_CODE is too long")
    schema = transaction_schema(WEEK).update_column("PROD_CODE", checks=[custom])
    table = _corrupt(_good_table(tmp_path), np.random.default_rng(9))
    rules = [r for r in compile_schema(schema) if r.column == "PROD_CODE"]
    assert [r.check for r in rules] == ["not_nullable", "PROD_CODE is too long"]
    assert _arrow_failures(schema, table) == _pandera_failures(schema, table)


def test_the_raw_arrow_schema_is_derived_from_the_pandera_schema():
    schema = transaction_schema()
    assert tuple(schema.columns) == COLUMNS == tuple(RAW_SCHEMA.names)
    for name, column in schema.columns.items():
        arrow = RAW_SCHEMA.field(name).type
        expected = pa.string() if str(column.dtype).startswith(("str", "string")) else pa.from_numpy_dtype(str(column.dtype))
        assert arrow == expected, name
    frame = pd.DataFrame({c: pd.Series([], dtype=str(schema.columns[c].dtype)) for c in COLUMNS})
    schema.validate(pa.Table.from_pandas(frame, schema=RAW_SCHEMA, preserve_index=False).to_pandas())
