"""Validation metrics, the quality gates and the choice of a winner among candidates.

Computed with numpy alone; the tests check them against sklearn.metrics.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from retail_assets.contract.features import CLASSES, UNCLASSIFIED
from retail_assets.ml.config import CANDIDATE_NAMES, TrainingConfig

Labels = Sequence[Any] | np.ndarray  # class labels (or segment values), one per basket

def _ratio(numerator: float, denominator: float) -> float:
    # sklearn's zero_division=0: a class never predicted (or never present) scores 0, not NaN,
    # so JSON metadata stays valid and a degenerate model fails the gates.
    return float(numerator / denominator) if denominator else 0.0


def classification_report(
    y_true_labels: Labels, y_pred_labels: Labels, classes: Sequence[str]
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
        "min_class_precision": float(min(m["precision"] for m in per_class.values())),
        "per_class": per_class,
        "confusion_matrix": matrix.tolist(),
    }


MISSING_SEGMENT = "(missing)"


def segment_reports(
    y_true_labels: Labels, y_pred_labels: Labels, segments: Mapping[str, Labels],
    classes: Sequence[str],
) -> dict[str, dict[str, dict[str, Any]]]:
    """The classification report per value of each segment column: {column: {value: report}}."""
    true = np.asarray(y_true_labels, dtype=object)
    pred = np.asarray(y_pred_labels, dtype=object)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for column, values in segments.items():
        keys = np.array([MISSING_SEGMENT if v is None or v != v else str(v) for v in values], dtype=object)
        if len(keys) != len(true):
            raise ValueError(f"segment column {column!r} has {len(keys)} values for {len(true)} labels")
        out[column] = {
            value: classification_report(true[keys == value], pred[keys == value], classes)
            for value in sorted(set(keys.tolist()))
        }
    return out


def evaluation_report(
    y_true_labels: Labels, y_pred_labels: Labels, classes: Sequence[str],
    segments: Mapping[str, Labels] | None = None, segment_metric: str = "macro_f1",
    segment_min_support: int = 100,
) -> dict[str, Any]:
    """`classification_report` plus the same per segment, and the worst segment on `segment_metric`.

    Only segments with at least `segment_min_support` baskets compete for worst: a region with
    a dozen validation baskets says more about chance than about the model. The others are
    still reported, marked `gated: false`.
    """
    report = classification_report(y_true_labels, y_pred_labels, classes)
    by_segment = segment_reports(y_true_labels, y_pred_labels, segments or {}, classes)
    worst = None
    for column, values in by_segment.items():
        for value, seg in values.items():
            seg["gated"] = seg["n"] >= segment_min_support
            if seg["gated"] and (worst is None or seg[segment_metric] < worst[segment_metric]):
                worst = {"column": column, "value": value, "n": seg["n"], segment_metric: seg[segment_metric],
                         "accuracy": seg["accuracy"]}
    report["segments"] = by_segment
    report["segment_metric"] = segment_metric
    report["segment_min_support"] = int(segment_min_support)
    report["worst_segment"] = worst
    # No segment large enough to judge: nothing to hold against the model (NaN would fail the gate).
    report[f"worst_segment_{segment_metric}"] = float(worst[segment_metric]) if worst else 1.0
    return report


def _macro(report: dict[str, Any], classes: Sequence[str]) -> float:
    return float(np.mean([report["per_class"][c]["f1"] for c in classes])) if classes else 0.0


def evaluation_json(y_true_labels: Labels, y_pred_labels: Labels) -> dict[str, Any]:
    """The document `retail evaluate` prints, over labelled baskets and answers in LA/MM/UM/XX.

    `accuracy`, `macro_f1`, `per_class`: the baskets labelled LA, MM or UM (an XX answer for one
    of them is an error); `*_all`: every labelled basket, XX included, macro-F1 over the labels
    that occur. `xx_baskets`: how many were labelled XX.
    """
    true = np.asarray(y_true_labels, dtype=object)
    pred = np.asarray(y_pred_labels, dtype=object)
    answers = (*CLASSES, UNCLASSIFIED)
    lamu = true != UNCLASSIFIED
    three = classification_report(true[lamu], pred[lamu], answers)
    every = classification_report(true, pred, answers)
    present = [c for c in answers if every["per_class"][c]["support"]]

    def per_class(report: dict[str, Any], classes: Sequence[str]) -> dict[str, Any]:
        return {c: {k: report["per_class"][c][k] for k in ("precision", "recall", "f1")} for c in classes}

    return {
        "baskets": three["n"],
        "accuracy": three["accuracy"],
        "macro_f1": _macro(three, CLASSES),
        "per_class": per_class(three, CLASSES),
        "baskets_all": every["n"],
        "accuracy_all": every["accuracy"],
        "macro_f1_all": _macro(every, present),
        "per_class_all": per_class(every, present),
        "xx_baskets": int((~lamu).sum()),
    }


def evaluation_png(report: dict[str, Any], floor: float | None = None) -> bytes:
    """The confusion matrix beside the per-segment metric (one bar per store format / region).

    Bars of segments too small to be gated are grey; the dashed line is the segment floor.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    classes = report["classes"]
    matrix = np.asarray(report["confusion_matrix"])
    metric = report.get("segment_metric", "macro_f1")
    bars = [(f"{column}={value}", seg[metric], seg.get("gated", True))
            for column, values in report.get("segments", {}).items() for value, seg in values.items()]
    figure = Figure(figsize=(10, max(3.6, 0.26 * len(bars) + 1.2)), dpi=100)
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.3]})
    left.imshow(matrix, cmap="Blues")
    left.set_xticks(range(len(classes)), labels=classes)
    left.set_yticks(range(len(classes)), labels=classes)
    left.set_xlabel("predicted")
    left.set_ylabel("true")
    left.set_title(f"accuracy {report['accuracy']:.3f}, macro F1 {report['macro_f1']:.3f}")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (row, col), count in np.ndenumerate(matrix):
        left.text(col, row, str(count), ha="center", va="center", color="white" if count > threshold else "black")
    if bars:
        names, values, gated = zip(*bars)
        right.barh(range(len(bars)), values, color=["tab:blue" if g else "lightgrey" for g in gated])
        right.set_yticks(range(len(bars)), labels=names, fontsize=8)
        right.invert_yaxis()
        right.set_xlim(0, 1)
        if floor is not None:
            right.axvline(floor, color="tab:red", linestyle="--", label=f"floor {floor:.2f}")
            right.legend(loc="lower right", fontsize=8)
        right.set_title(f"{metric} by segment")
    else:
        right.set_axis_off()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def headline_metrics(report: dict[str, Any]) -> dict[str, Any]:
    """What a registry entry keeps: the scalars, per class, the worst segment (not every segment)."""
    keep = {k: v for k, v in report.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)}
    keep["per_class"] = report["per_class"]
    if report.get("worst_segment"):
        keep["worst_segment"] = report["worst_segment"]
    return keep


