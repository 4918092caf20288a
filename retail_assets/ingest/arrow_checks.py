"""The pandera schema compiled to Arrow compute: the same rules, column at a time, in C++.

Each pandera `Check` of a column becomes a predicate over an Arrow array (True where the
value passes; nulls pass, as pandera's `ignore_na` has it), and a non-nullable column gets
a null rule. A check this module does not know is run by pandera itself on that column, so
a rule added to the schema is never skipped, at worst slower. The equivalence with pandera
is tested on every fixture and on randomly corrupted rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc

Predicate = Callable[[pa.ChunkedArray], pa.ChunkedArray | pa.Array]


@dataclass(frozen=True)
class Rule:
    column: str
    check: str  # what pandera reports as the failed check: its error text, or "not_nullable"
    passes: Predicate
    ignore_na: bool = True  # as pandera's checks: a null value is the null rule's business only

    def failing(self, table: pa.Table) -> np.ndarray:
        """Boolean mask of the rows of `table` that break this rule."""
        values = table.column(self.column)
        failed = pc.invert(pc.fill_null(self.passes(values), False))
        if self.ignore_na:
            failed = pc.and_(failed, present(values))
        return np.asarray(failed.to_numpy(zero_copy_only=False), dtype=bool)


def present(values) -> pa.ChunkedArray:
    """Not missing, as pandas sees it: null, and NaN in a float column, are missing."""
    if pa.types.is_floating(values.type):
        return pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(pc.is_nan(values), True)))
    return pc.is_valid(values)


def _range(low, high, include_low: bool, include_high: bool) -> Predicate:
    lower = pc.greater_equal if include_low else pc.greater
    upper = pc.less_equal if include_high else pc.less
    return lambda a: pc.and_kleene(lower(a, low), upper(a, high))


def _prefix_anchored(pattern: str) -> str:
    return pattern if pattern.startswith("^") else f"^{pattern}"  # pandera's str_matches is re.match


def _compiled(check: pandera.Check) -> Predicate | None:
    s = check.statistics or {}
    match check.name:
        case "equal_to":
            return lambda a: pc.equal(a, s["value"])
        case "not_equal_to":
            return lambda a: pc.not_equal(a, s["value"])
        case "greater_than":
            return lambda a: pc.greater(a, s["min_value"])
        case "greater_than_or_equal_to":
            return lambda a: pc.greater_equal(a, s["min_value"])
        case "less_than":
            return lambda a: pc.less(a, s["max_value"])
        case "less_than_or_equal_to":
            return lambda a: pc.less_equal(a, s["max_value"])
        case "in_range":
            return _range(s["min_value"], s["max_value"], s.get("include_min", True), s.get("include_max", True))
        case "isin":
            return lambda a: pc.is_in(a, value_set=pa.array(list(s["allowed_values"]), type=a.type))
        case "notin":
            return lambda a: pc.invert(pc.is_in(a, value_set=pa.array(list(s["forbidden_values"]), type=a.type)))
        case "str_matches":
            return lambda a: pc.match_substring_regex(a, _prefix_anchored(s["pattern"]))
        case "str_startswith":
            return lambda a: pc.starts_with(a, s["string"])
        case "str_endswith":
            return lambda a: pc.ends_with(a, s["string"])
    return None


def _by_pandera(check: pandera.Check) -> Predicate:
    """Fallback: pandera evaluates the check on the column's non-null values."""

    def passes(a):
        values = a.to_pandas(types_mapper=None)
        valid = values.notna().to_numpy()
        out = np.ones(len(values), dtype=bool)
        if valid.any():
            out[valid] = np.asarray(check(values[valid]).check_output, dtype=bool)
        return pa.array(out)

    return passes


def compile_column(name: str, column: pandera.Column) -> list[Rule]:
    rules = [Rule(name, "not_nullable", present, ignore_na=False)] if not column.nullable else []
    for check in column.checks:
        rules.append(Rule(name, check.error or str(check), _compiled(check) or _by_pandera(check)))
    return rules


def compile_schema(schema: pandera.DataFrameSchema) -> list[Rule]:
    return [rule for name, column in schema.columns.items() for rule in compile_column(name, column)]


def failing_rows(table: pa.Table, rules: list[Rule]) -> np.ndarray:
    """Mask of the rows of `table` breaking at least one rule."""
    bad = np.zeros(table.num_rows, dtype=bool)
    for rule in rules:
        bad |= rule.failing(table)
    return bad
