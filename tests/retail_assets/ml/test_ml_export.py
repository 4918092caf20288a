import json

import numpy as np
import onnx
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier

from retail_assets.contract.features import CLASSES, FeatureSpec
from retail_assets.ml.export import export_onnx, onnx_feeds, onnx_parity, onnx_session
from retail_assets.ml.training import CANDIDATE_NAMES, feature_encoder, model_input_frame


@pytest.mark.parametrize("name", CANDIDATE_NAMES)
def test_every_candidate_exports_one_graph_with_raw_inputs_and_parity(candidates, name):
    result = candidates[name]
    data = export_onnx(result.model, result.spec)
    session = onnx_session(data)
    inputs = {i.name: (i.type, i.shape[1]) for i in session.get_inputs()}
    assert inputs == {**{n: ("tensor(float)", 1) for n in result.spec.numeric},
                      **{n: ("tensor(string)", 1) for n in result.spec.categorical}}
    outputs = session.get_outputs()
    assert [(o.name, o.type) for o in outputs] == [("label", "tensor(int64)"), ("probabilities", "tensor(float)")]
    assert outputs[1].shape[1] == 3
    parity = onnx_parity(result.model, data, result.X_valid)
    print(f"{name}: max_abs_diff={parity['max_abs_diff']:.2e} label_agreement={parity['label_agreement']}")
    assert parity["passed"] and parity["max_abs_diff"] < 1e-4 and parity["label_agreement"] == 1.0


def test_parity_fails_when_the_onnx_graph_is_not_the_model(candidates):
    lr, dt = candidates["logistic_regression"], candidates["decision_tree"]
    parity = onnx_parity(lr.model, export_onnx(dt.model, dt.spec), lr.X_valid)
    assert not parity["passed"] and parity["max_abs_diff"] > 1e-4


def test_export_refuses_a_model_that_does_not_have_three_classes(baskets):
    from retail_assets.contract.features import default_spec
    from retail_assets.ml.training import feature_encoder, model_input_frame

    spec = default_spec()
    frame = baskets.head(200)
    two_class = Pipeline([("encode", feature_encoder(spec)), ("classify", DecisionTreeClassifier(max_depth=3))])
    two_class.fit(model_input_frame(frame, spec), (frame["label"] == "UM").astype(int))
    with pytest.raises(ValueError, match="2 columns, expected 3"):
        export_onnx(two_class, spec)


# ---- pitfalls, each through a pipeline shaped like a candidate (encoding inside) --------------

CATEGORY = {"store_format": ("LS", "MS", "SS")}


def _pipeline(X: np.ndarray, steps: list, y: np.ndarray, seed: int = 0, **fit) -> tuple[Pipeline, pd.DataFrame, FeatureSpec]:
    """`steps` after the candidates' encoder, fitted on X plus one categorical column."""
    spec = FeatureSpec(numeric=tuple(f"x{i}" for i in range(X.shape[1])), categorical=CATEGORY, classes=CLASSES)
    frame = pd.DataFrame({f"x{i}": X[:, i] for i in range(X.shape[1])})
    frame["store_format"] = np.random.default_rng(seed).choice(["LS", "MS", "SS", None], len(frame))
    model = Pipeline([("encode", feature_encoder(spec)), *steps])
    model.fit(model_input_frame(frame, spec), y, **fit)
    return model, frame, spec


def test_float32_cast_large_offset_features():
    # A scaler over a feature near 5,000 with a spread of ~2 is where float32 bites: the native
    # pipeline fed float64 differs from itself fed float32 by far more than the tolerance, so
    # parity must (and does) give both sides the same float32 values, as serving will.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 4))
    X[:, 0] = 5000 + 2 * X[:, 0]
    X[:, 1] = rng.lognormal(7, 1, 3000)  # spend in the thousands
    z = X[:, 0] - 5000 + X[:, 2]
    y = np.where(z > 2.5, 2, np.where(z > 1.0, 1, 0))
    model, frame, spec = _pipeline(X.astype(np.float32), [("s", StandardScaler()), ("c", LogisticRegression(C=100, max_iter=2000))], y)
    inputs = model_input_frame(frame, spec)
    as_float64 = inputs.astype({f"x{i}": np.float64 for i in range(4)})
    as_float64[[f"x{i}" for i in range(4)]] = X  # the values before the float32 cast
    native_gap = np.abs(model.predict_proba(as_float64) - model.predict_proba(inputs)).max()
    assert native_gap > 1e-4
    parity = onnx_parity(model, export_onnx(model, spec), as_float64)  # float64 in: cast on both sides
    assert parity["passed"], parity