def check_gates(report: dict[str, Any], config: TrainingConfig) -> list[str]:
    """The gates a model fails, as readable reasons; an empty list means it passes."""
    failed = []
    for metric, minimum in config.gates.items():
        if metric not in report:
            raise KeyError(f"gate on {metric!r}, which the report does not hold (has {sorted(report)})")
        value = float(report[metric])
        if not value >= minimum:  # written so that NaN fails
            failed.append(_gate_reason(report, metric, value, minimum))
    return failed


def _gate_reason(report: dict[str, Any], metric: str, value: float, minimum: float) -> str:
    if metric == "min_class_precision":
        worst = min(report["per_class"], key=lambda c: report["per_class"][c]["precision"])
        return f"precision of {worst} {value:.4f} is below the gate {minimum:.4f} (min_class_precision)"
    if metric == "macro_f1_over_baseline":
        return (f"macro_f1 {report['macro_f1']:.4f} does not beat the lookup baseline's "
                f"{report['baseline']['macro_f1']:.4f} by {minimum:.4f}")
    worst = report.get("worst_segment")
    if metric.startswith("worst_segment_") and worst:
        return (f"segment {worst['column']}={worst['value']} ({worst['n']} baskets) has "
                f"{report['segment_metric']} {value:.4f}, below the floor {minimum:.4f} (worst_segment)")
    return f"{metric} {value:.4f} is below the gate {minimum:.4f}"


def gate_results(report: dict[str, Any], config: TrainingConfig) -> list[dict[str, Any]]:
    """One row per gate: name, value, minimum, passed (for check metadata and metrics.json)."""
    rows = []
    for metric, minimum in config.gates.items():
        value = float(report[metric])
        rows.append({"gate": metric, "value": value, "minimum": float(minimum), "passed": bool(value >= minimum)})
    return rows


class _Scored(Protocol):
    name: str
    metrics: dict[str, Any]


def _complexity(name: str) -> int:
    return CANDIDATE_NAMES.index(name) if name in CANDIDATE_NAMES else len(CANDIDATE_NAMES)


def select_winner(results: Iterable[_Scored], config: TrainingConfig | None = None) -> _Scored:
    """Highest macro-F1; ties go to higher accuracy, then to the simpler model (CANDIDATE_NAMES order).

    With a config, only candidates that pass every gate compete (a model best on average but
    below a segment floor must not push aside one that ships); when none passes, the best of
    all is returned and the gate checks fail on it.
    """
    results = list(results)
    if not results:
        raise ValueError("no candidates to choose from")
    if config is not None:
        passing = [r for r in results if not check_gates(r.metrics, config)]
        results = passing or results
    # Rounded so that float noise in the last bits does not decide between equal models.
    return min(
        results,
        key=lambda r: (-round(r.metrics["macro_f1"], 9), -round(r.metrics["accuracy"], 9), _complexity(r.name)),
    )
