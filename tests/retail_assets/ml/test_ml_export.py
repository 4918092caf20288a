import json

import numpy as np
import onnx
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier

from retail_assets.ml.export import export_onnx, onnx_parity, onnx_session
from retail_assets.ml.training import CANDIDATE_NAMES


@pytest.mark.parametrize("name", CANDIDATE_NAMES)
def test_every_candidate_exports_with_the_bundle_signature_and_parity(candidates, name):
    result = candidates[name]
    n_features = result.X_valid.shape[1]
    data = export_onnx(result.model, n_features)
    session = onnx_session(data)
    [inp] = session.get_inputs()
    assert (inp.name, inp.type, inp.shape[1]) == ("features", "tensor(float)", n_features)
    outputs = session.get_outputs()
    assert [(o.name, o.type) for o in outputs] == [("label", "tensor(int64)"), ("probabilities", "tensor(float)")]
    assert outputs[1].shape[1] == 3
    parity = onnx_parity(result.model, data, result.X_valid)
    print(f"{name}: max_abs_diff={parity['max_abs_diff']:.2e} label_agreement={parity['label_agreement']}")
    assert parity["passed"] and parity["max_abs_diff"] < 1e-4 and parity["label_agreement"] == 1.0


def test_parity_fails_when_the_onnx_graph_is_not_the_model(candidates):
    lr, dt = candidates["logistic_regression"], candidates["decision_tree"]
    parity = onnx_parity(lr.model, export_onnx(dt.model, dt.X_valid.shape[1]), lr.X_valid)
    assert not parity["passed"] and parity["max_abs_diff"] > 1e-4


def test_export_refuses_a_model_that_does_not_have_three_classes():
    X = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    two_class = DecisionTreeClassifier().fit(X, (X[:, 0] > 0).astype(int))
    with pytest.raises(ValueError, match="2 columns, expected 3"):
        export_onnx(two_class, 4)


# ---- pitfalls -------------------------------------------------------------------------------

def test_float32_cast_large_offset_features():
    # A scaler over a feature near 5,000 with a spread of ~2 is where float32 bites: the native
    # pipeline fed float64 differs from itself fed float32 by far more than the tolerance, so
    # parity must (and does) give both sides the same float32 matrix, as serving will.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 4))
    X[:, 0] = 5000 + 2 * X[:, 0]
    X[:, 1] = rng.lognormal(7, 1, 3000)  # spend in the thousands
    z = X[:, 0] - 5000 + X[:, 2]
    y = np.where(z > 2.5, 2, np.where(z > 1.0, 1, 0))
    model = Pipeline([("s", StandardScaler()), ("c", LogisticRegression(C=100, max_iter=2000))])
    model.fit(X.astype(np.float32), y)
    native_gap = np.abs(model.predict_proba(X) - model.predict_proba(X.astype(np.float32))).max()
    assert native_gap > 1e-4
    parity = onnx_parity(model, export_onnx(model, 4), X)  # float64 in: cast inside
    assert parity["passed"], parity


@pytest.mark.parametrize("weighted", [False, True])
def test_xgboost_base_score_on_imbalanced_labels(weighted):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2000, 5)).astype(np.float32)
    y = np.where(X[:, 0] > 1.6, 2, np.where(X[:, 1] > 1.2, 1, 0))  # about 87 / 8 / 5 %
    model = XGBClassifier(objective="multi:softprob", n_estimators=20, max_depth=3, n_jobs=1)
    model.fit(X, y, sample_weight=np.where(y == 0, 0.4, 4.0) if weighted else None)
    base_score = json.loads(model.get_booster().save_config())["learner"]["learner_model_param"]["base_score"]
    intercepts = [float(v) for v in base_score.strip("[]").split(",")]
    assert max(abs(v) for v in intercepts) > 0.1  # a per-class intercept the export must carry
    parity = onnx_parity(model, export_onnx(model, 5), X)
    assert parity["passed"] and parity["label_agreement"] == 1.0, parity


def _adjacent_float32_grid(start: float, n: int) -> np.ndarray:
    grid = [np.float32(start)]
    for _ in range(n - 1):
        grid.append(np.nextafter(grid[-1], np.float32(np.inf), dtype=np.float32))
    return np.array(grid, dtype=np.float32)


@pytest.mark.parametrize("kind", ["decision_tree", "xgboost"])
def test_tree_splits_between_adjacent_float32_values(kind):
    # Labels change between neighbouring float32 values at ~1234.5 (one step is 1.2e-4), so
    # every split threshold sits between two representable values: a threshold stored with
    # the wrong rounding would send a row down the other branch.
    rng = np.random.default_rng(2)
    grid = _adjacent_float32_grid(1234.5, 120)
    position = rng.integers(0, len(grid), 4000)
    X = np.stack([grid[position], rng.normal(size=4000).astype(np.float32)], axis=1)
    y = position % 3
    if kind == "decision_tree":
        model = DecisionTreeClassifier(random_state=0).fit(X, y)
    else:
        model = XGBClassifier(objective="multi:softprob", n_estimators=30, max_depth=8, n_jobs=1).fit(X, y)
    probe = np.stack([grid, np.zeros_like(grid)], axis=1)  # every grid value, both sides of each split
    parity = onnx_parity(model, export_onnx(model, 2), probe)
    assert parity["passed"] and parity["label_agreement"] == 1.0, parity
    assert model.score(X, y) > 0.9  # the splits really are between neighbours


@pytest.mark.parametrize("name", CANDIDATE_NAMES)
def test_exported_graph_stays_at_the_pinned_opset(candidates, name):
    # onnxmltools' XGBoost graph holds only ai.onnx.ml operators, so it imports no default domain.
    proto = onnx.load_from_string(export_onnx(candidates[name].model, candidates[name].X_valid.shape[1]))
    assert all(o.version <= 15 for o in proto.opset_import if o.domain == "")


def test_outputs_named_otherwise_by_a_converter_are_renamed(candidates):
    from retail_assets.ml.export import _normalise_outputs

    result = candidates["random_forest"]
    proto = onnx.load_from_string(export_onnx(result.model, result.X_valid.shape[1]))
    for node in proto.graph.node:  # what an older converter would call them
        node.output[:] = [{"label": "output_label", "probabilities": "output_probability"}.get(n, n) for n in node.output]
    proto.graph.output[0].name, proto.graph.output[1].name = "output_label", "output_probability"
    fixed = _normalise_outputs(proto, 3).SerializeToString()
    assert [o.name for o in onnx_session(fixed).get_outputs()] == ["label", "probabilities"]
    assert onnx_parity(result.model, fixed, result.X_valid)["passed"]
