"""Drift of a scored week against the reference a bundle carries (drift_reference.json).

The statistic is the population stability index (PSI) over the reference's bins: for a numeric
feature, deciles of the reference rows (edges stored, so the reference is never recomputed); for
a categorical one, its categories; for the answers, the classes. PSI = sum (w - r) * ln(w / r)
over the bins' shares w (the week) and r (the reference), each floored at EPSILON.
Written on numpy rather than Evidently: Evidently pulls in a web stack (plotly, nltk,
fastapi pins, litestar) the lock would have to absorb for one statistic.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from retail_assets.contract.features import ANSWERS

STATISTIC = "psi"
EPSILON = 1e-4  # an empty bin's share: keeps ln finite, and costs an unseen bin about 9 x its share
N_BINS = 10
FORMAT_VERSION = 1


def _as_strings(values: Any) -> np.ndarray:
    return np.asarray([("(missing)" if v is None or v != v else str(v)) for v in values], dtype=object)


def _numeric_edges(values: np.ndarray, n_bins: int) -> list[float]:
    """Inner bin edges: the reference's quantiles, deduplicated (a discrete feature gets fewer bins)."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return []
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, n_bins + 1)[1:-1]))
    return [float(e) for e in edges]


def _numeric_shares(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    # Bin i holds edges[i-1] < v <= edges[i]: right-closed, so a quantile edge keeps its ties.
    bins = np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="left")
    return np.bincount(bins, minlength=len(edges) + 1) / max(len(values), 1)


def _categorical_shares(values: np.ndarray, categories: Sequence[str]) -> np.ndarray:
    """Shares of each category, and a last bin for anything the reference never saw."""
    index = {c: i for i, c in enumerate(categories)}
    bins = np.fromiter((index.get(v, len(categories)) for v in values), dtype=np.int64, count=len(values))
    return np.bincount(bins, minlength=len(categories) + 1) / max(len(values), 1)


def psi(week: Sequence[float] | np.ndarray, reference: Sequence[float] | np.ndarray) -> float:
    """Population stability index of the week's bin shares against the reference's."""
    w = np.maximum(np.asarray(week, dtype=np.float64), EPSILON)
    r = np.maximum(np.asarray(reference, dtype=np.float64), EPSILON)
    if w.shape != r.shape:
        raise ValueError(f"psi: {w.shape[0]} bins for the week but {r.shape[0]} in the reference")
    return float(np.sum((w - r) * np.log(w / r)))


def drift_reference(features: Mapping[str, Any], numeric: Sequence[str], categorical: Sequence[str],
                    predicted: Sequence[str], *, source: str, n_bins: int = N_BINS) -> dict[str, Any]:
    """drift_reference.json from the rows the model was validated on: their feature columns and the
    model's answers for them."""
    n = len(predicted)
    out: dict[str, Any] = {"format": FORMAT_VERSION, "statistic": STATISTIC, "source": source, "n": n,
                           "features": {}}
    for name in numeric:
        if name not in features:
            raise ValueError(f"drift reference: feature {name!r} is not among the validation columns")
        values = np.asarray(features[name], dtype=np.float64)
        edges = _numeric_edges(values, n_bins)
        out["features"][name] = {"kind": "numeric", "edges": edges,
                                 "shares": _numeric_shares(values, edges).tolist(),
                                 "mean": float(np.nanmean(values)) if n else 0.0}
    for name in categorical:
        if name not in features:
            raise ValueError(f"drift reference: feature {name!r} is not among the validation columns")
        values = _as_strings(features[name])
        categories = sorted(set(values.tolist()))
        out["features"][name] = {"kind": "categorical", "categories": categories,
                                 "shares": _categorical_shares(values, categories).tolist()}
    answers = _as_strings(predicted)
    out["predicted_class"] = {"categories": list(ANSWERS),
                              "shares": _categorical_shares(answers, ANSWERS).tolist()}
    return out


