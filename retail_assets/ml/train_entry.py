"""The training entry point: the same code in this process and in a SageMaker training job.

    python -m retail_assets.ml.train_entry [--train DIR] [--model-dir DIR] [--checkpoint-dir DIR] [--config FILE]

Reads the offline training table (every *.parquet under --train; in a job the `train`
channel, /opt/ml/input/data/train), trains the four candidates on the temporal split and
writes them with their metrics to --model-dir (in a job /opt/ml/model, which SageMaker
uploads as model.tar.gz):

    candidates.joblib   the list of CandidateResult the ml/candidates asset returns
    metrics.json        per candidate: the evaluation report and training seconds

The training config comes from --config, or in a job from the `training_config`
hyper-parameter (a JSON string in /opt/ml/input/config/hyperparameters.json).

Checkpoints: after each candidate is fitted it is saved to --checkpoint-dir (in a job
/opt/ml/checkpoints, synced to S3 by SageMaker). A managed spot job that was interrupted
restarts with those files and only fits the candidates it had not finished; a checkpoint
from another split or config is ignored.

The pickles assume the reader runs the same library versions, which holds because the job
runs the pipeline's own image (Dockerfile.pipeline).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from retail_assets.ml.config import TrainingConfig

SM_TRAIN = Path("/opt/ml/input/data/train")
SM_MODEL = Path("/opt/ml/model")
SM_CHECKPOINTS = Path("/opt/ml/checkpoints")
SM_HYPERPARAMETERS = Path("/opt/ml/input/config/hyperparameters.json")
RESULTS_FILE = "candidates.joblib"
METRICS_FILE = "metrics.json"


def read_training_table(directory: str | os.PathLike[str]) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted(Path(directory).rglob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"no *.parquet under {directory}: the training channel is empty")
    return pa.concat_tables([pq.read_table(f) for f in files]).to_pandas()


def _signature(frame: pd.DataFrame, config: TrainingConfig) -> str:
    """What a checkpoint must match to be reused: the data and the config."""
    digest = hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True, default=str).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _load_checkpoints(directory: Path | None, signature: str) -> dict[str, tuple[Any, float]]:
    import joblib

    fitted: dict[str, tuple[Any, float]] = {}
    if directory is None or not directory.is_dir():
        return fitted
    for path in sorted(directory.glob("*.joblib")):
        saved = joblib.load(path)
        if saved.get("signature") == signature:
            fitted[saved["name"]] = (saved["model"], saved["train_seconds"])
    return fitted


def run_training(frame: pd.DataFrame, config: TrainingConfig, checkpoint_dir: str | os.PathLike[str] | None = None,
                 log: Any = None) -> list:
    """Train the candidates on `frame`; with a checkpoint dir, resume from and save to it."""
    from retail_assets.ml.training import train_candidates

    directory = Path(checkpoint_dir) if checkpoint_dir else None
    signature = _signature(frame, config) if directory else ""
    fitted = _load_checkpoints(directory, signature)
    if fitted and log is not None:
        log.info(f"resuming from checkpoints: {sorted(fitted)} already fitted")

    def save(name: str, model: Any, seconds: float) -> None:
        if log is not None:
            log.info(f"{name} fitted in {seconds:.1f} s")
        if directory is None:
            return
        import joblib

        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{name}.joblib.tmp"
        joblib.dump({"name": name, "model": model, "train_seconds": seconds, "signature": signature}, tmp)
        os.replace(tmp, directory / f"{name}.joblib")

    return train_candidates(frame, config, fitted=fitted, on_fitted=save)


def write_outputs(results: list, model_dir: str | os.PathLike[str]) -> None:
    import joblib

    directory = Path(model_dir)
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(results, directory / RESULTS_FILE)
    summary = {r.name: {"train_seconds": r.train_seconds, "split": r.split.to_dict(), "metrics": r.metrics}
               for r in results}
    (directory / METRICS_FILE).write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n")


def load_outputs(model_dir: str | os.PathLike[str]) -> list:
    import joblib

    return joblib.load(Path(model_dir) / RESULTS_FILE)


def _config(path: str | None) -> TrainingConfig:
    if path:
        return TrainingConfig.from_dict(json.loads(Path(path).read_text()))
    if SM_HYPERPARAMETERS.exists():  # in a training job
        params = json.loads(SM_HYPERPARAMETERS.read_text())
        if "training_config" in params:
            return TrainingConfig.from_dict(json.loads(params["training_config"]))
    return TrainingConfig()


def _default(env: str, sagemaker_path: Path) -> str | None:
    if os.environ.get(env):
        return os.environ[env]
    return str(sagemaker_path) if sagemaker_path.exists() else None


class _PrintLog:
    def info(self, message: str) -> None:
        print(message, flush=True)  # a job's stdout goes to CloudWatch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retail_assets.ml.train_entry", description=__doc__.splitlines()[0])
    parser.add_argument("--train", default=_default("SM_CHANNEL_TRAIN", SM_TRAIN), help="directory holding the training table")
    parser.add_argument("--model-dir", default=_default("SM_MODEL_DIR", SM_MODEL), help="where the candidates are written")
    parser.add_argument("--checkpoint-dir", default=str(SM_CHECKPOINTS) if SM_CHECKPOINTS.exists() else None)
    parser.add_argument("--config", help="a TrainingConfig as JSON (default: the job's training_config hyper-parameter)")
    args = parser.parse_args(argv)
    if not args.train or not args.model_dir:
        parser.error("--train and --model-dir are needed outside a SageMaker training job")
    frame = read_training_table(args.train)
    log = _PrintLog()
    log.info(f"training on {len(frame):,} baskets from {args.train}")
    results = run_training(frame, _config(args.config), args.checkpoint_dir, log=log)
    write_outputs(results, args.model_dir)
    for r in results:
        log.info(f"{r.name}: accuracy {r.metrics['accuracy']:.4f} macro-F1 {r.metrics['macro_f1']:.4f} "
                 f"({r.train_seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
