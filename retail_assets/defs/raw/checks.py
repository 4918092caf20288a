"""Checks on raw partitions, computed from what was written, not from what was meant to be."""

import dagster as dg

from retail_assets.contract.lake import Lake
from retail_assets.ingest.raw import reconcile_week, validate_written_week

COUNTS = ("lines_in_file", "rows_raw", "rows_quarantined", "duplicates_dropped", "unaccounted")
SHARES = ("lines_in_file", "rows_quarantined", "quarantine_share")


def raw_checks(lake: Lake, weeks: list[int], max_quarantine_share: float) -> list[dg.AssetCheckResult]:
    """rows_reconcile, schema_valid and quarantine_share over the weeks a run wrote (one week, or a range)."""
    counts = {week: reconcile_week(lake, week) for week in weeks}
    schema = {week: validate_written_week(lake, week) for week in weeks}
    shares = {week: quarantine_share(c, max_quarantine_share) for week, c in counts.items()}
    share_metadata = _metadata(shares, SHARES)
    if len(shares) > 1:  # over a range, the share of all its lines (not a sum of shares)
        lines = share_metadata["lines_in_file"]
        share_metadata["quarantine_share"] = round(share_metadata["rows_quarantined"] / lines, 6) if lines else 0.0
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
        dg.AssetCheckResult(
            check_name="quarantine_share",
            passed=not any(s["problems"] for s in shares.values()),
            metadata={**share_metadata, "max_quarantine_share": max_quarantine_share,
                      "failing_weeks": dg.MetadataValue.json([w for w, s in shares.items() if s["problems"]])},
        ),
    ]


def quarantine_share(counts: dict, max_share: float) -> dict:
    """A week's quarantined share of its file's lines, from its reconciled counts.

    A week with nothing in raw fails whatever the threshold: there is nothing to build on.
    """
    lines, quarantined = counts["lines_in_file"], counts["rows_quarantined"]
    share = quarantined / lines if lines else 0.0
    problems = []
    if counts["rows_raw"] == 0:
        problems.append(f"every row of {counts['file']} quarantined ({quarantined} of {lines}): nothing in raw")
    elif share > max_share:
        problems.append(f"{quarantined} of {lines} rows of {counts['file']} quarantined ({share:.1%}), "
                        f"more than max_quarantine_share {max_share:g}")
    return {"lines_in_file": lines, "rows_quarantined": quarantined, "quarantine_share": round(share, 6),
            "problems": problems}


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
