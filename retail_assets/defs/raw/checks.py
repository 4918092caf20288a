"""Checks on raw partitions, computed from what was written, not from what was meant to be."""

import dagster as dg

from retail_assets.contract.lake import Lake
from retail_assets.ingest.raw import reconcile_week, validate_written_week

COUNTS = ("lines_in_file", "rows_raw", "rows_quarantined", "duplicates_dropped", "unaccounted")


def raw_checks(lake: Lake, weeks: list[int]) -> list[dg.AssetCheckResult]:
    """rows_reconcile and schema_valid over the weeks a run wrote (one week, or a range)."""
    counts = {week: reconcile_week(lake, week) for week in weeks}
    schema = {week: validate_written_week(lake, week) for week in weeks}
    return [
        dg.AssetCheckResult(
            check_name="rows_reconcile",
            passed=all(c["reconciles"] for c in counts.values()),
            metadata=_metadata(counts, COUNTS),
        ),
        dg.AssetCheckResult(
            check_name="schema_valid",
            passed=not any(s["problems"] for s in schema.values()),
            metadata=_metadata(schema, ("rows", "failing_rows")),
        ),
    ]


def _metadata(by_week: dict[int, dict], numbers: tuple[str, ...]) -> dict:
    """A week's own numbers; over a range, their totals plus a row per week."""
    problems = [f"week {w}: {p}" for w, d in by_week.items() for p in d["problems"]]
    if len(by_week) == 1:
        (only,) = by_week.values()
        return {**{k: only[k] for k in numbers if only[k] is not None}, "problems": "; ".join(problems) or "none"}
    totals = {k: sum(d[k] or 0 for d in by_week.values()) for k in numbers}
    return {
        **totals,
        "weeks": len(by_week),
        "problems": "; ".join(problems) or "none",
        "per_week": dg.MetadataValue.json({str(w): {k: d[k] for k in numbers} for w, d in by_week.items()}),
    }
