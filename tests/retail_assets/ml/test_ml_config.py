import dataclasses

import pytest

from retail_assets.ml.config import CANDIDATE_NAMES, DEFAULT_HYPERPARAMETERS, TrainingConfig


def test_defaults_match_the_brief():
    config = TrainingConfig()
    assert config.validation_weeks == 2
    assert dict(config.gates) == {"accuracy": 0.75, "macro_f1": 0.70, "min_class_precision": 0.65,
                                  "worst_segment_macro_f1": 0.65, "macro_f1_over_baseline": 0.0001}
    assert config.segment_columns == ("store_format", "store_region") and config.segment_min_support == 100
    assert config.onnx_tolerance == 1e-4 and config.onnx_min_label_agreement == 0.999
    assert set(config.hyperparameters) == set(CANDIDATE_NAMES)


def test_from_dict_merges_hyperparameters_over_the_defaults_and_round_trips():
    config = TrainingConfig.from_dict({"validation_weeks": 3, "hyperparameters": {"xgboost": {"max_depth": 3}}})
    xgb = config.params_for("xgboost")
    assert xgb["max_depth"] == 3
    assert xgb["n_estimators"] == DEFAULT_HYPERPARAMETERS["xgboost"]["n_estimators"]
    assert TrainingConfig.from_dict(config.to_dict()) == config


def test_config_is_immutable_and_strict():
    config = TrainingConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.validation_weeks = 5
    with pytest.raises(TypeError):
        config.hyperparameters["xgboost"]["max_depth"] = 1
    with pytest.raises(ValueError, match="unknown training config keys"):
        TrainingConfig.from_dict({"validation_week": 2})
    with pytest.raises(ValueError, match="unknown candidates"):
        TrainingConfig(hyperparameters={"svm": {}})
    with pytest.raises(ValueError, match="validation_weeks"):
        TrainingConfig(validation_weeks=0)
    with pytest.raises(ValueError, match="does not match segment_metric"):
        TrainingConfig(gates={"worst_segment_accuracy": 0.7})
