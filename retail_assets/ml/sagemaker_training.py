"""Training as a SageMaker training job (boto3 `create_training_job`), running `train_entry`.

The job runs the pipeline image with `python -m retail_assets.ml.train_entry` as its
entry point, reads the offline training table through the `train` channel (an S3 prefix),
writes the candidates to /opt/ml/model (uploaded by SageMaker to
s3://<lake>/retail/artifacts/training/<job>/output/model.tar.gz) and, on managed spot
capacity, checkpoints each fitted candidate to S3 so an interrupted job resumes.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from retail_assets.aws_names import training_job_prefix
from retail_assets.contract.lake_keys import CHECKPOINTS, TRAINING
from retail_assets.ml.config import TrainingConfig

TERMINAL = ("Completed", "Failed", "Stopped")


@dataclass(frozen=True)
class SageMakerTrainingSpec:
    image: str | None
    role_arn: str | None
    lake_uri: str  # s3://bucket[/prefix]
    instance_type: str = "ml.m5.xlarge"
    instance_count: int = 1
    volume_gb: int = 30
    use_spot: bool = True
    max_runtime_seconds: int = 3 * 3600
    max_wait_seconds: int | None = None  # spot: how long to wait for capacity + run; default 2 x runtime
    region: str | None = None

    def __post_init__(self) -> None:
        missing = [name for name in ("image", "role_arn") if not getattr(self, name)]
        if missing:
            raise ValueError(f"SageMaker training needs {missing} (RETAIL_TRAINING_IMAGE, RETAIL_SAGEMAKER_ROLE_ARN)")
        if not self.lake_uri.startswith("s3://"):
            raise ValueError(f"SageMaker training needs an s3:// lake, got {self.lake_uri!r}")

    def uri(self, key: str) -> str:
        return f"{self.lake_uri.rstrip('/')}/{key}"


def job_name(now: datetime | None = None) -> str:
    """Unique, at most 63 characters of [a-zA-Z0-9-], sortable by time."""
    now = now or datetime.now(UTC)
    return f"{training_job_prefix()}{now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


def training_job_request(name: str, spec: SageMakerTrainingSpec, train_uri: str, config: TrainingConfig) -> dict[str, Any]:
    """The CreateTrainingJob request: image + entry point, role, instance, spot with checkpoints, channels."""
    stopping = {"MaxRuntimeInSeconds": spec.max_runtime_seconds}
    if spec.use_spot:
        stopping["MaxWaitTimeInSeconds"] = spec.max_wait_seconds or 2 * spec.max_runtime_seconds
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {
            "TrainingImage": spec.image,
            "TrainingInputMode": "File",
            "ContainerEntrypoint": ["python", "-m", "retail_assets.ml.train_entry"],
        },
        "RoleArn": spec.role_arn,
        "HyperParameters": {"training_config": json.dumps(config.to_dict(), sort_keys=True)},
        "InputDataConfig": [{
            "ChannelName": "train",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": train_uri,
                                            "S3DataDistributionType": "FullyReplicated"}},
            "ContentType": "application/x-parquet",
            "InputMode": "File",
        }],
        "OutputDataConfig": {"S3OutputPath": spec.uri(f"{TRAINING}/")},
        "ResourceConfig": {"InstanceType": spec.instance_type, "InstanceCount": spec.instance_count,
                           "VolumeSizeInGB": spec.volume_gb},
        "StoppingCondition": stopping,
        "EnableManagedSpotTraining": spec.use_spot,
        "Tags": [{"Key": "project", "Value": "retail-price-sensitivity"}],
    }
    if spec.use_spot:
        request["CheckpointConfig"] = {"S3Uri": spec.uri(f"{CHECKPOINTS}/{name}/"),
                                       "LocalPath": "/opt/ml/checkpoints"}
    if len(request["HyperParameters"]["training_config"]) > 2500:  # SageMaker's limit per value
        raise ValueError("the training config is too long to pass as a hyper-parameter")
    return request


def wait_for_job(client: Any, name: str, log: Any = None, poll_seconds: float = 30.0,
                 timeout_seconds: float | None = None) -> dict[str, Any]:
    """Poll DescribeTrainingJob until it ends, logging every status change; return the last description."""
    started, last = time.monotonic(), None
    while True:
        described = client.describe_training_job(TrainingJobName=name)
        status = (described["TrainingJobStatus"], described.get("SecondaryStatus"))
        if status != last and log is not None:
            message = (described.get("SecondaryStatusTransitions") or [{}])[-1].get("StatusMessage", "")
            log.info(f"training job {name}: {status[0]} / {status[1]}" + (f" - {message}" if message else ""))
        last = status
        if status[0] in TERMINAL:
            break
        if timeout_seconds is not None and time.monotonic() - started > timeout_seconds:
            raise TimeoutError(f"training job {name} still {status[0]} after {timeout_seconds:.0f} s")
        time.sleep(poll_seconds)
    if status[0] != "Completed":
        raise RuntimeError(f"training job {name} {status[0]}: {described.get('FailureReason', 'no reason given')}")
    if log is not None and described.get("BillableTimeInSeconds") is not None:
        log.info(f"training job {name}: {described.get('TrainingTimeInSeconds')} s training, "
                 f"{described['BillableTimeInSeconds']} s billable")
    return described


def read_model_artifact(uri: str) -> list:
    """The candidates inside a job's model.tar.gz (an s3:// URI)."""
    from retail_assets.contract.lake import Lake
    from retail_assets.ml.train_entry import RESULTS_FILE, load_outputs

    parsed = urlparse(uri)
    bucket_lake = Lake.from_uri(f"s3://{parsed.netloc}")
    data = bucket_lake.read_bytes(parsed.path.lstrip("/"))
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        member = archive.getmember(RESULTS_FILE)  # only the file we need, never an arbitrary path
        archive.extractall(tmp, members=[member], filter="data")
        return load_outputs(tmp)


def train_on_sagemaker(spec: SageMakerTrainingSpec, train_uri: str, config: TrainingConfig, *, log: Any = None,
                       client: Any = None, poll_seconds: float = 30.0) -> list:
    """Submit the job, wait for it (status in the log), and return the candidates it trained."""
    if client is None:
        import boto3

        client = boto3.client("sagemaker", region_name=spec.region)
    name = job_name()
    request = training_job_request(name, spec, train_uri, config)
    client.create_training_job(**request)
    if log is not None:
        log.info(f"submitted training job {name}: {spec.instance_type}, spot {spec.use_spot}, input {train_uri}")
    described = wait_for_job(client, name, log=log, poll_seconds=poll_seconds,
                             timeout_seconds=spec.max_runtime_seconds + (request["StoppingCondition"].get("MaxWaitTimeInSeconds") or 0))
    return read_model_artifact(described["ModelArtifacts"]["S3ModelArtifacts"])
