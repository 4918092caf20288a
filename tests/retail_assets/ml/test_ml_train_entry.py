"""The training entry point run as a SageMaker container would run it, and resumed from checkpoints."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from retail_assets.ml import train_entry
from retail_assets.ml.training import train_candidates


@pytest.fixture(scope="module")
def small(basket_factory):
    return basket_factory(n=600, seed=5)


def test_entry_point_reads_a_channel_and_writes_the_model_dir(tmp_path, small, config_factory):
    channel, model_dir = tmp_path / "input/data/train", tmp_path / "model"
    channel.mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(small, preserve_index=False), channel / "training_table.parquet")
    config = tmp_path / "config.json"
    config.write_text(json.dumps(config_factory().to_dict()))
    assert train_entry.main(["--train", str(channel), "--model-dir", str(model_dir), "--config", str(config)]) == 0
    results = train_entry.load_outputs(model_dir)
    assert [r.name for r in results] == ["logistic_regression", "decision_tree", "random_forest", "xgboost"]
    summary = json.loads((model_dir / "metrics.json").read_text())
    assert summary["xgboost"]["metrics"]["accuracy"] == results[3].metrics["accuracy"]
    assert "segments" in summary["xgboost"]["metrics"]
    # The same as training in this process.
    direct = train_candidates(small, config_factory(), names=("decision_tree",))[0]
    assert results[1].metrics["macro_f1"] == direct.metrics["macro_f1"]


def test_an_interrupted_job_resumes_from_its_checkpoints(tmp_path, small, config_factory, monkeypatch):
    checkpoints = tmp_path / "checkpoints"
    config = config_factory()
    first = train_entry.run_training(small, config, checkpoints)
    assert sorted(p.name for p in checkpoints.iterdir()) == [f"{r.name}.joblib" for r in sorted(first, key=lambda r: r.name)]
    fits = []
    from retail_assets.ml import training

    real_fit = training._fit
    monkeypatch.setattr(training, "_fit", lambda name, *a: fits.append(name) or real_fit(name, *a))
    (checkpoints / "xgboost.joblib").unlink()  # the job was stopped before xgboost finished
    resumed = train_entry.run_training(small, config, checkpoints)
    assert fits == ["xgboost"]
    assert [r.metrics["macro_f1"] for r in resumed] == [r.metrics["macro_f1"] for r in first]
    # Another config (or other data) does not reuse them.
    fits.clear()
    train_entry.run_training(small, config_factory(validation_weeks=1), checkpoints)
    assert len(fits) == 4


def test_an_empty_channel_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="training channel is empty"):
        train_entry.read_training_table(tmp_path)
