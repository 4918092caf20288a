"""Validation metrics, the quality gates and the choice of a winner among candidates.

Computed with numpy alone; the tests check them against sklearn.metrics.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Iterable, Protocol, Sequence

import numpy as np

from retail_assets.ml.config import CANDIDATE_NAMES, TrainingConfig


def _ratio(numerator: float, denominator: float) -> float:
    # sklearn's zero_division=0: a class never predicted (or never present) scores 0, not NaN,
    # so JSON metadata stays valid and a degenerate model fails the gates.
    return float(numerator / denominator) if denominator else 0.0


def classification_report(
    y_true_labels: Sequence[str], y_pred_labels: Sequence[str], classes: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro and per-class precision/recall/F1, and the confusion matrix (rows = true)."""
    classes = list(classes)
    index = {c: i for i, c in enumerate(classes)}
    if len(y_true_labels) != len(y_pred_labels):
        raise ValueError(f"{len(y_true_labels)} true labels but {len(y_pred_labels)} predictions")
    unknown = sorted({str(v) for v in (*y_true_labels, *y_pred_labels) if v not in index})
    if unknown:
        raise ValueError(f"labels outside {classes}: {unknown}")
    true = np.fromiter((index[v] for v in y_true_labels), dtype=np.int64, count=len(y_true_labels))
    pred = np.fromiter((index[v] for v in y_pred_labels), dtype=np.int64, count=len(y_pred_labels))
    k = len(classes)
    matrix = np.bincount(true * k + pred, minlength=k * k).reshape(k, k)

    per_class = {}
    for i, name in enumerate(classes):
        hits = matrix[i, i]
        precision = _ratio(hits, matrix[:, i].sum())
        recall = _ratio(hits, matrix[i, :].sum())
        f1 = _ratio(2 * precision * recall, precision + recall)
        per_class[name] = {"precision": precision, "recall": recall, "f1": f1, "support": int(matrix[i, :].sum())}
    return {
        "n": int(len(true)),
        "classes": classes,
        "accuracy": _ratio(np.trace(matrix), len(true)),
        "macro_precision": float(np.mean([m["precision"] for m in per_class.values()])),
        "macro_recall": float(np.mean([m["recall"] for m in per_class.values()])),
        "macro_f1": float(np.mean([m["f1"] for m in per_class.values()])),
        "per_class": per_class,
        "confusion_matrix": matrix.tolist(),
    }


def evaluation_json(report: dict[str, Any], excluded_xx: int) -> dict[str, Any]:
    """The document `retail evaluate` prints: counts, headline metrics, per-class P/R/F1."""
    return {
        "baskets": report["n"],
        "accuracy": report["accuracy"],
        "macro_f1": report["macro_f1"],
        "per_class": {
            name: {key: m[key] for key in ("precision", "recall", "f1")} for name, m in report["per_class"].items()
        },
        "excluded_xx": int(excluded_xx),
    }


def confusion_matrix_png(report: dict[str, Any], path: str | Path | None = None) -> bytes:
    """Render the confusion matrix as PNG bytes (and write them to `path` when given)."""
    # The OO API with an Agg canvas touches no global backend state, so this is safe inside a
    # Dagster process or a test run that already imported pyplot with another backend.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    classes = report["classes"]
    matrix = np.asarray(report["confusion_matrix"])
    figure = Figure(figsize=(4.2, 3.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes)
    axes.set_xticks(range(len(classes)), labels=classes)
    axes.set_yticks(range(len(classes)), labels=classes)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(f"accuracy {report['accuracy']:.3f}, macro F1 {report['macro_f1']:.3f}")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (row, col), count in np.ndenumerate(matrix):
        axes.text(col, row, str(count), ha="center", va="center", color="white" if count > threshold else "black")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def check_gates(report: dict[str, Any], config: TrainingConfig) -> list[str]:
    """The gates a model fails, as readable reasons; an empty list means it passes."""
    failed = []
    for metric, minimum in config.gates.items():
        if metric not in report:
            raise KeyError(f"gate on {metric!r}, which the report does not hold (has {sorted(report)})")
        value = float(report[metric])
        if not value >= minimum:  # written so that NaN fails
            failed.append(f"{metric} {value:.4f} is below the gate {minimum:.4f}")
    return failed


class _Scored(Protocol):
    name: str
    metrics: dict[str, Any]


def _complexity(name: str) -> int:
    return CANDIDATE_NAMES.index(name) if name in CANDIDATE_NAMES else len(CANDIDATE_NAMES)


def select_winner(results: Iterable[_Scored]) -> _Scored:
    """Highest macro-F1; ties go to higher accuracy, then to the simpler model (CANDIDATE_NAMES order)."""
    results = list(results)
    if not results:
        raise ValueError("no candidates to choose from")
    # Rounded so that float noise in the last bits does not decide between equal models.
    return min(
        results,
        key=lambda r: (-round(r.metrics["macro_f1"], 9), -round(r.metrics["accuracy"], 9), _complexity(r.name)),
    )