@pytest.mark.parametrize("weighted", [False, True])
def test_xgboost_base_score_on_imbalanced_labels(weighted):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2000, 5)).astype(np.float32)
    y = np.where(X[:, 0] > 1.6, 2, np.where(X[:, 1] > 1.2, 1, 0))  # about 87 / 8 / 5 %
    weights = np.where(y == 0, 0.4, 4.0) if weighted else None
    model, frame, spec = _pipeline(X, [("classify", XGBClassifier(objective="multi:softprob", n_estimators=20, max_depth=3,
                                                                  n_jobs=1))], y, classify__sample_weight=weights)
    booster = model[-1].get_booster()
    base_score = json.loads(booster.save_config())["learner"]["learner_model_param"]["base_score"]
    intercepts = [float(v) for v in base_score.strip("[]").split(",")]
    assert max(abs(v) for v in intercepts) > 0.1  # a per-class intercept the export must carry
    parity = onnx_parity(model, export_onnx(model, spec), model_input_frame(frame, spec))
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
    classifier = (DecisionTreeClassifier(random_state=0) if kind == "decision_tree" else
                  XGBClassifier(objective="multi:softprob", n_estimators=30, max_depth=8, n_jobs=1))
    model, _, spec = _pipeline(X, [("classify", classifier)], y)
    probe = pd.DataFrame({"x0": grid, "x1": np.zeros_like(grid), "store_format": "LS"})  # both sides of each split
    parity = onnx_parity(model, export_onnx(model, spec), probe)
    assert parity["passed"] and parity["label_agreement"] == 1.0, parity
    train = model_input_frame(pd.DataFrame({"x0": X[:, 0], "x1": X[:, 1], "store_format": "LS"}), spec)
    assert model.score(train, y) > 0.9  # the splits really are between neighbours


@pytest.mark.parametrize("name", CANDIDATE_NAMES)
def test_unknown_and_missing_categories_encode_to_zeros_inside_the_graph(candidates, basket_factory, name):
    # Categorical handling: the graph one-hot encodes, so a value the model never saw (a new
    # region) or a missing one (no loyalty card) must give an all-zero block there, and the
    # graph must answer it exactly as the native pipeline and as serving's encoded matrix do.
    from retail_assets.contract.encoding import encode

    result = candidates[name]
    frame = basket_factory(n=200, seed=9)
    frame["store_region"] = "Z99"
    frame["cust_price_sensitivity"] = None
    inputs = model_input_frame(frame, result.spec)
    assert set(inputs["store_region"]) == {""} and set(inputs["cust_price_sensitivity"]) == {""}
    encoded = result.model[0].transform(inputs)
    np.testing.assert_array_equal(encoded, encode(frame, result.spec))  # the same layout as serving's encode
    data = export_onnx(result.model, result.spec)
    parity = onnx_parity(result.model, data, inputs)
    assert parity["passed"] and parity["label_agreement"] == 1.0, parity
    # Raw strings straight into the graph (not normalised first) answer the same.
    session = onnx_session(data)
    raw = onnx_feeds(session, inputs.assign(store_region="Z99"))
    np.testing.assert_array_equal(session.run(None, raw)[1], session.run(None, onnx_feeds(session, inputs))[1])


@pytest.mark.parametrize("name", CANDIDATE_NAMES)
def test_exported_graph_stays_at_the_pinned_opset(candidates, name):
    proto = onnx.load_from_string(export_onnx(candidates[name].model, candidates[name].spec))
    assert all(o.version <= 15 for o in proto.opset_import if o.domain == "")


def test_outputs_named_otherwise_by_a_converter_are_renamed(candidates):
    from retail_assets.ml.export import _normalise_outputs

    result = candidates["random_forest"]
    proto = onnx.load_from_string(export_onnx(result.model, result.spec))
    for node in proto.graph.node:  # what an older converter would call them
        node.output[:] = [{"label": "output_label", "probabilities": "output_probability"}.get(n, n) for n in node.output]
    proto.graph.output[0].name, proto.graph.output[1].name = "output_label", "output_probability"
    fixed = _normalise_outputs(proto, 3).SerializeToString()
    assert [o.name for o in onnx_session(fixed).get_outputs()] == ["label", "probabilities"]
    assert onnx_parity(result.model, fixed, result.X_valid)["passed"]