def week_drift(reference: Mapping[str, Any], features: Mapping[str, Any], predicted: Sequence[str], *,
               threshold: float, max_drifted_share: float) -> dict[str, Any]:
    """PSI per feature and of the answers; a feature drifts above `threshold`, and the week drifts
    when more than `max_drifted_share` of the features do or the answers do."""
    if reference.get("statistic") != STATISTIC:
        raise ValueError(f"drift reference uses statistic {reference.get('statistic')!r}; this code computes "
                         f"{STATISTIC!r}")
    rows: dict[str, dict[str, Any]] = {}
    for name, ref in reference["features"].items():
        if name not in features:
            raise ValueError(f"the scored week lacks feature {name!r} that the drift reference holds")
        if ref["kind"] == "numeric":
            values = np.asarray(features[name], dtype=np.float64)
            shares = _numeric_shares(values, ref["edges"])
            extra = {"mean": float(np.nanmean(values)) if len(values) else 0.0, "reference_mean": ref["mean"]}
        else:
            shares = _categorical_shares(_as_strings(features[name]), ref["categories"])
            extra = {}
        value = psi(shares, ref["shares"])
        rows[name] = {"kind": ref["kind"], STATISTIC: value, "drifted": value > threshold,
                      "shares": shares.tolist(), "reference_shares": list(ref["shares"]), **extra}
    pred_ref = reference["predicted_class"]
    pred_shares = _categorical_shares(_as_strings(predicted), pred_ref["categories"])
    prediction_psi = psi(pred_shares, pred_ref["shares"])
    drifted = sorted(name for name, row in rows.items() if row["drifted"])
    share = len(drifted) / len(rows) if rows else 0.0
    reasons = []
    if share > max_drifted_share:
        reasons.append(f"{len(drifted)} of {len(rows)} features drifted ({', '.join(drifted)}) > "
                       f"{max_drifted_share:.0%} allowed")
    if prediction_psi > threshold:
        reasons.append(f"predicted-class PSI {prediction_psi:.3f} > {threshold}")
    worst = max(rows, key=lambda n: rows[n][STATISTIC]) if rows else None
    return {
        "statistic": STATISTIC, "threshold": threshold, "max_drifted_share": max_drifted_share,
        "n": len(predicted), "reference_n": reference.get("n"), "reference_source": reference.get("source"),
        "features": rows, "drifted_features": drifted, "drifted_share": share,
        "max_feature_psi": rows[worst][STATISTIC] if worst else 0.0, "worst_feature": worst,
        "prediction": {"categories": pred_ref["categories"], "shares": pred_shares.tolist(),
                       "reference_shares": list(pred_ref["shares"]), STATISTIC: prediction_psi},
        "prediction_psi": prediction_psi,
        "drifted": bool(reasons), "reasons": reasons,
    }


def drift_png(report: Mapping[str, Any], title: str) -> bytes:
    """One bar per feature (PSI, red above the threshold) beside the answers' shares against the reference's."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = sorted(report["features"].items(), key=lambda kv: -kv[1][STATISTIC])
    figure = Figure(figsize=(11, max(3.6, 0.24 * len(rows) + 1.2)), dpi=100)
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    names = [n for n, _ in rows]
    values = [r[STATISTIC] for _, r in rows]
    left.barh(range(len(rows)), values, color=["tab:red" if r["drifted"] else "tab:blue" for _, r in rows])
    left.set_yticks(range(len(rows)), labels=names, fontsize=7)
    left.invert_yaxis()
    left.axvline(report["threshold"], color="tab:red", linestyle="--", label=f"threshold {report['threshold']}")
    left.legend(loc="lower right", fontsize=8)
    left.set_title(f"{title}: PSI per feature")
    prediction = report["prediction"]
    x = np.arange(len(prediction["categories"]) + 1)
    labels = [*prediction["categories"], "other"]
    right.bar(x - 0.2, prediction["reference_shares"], width=0.4, label="reference", color="lightgrey")
    right.bar(x + 0.2, prediction["shares"], width=0.4, label="week", color="tab:blue")
    right.set_xticks(x, labels=labels)
    right.set_title(f"answers: PSI {prediction[STATISTIC]:.3f}")
    right.legend(fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def drift_html(report: Mapping[str, Any], title: str, png_name: str) -> str:
    """A page a user opens from the lake: the verdict, the table of features, the picture beside it."""
    verdict = ("DRIFT: " + "; ".join(report["reasons"])) if report["drifted"] else "no drift"
    rows = "".join(
        f"<tr{' class=drift' if r['drifted'] else ''}><td>{html.escape(n)}</td><td>{r['kind']}</td>"
        f"<td>{r[STATISTIC]:.4f}</td><td>{r.get('reference_mean', '')}</td><td>{r.get('mean', '')}</td></tr>"
        for n, r in sorted(report["features"].items(), key=lambda kv: -kv[1][STATISTIC]))
    return (
        "<!doctype html><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif}td,th{padding:2px 8px}tr.drift{background:#fdd}</style>"
        f"<h1>{html.escape(title)}</h1><p><b>{html.escape(verdict)}</b></p>"
        f"<p>statistic {STATISTIC}, a feature drifts above {report['threshold']}, the week drifts when more than "
        f"{report['max_drifted_share']:.0%} of features do or the answers' PSI exceeds the threshold. "
        f"{report['n']} baskets against {report['reference_n']} reference rows "
        f"({html.escape(str(report['reference_source']))}). Answers' PSI {report['prediction_psi']:.4f}.</p>"
        f"<img src='{html.escape(png_name)}' alt='PSI per feature'>"
        "<table><tr><th>feature</th><th>kind</th><th>PSI</th><th>reference mean</th><th>week mean</th></tr>"
        f"{rows}</table>\n"
    )
