"""ONNX export of a fitted candidate, and the parity check against the native model.

Every exported graph has the bundle's shape (contracts.md section 4): one input per feature
of the FeatureSpec, named after it (float32 [N, 1] for a numeric feature, string [N, 1] for a
categorical one, one-hot encoded inside the graph); outputs, in this order, `label` int64 [N]
(index into CLASSES) and `probabilities` float32 [N, 3]. Serving may rely on the names and on
the order. A bare estimator (no encoding step) still exports to the older shape, one float32
matrix `features` [N, F] of encoded features.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import onnx

OUTPUT_NAMES = ("label", "probabilities")
# onnxmltools' XGBoost converter works at opset 15 and raised at 17 (measured on these machines,
# docs/benchmarks.md). The sklearn graphs use the same opset so every bundle loads in the same
# onnxruntime versions.
TARGET_OPSET = 15


@functools.cache
def _register_xgboost_in_pipelines() -> None:
    """Let skl2onnx convert an XGBClassifier that sits inside a sklearn Pipeline.

    skl2onnx knows no XGBoost, so a pipeline ending in one needs onnxmltools' converter
    registered with skl2onnx's shape calculator (the documented recipe); done once per process.
    """
    from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
    from xgboost import XGBClassifier

    update_registered_converter(XGBClassifier, "XGBoostXGBClassifier", calculate_linear_classifier_output_shapes,
                                convert_xgboost, options={"nocl": [True, False], "zipmap": [True, False, "columns"]})


def _convert_raw_input_pipeline(model: Any, spec: Any) -> onnx.ModelProto:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    _register_xgboost_in_pipelines()
    initial_types = [(name, FloatTensorType([None, 1])) for name in spec.numeric]
    initial_types += [(name, StringTensorType([None, 1])) for name in spec.categorical]
    return convert_sklearn(model, initial_types=initial_types, options={id(model): {"zipmap": False}},
                           target_opset={"": TARGET_OPSET, "ai.onnx.ml": 3})


def _normalise_outputs(proto: onnx.ModelProto, n_classes: int) -> onnx.ModelProto:
    """Check the two outputs are (int64 [N], float [N, n_classes]) and give them the contract's names."""
    graph = proto.graph
    if len(graph.output) != 2:
        names = [o.name for o in graph.output]
        raise ValueError(f"expected 2 outputs (label, probabilities), the converter gave {names}")
    label, proba = graph.output
    label_type, proba_type = label.type.tensor_type, proba.type.tensor_type
    if label_type.elem_type != onnx.TensorProto.INT64 or proba_type.elem_type != onnx.TensorProto.FLOAT:
        raise ValueError(f"outputs have element types {label_type.elem_type}, {proba_type.elem_type}; "
                         "expected int64 label then float probabilities")
    width = proba_type.shape.dim[-1].dim_value if proba_type.shape.dim else 0
    if width not in (0, n_classes):  # 0: the converter left the width symbolic
        raise ValueError(f"probabilities have {width} columns, expected {n_classes}")
    for output, wanted in zip(graph.output, OUTPUT_NAMES):
        if output.name != wanted:
            _rename_value(graph, output.name, wanted)
    return proto


def _rename_value(graph: onnx.GraphProto, old: str, new: str) -> None:
    for node in graph.node:
        node.output[:] = [new if name == old else name for name in node.output]
        node.input[:] = [new if name == old else name for name in node.input]
    for output in graph.output:
        if output.name == old:
            output.name = new


def export_onnx(model: Any, spec: Any, n_classes: int = 3) -> bytes:
    """Serialise a fitted candidate pipeline to ONNX bytes: one input per feature of `spec`
    (a FeatureSpec), the encoding inside the graph, (label, probabilities) out."""
    proto = _normalise_outputs(_convert_raw_input_pipeline(model, spec), n_classes)
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def onnx_session(onnx_bytes: bytes):
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One thread: the numbers must not depend on how many cores the check ran on.
    options.intra_op_num_threads = 1
    return ort.InferenceSession(onnx_bytes, sess_options=options, providers=["CPUExecutionProvider"])


def onnx_feeds(session: Any, X: Any) -> dict[str, np.ndarray]:
    """What the graph gets for the model-input frame X: one [N, 1] column per input."""
    inputs = session.get_inputs()
    return {i.name: X[[i.name]].to_numpy(dtype=np.float32 if i.type == "tensor(float)" else object)
            for i in inputs}


def onnx_parity(
    model: Any, onnx_bytes: bytes, X: Any, tolerance: float = 1e-4, min_label_agreement: float = 0.999
) -> dict[str, Any]:
    """Compare ONNX Runtime with the native model on X: probabilities and labels.

    X is the model's input (a candidate's `X_valid` DataFrame: float32 numerics, category
    strings). Both sides get the same float32
    values: serving only ever has float32 features, and a native model fed float64 differs by
    up to ~3e-3 from itself on float32 (a scaler over a feature in the thousands), which would
    be a false alarm about the export.
    """
    session = onnx_session(onnx_bytes)
    X = X.astype({i.name: np.float32 for i in session.get_inputs() if i.type == "tensor(float)"})
    if len(X) == 0:
        raise ValueError("parity needs at least one row")
    label, proba = session.run(None, onnx_feeds(session, X))[:2]  # by position: label, probabilities
    native_proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    native_label = np.asarray(model.predict(X)).astype(np.int64)
    if proba.shape != native_proba.shape:
        raise ValueError(f"ONNX probabilities have shape {proba.shape}, native {native_proba.shape}")
    max_abs_diff = float(np.max(np.abs(proba.astype(np.float64) - native_proba)))
    label_agreement = float(np.mean(label.astype(np.int64) == native_label))
    return {
        "n": int(len(X)),
        "max_abs_diff": max_abs_diff,
        "label_agreement": label_agreement,
        "tolerance": tolerance,
        "passed": bool(max_abs_diff <= tolerance and label_agreement >= min_label_agreement),
    }
