"""Evaluation reports as Markdown tables, for Dagster metadata and the terminal (Dagster-free)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def per_class_table(report: Mapping[str, Any]) -> str:
    rows = ["| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for name, m in report["per_class"].items():
        rows.append(f"| {name} | {m['precision']:.4f} | {m['recall']:.4f} | {m['f1']:.4f} | {m['support']} |")
    return "\n".join(rows)


def segment_table(report: Mapping[str, Any], floor: float | None = None) -> str:
    """One row per segment value; the worst gated one is marked, small ones say they are not gated."""
    metric = report.get("segment_metric", "macro_f1")
    worst = report.get("worst_segment") or {}
    classes = list(report["classes"])
    head = f"| segment | baskets | accuracy | macro-F1 | {' | '.join(f'{c} P' for c in classes)} | gated |"
    rows = [head, "|" + "---|" * (5 + len(classes))]
    for column, values in report.get("segments", {}).items():
        for value, seg in values.items():
            mark = " **worst**" if (column, value) == (worst.get("column"), worst.get("value")) else ""
            below = floor is not None and seg["gated"] and seg[metric] < floor
            precisions = " | ".join(f"{seg['per_class'][c]['precision']:.3f}" for c in classes)
            gated = ("below floor" if below else "yes") if seg["gated"] else "no (too few)"
            rows.append(f"| {column}={value}{mark} | {seg['n']} | {seg['accuracy']:.4f} | {seg['macro_f1']:.4f} | "
                        f"{precisions} | {gated} |")
    return "\n".join(rows)


def gate_table(gates: Iterable[Mapping[str, Any]]) -> str:
    rows = ["| gate | value | minimum | result |", "|---|---|---|---|"]
    rows += [f"| {g['gate']} | {g['value']:.4f} | {g['minimum']:.4f} | {'pass' if g['passed'] else '**FAIL**'} |"
             for g in gates]
    return "\n".join(rows)


def candidates_table(results: Iterable[Any]) -> str:
    results = list(results)
    rows = ["| candidate | accuracy | macro-F1 | min class precision | worst segment | train s |",
            "|---|---|---|---|---|---|"]
    for r in results:
        m = r.metrics
        worst = m.get("worst_segment")
        worst_text = f"{worst['column']}={worst['value']} {worst[m['segment_metric']]:.4f}" if worst else "-"
        rows.append(f"| {r.name} | {m['accuracy']:.4f} | {m['macro_f1']:.4f} | {m['min_class_precision']:.4f} | "
                    f"{worst_text} | {r.train_seconds:.1f} |")
    baseline = next((r.metrics["baseline"] for r in results if "baseline" in r.metrics), None)
    if baseline:
        rows.append(f"| lookup baseline (majority class of the lines) | {baseline['accuracy']:.4f} | "
                    f"{baseline['macro_f1']:.4f} | {baseline['min_class_precision']:.4f} | - | 0 |")
    return "\n".join(rows)
