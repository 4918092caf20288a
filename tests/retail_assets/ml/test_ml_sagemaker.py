"""SageMaker Model Registry and SageMaker training, against moto's server on 127.0.0.1."""

import io
import json
import tarfile
import tempfile
import uuid
from pathlib import Path

import boto3
import numpy as np
import pyarrow as pa
import pytest

from retail_assets.contract.lake import Lake
from retail_assets.ml.sagemaker_training import SageMakerTrainingSpec, train_on_sagemaker, training_job_request
from retail_assets.registry import ModelRegistry, open_registry
from retail_assets.registry.sagemaker import SageMakerRegistry

ROLE = "arn:aws:iam::123456789012:role/mlops-dev-sagemaker"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlops-dev-pipeline:abc123"


@pytest.fixture
def registry(aws):
    return SageMakerRegistry(f"price-sensitivity-{uuid.uuid4().hex[:8]}", Lake.from_uri(aws["lake_uri"]), verify=False)


def _register(registry, macro_f1, lake_uri):
    version = registry.next_version()
    info = {"version": version, "bundle_id": f"{version}-" + "0" * 60, "model_name": "xgboost",
            "created_at": "2024-01-01T00:00:00+00:00",
            "lineage": {"train_weeks": [200607, 200608, 200609], "validation_weeks": [200610], "n_train": 900,
                        "n_valid": 300, "git_sha": "0123abc", "dbt_manifest_sha256": "f" * 64,
                        "features": ["n_lines", "store_format=LS"], "libraries": {"xgboost": "3.2.0"},
                        "dagster_run_id": "run-1"}}
    return registry.register(f"{lake_uri}/retail/artifacts/models/{version}", info,
                             {"macro_f1": macro_f1, "accuracy": macro_f1 + 0.01})


def _package(registry, version):
    return registry.client.describe_model_package(ModelPackageName=registry.get(version)["model_package_arn"])


def test_promotion_rollback_and_rejection_in_a_model_package_group(registry, aws):
    assert isinstance(registry, ModelRegistry)
    assert registry.production() is None and registry.list_versions() == {}
    v1 = _register(registry, 0.80, aws["lake_uri"])
    assert v1 == "v0001"
    package = _package(registry, v1)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["ModelPackageGroupName"] == registry.group
    props = package["CustomerMetadataProperties"]
    assert props["bundle_uri"].endswith("/retail/artifacts/models/v0001") and props["stage"] == "Challenger"
    assert props["metric.macro_f1"] == "0.8" and props["lineage.train_weeks"] == "200607..200609 (3)"
    assert props["lineage.git_sha"] == "0123abc" and props["lineage.features"] == "n_lines,store_format=LS"
    assert package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"].endswith("/models/v0001/metrics.json")
    assert package["MetadataProperties"]["CommitId"] == "0123abc"

    assert registry.promote_if_better(v1).promoted
    assert registry.production() == v1 and _package(registry, v1)["ModelApprovalStatus"] == "Approved"

    v2 = _register(registry, 0.82, aws["lake_uri"])
    decision = registry.promote_if_better(v2)
    assert decision.promoted and decision.production_version == v1
    stages = {v: e["stage"] for v, e in registry.list_versions().items()}
    assert stages == {v1: "Archived", v2: "Production"}
    assert _package(registry, v1)["ModelApprovalStatus"] == "Rejected"
    assert _package(registry, v2)["CustomerMetadataProperties"]["previous_production"] == v1

    v3 = _register(registry, 0.70, aws["lake_uri"])
    refused = registry.promote_if_better(v3)
    assert not refused.promoted and "0.7000 < v0002's 0.8200" in refused.reason
    package = _package(registry, v3)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["CustomerMetadataProperties"]["promotion.promoted"] == "False"
    assert "0.7000 < v0002" in package["ApprovalDescription"]

    assert registry.rollback("v0002 misbehaves in the shop", actor="cli") == v1
    assert registry.production() == v1
    assert {v: e["stage"] for v, e in registry.list_versions().items()} == {v1: "Production", v2: "Archived", v3: "Challenger"}
    with pytest.raises(ValueError, match="no earlier Production version"):
        registry.rollback("again")

    registry.reject(v3, "worse than production", actor="cli")
    assert registry.get(v3)["stage"] == "Rejected"
    with pytest.raises(ValueError, match="is Production"):
        registry.reject(v1, "no")
    registry.promote(v2, "operator re-promotes", actor="cli")
    assert registry.production() == v2

    # Serving reads the mirrored index; the log has who/what/when/why of every change.
    from retail_assets.contract.registry_index import resolve_production

    ref = resolve_production(f"{aws['lake_uri']}/retail/artifacts/registry/index.json")
    assert (ref.version, ref.bundle_uri) == (v2, f"{aws['lake_uri']}/retail/artifacts/models/v0002")
    log = registry.read_log()
    assert [e["action"] for e in log] == ["register", "promote", "register", "promote", "archive", "register",
                                          "promotion_refused", "rollback", "rollback", "reject", "promote", "archive"]
    assert all({"ts", "actor", "reason", "from_stage", "to_stage"} <= set(e) for e in log)
    assert log[7]["actor"] == "cli" and log[7]["reason"] == "v0002 misbehaves in the shop"


def test_open_registry_picks_sagemaker_and_refuses_unknown_backends(aws, tmp_path):
    registry = open_registry("sagemaker", aws["lake_uri"], model_package_group="g-" + uuid.uuid4().hex[:6])
    assert isinstance(registry, SageMakerRegistry)
    with pytest.raises(ValueError, match="local lake"):
        open_registry("local", aws["lake_uri"])
    with pytest.raises(ValueError, match="unknown registry backend"):
        open_registry("mlflow", str(tmp_path))


def test_register_and_promote_writes_the_bundle_to_s3_and_serving_loads_it(aws, candidates, products):
    from retail_assets.contract.bundle import load_bundle
    from retail_assets.contract.registry_index import resolve_production
    from retail_assets.defs.ml.resources import RegistryResource
    from retail_assets.ml.export import export_onnx

    group = "g-" + uuid.uuid4().hex[:6]
    resource = RegistryResource(lake_uri=aws["lake_uri"], backend="sagemaker", model_package_group=group,
                                region="us-east-1")
    model = candidates["xgboost"]
    outcome = resource.register_and_promote(
        onnx_bytes=export_onnx(model.model, model.spec), model=model, product_table=products,
        lineage={"train_weeks": list(model.split.train_weeks), "validation_weeks": list(model.split.validation_weeks),
                 "features": [], "git_sha": "abc"}, tolerance=0.0)
    assert outcome["version"] == "v0001" and outcome["stage"] == "Production"
    assert outcome["bundle_uri"] == f"{aws['lake_uri']}/retail/artifacts/models/v0001"
    bundle = load_bundle(resolve_production(f"{aws['lake_uri']}/retail/artifacts/registry/index.json").bundle_uri)
    assert bundle.bundle_id == outcome["bundle_id"]
    metrics = json.loads(Lake.from_uri(aws["lake_uri"]).read_bytes("retail/artifacts/models/v0001/metrics.json"))
    assert metrics["accuracy"] == model.metrics["accuracy"] and "segments" in metrics and metrics["gates"]
    # A second version is compared with Production re-scored on its validation rows.
    second = resource.register_and_promote(
        onnx_bytes=export_onnx(model.model, model.spec), model=model, product_table=products,
        lineage={"train_weeks": [], "validation_weeks": []}, tolerance=0.0)
    assert second["comparison"]["production_value_source"] == "re-scored" and second["promoted"]


# ---- training ---------------------------------------------------------------------------------

class ContainerRunningClient:
    """boto3's SageMaker client, plus what SageMaker does with the job that moto only records.

    After CreateTrainingJob it runs the job's entry point as the container would: the `train`
    channel copied to a local directory, `python -m retail_assets.ml.train_entry` with the
    job's hyper-parameters, and /opt/ml/model uploaded as <output>/<job>/output/model.tar.gz.
    """

    def __init__(self, client):
        self._client = client
        self.requests = []

    def __getattr__(self, name):
        return getattr(self._client, name)

    def create_training_job(self, **request):
        from retail_assets.ml import train_entry

        self.requests.append(request)
        answer = self._client.create_training_job(**request)
        source = request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
        bucket, _, key = source.removeprefix("s3://").partition("/")
        with tempfile.TemporaryDirectory() as tmp:
            channel, model_dir = Path(tmp) / "input/data/train", Path(tmp) / "model"
            channel.mkdir(parents=True)
            s3 = boto3.client("s3")
            for obj in s3.list_objects_v2(Bucket=bucket, Prefix=key)["Contents"]:
                s3.download_file(bucket, obj["Key"], str(channel / Path(obj["Key"]).name))
            config = Path(tmp) / "config.json"
            config.write_text(request["HyperParameters"]["training_config"])
            train_entry.main(["--train", str(channel), "--model-dir", str(model_dir), "--config", str(config)])
            buffer = io.BytesIO()
            with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
                for path in model_dir.iterdir():
                    archive.add(path, arcname=path.name)
        output = request["OutputDataConfig"]["S3OutputPath"]
        out_bucket, _, prefix = output.removeprefix("s3://").partition("/")
        s3.put_object(Bucket=out_bucket, Key=f"{prefix}{request['TrainingJobName']}/output/model.tar.gz",
                      Body=buffer.getvalue())
        return answer


class Log:
    def __init__(self):
        self.lines = []

    def info(self, message):
        self.lines.append(message)


def test_training_job_request_shape(config_factory):
    spec = SageMakerTrainingSpec(image=IMAGE, role_arn=ROLE, lake_uri="s3://mlops-dev-retail")
    request = training_job_request("retail-train-x", spec, "s3://mlops-dev-retail/retail/features/training_table.parquet",
                                   config_factory())
    assert request["ResourceConfig"] == {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}
    assert request["EnableManagedSpotTraining"] is True
    assert request["StoppingCondition"]["MaxWaitTimeInSeconds"] >= request["StoppingCondition"]["MaxRuntimeInSeconds"]
    assert request["CheckpointConfig"] == {"S3Uri": "s3://mlops-dev-retail/retail/artifacts/training/checkpoints/retail-train-x/",
                                           "LocalPath": "/opt/ml/checkpoints"}
    assert request["OutputDataConfig"] == {"S3OutputPath": "s3://mlops-dev-retail/retail/artifacts/training/"}
    assert request["AlgorithmSpecification"]["ContainerEntrypoint"] == ["python", "-m", "retail_assets.ml.train_entry"]
    on_demand = training_job_request("j", SageMakerTrainingSpec(image=IMAGE, role_arn=ROLE, lake_uri="s3://b", use_spot=False),
                                     "s3://b/t", config_factory())
    assert "CheckpointConfig" not in on_demand and "MaxWaitTimeInSeconds" not in on_demand["StoppingCondition"]
    with pytest.raises(ValueError, match="image"):
        SageMakerTrainingSpec(image=None, role_arn=ROLE, lake_uri="s3://b")
    with pytest.raises(ValueError, match="s3:// lake"):
        SageMakerTrainingSpec(image=IMAGE, role_arn=ROLE, lake_uri="/tmp/lake")


def test_training_on_sagemaker_submits_waits_and_returns_the_candidates(aws, basket_factory, config_factory):
    from retail_assets.ml.config import TrainingConfig

    lake = Lake.from_uri(aws["lake_uri"])
    frame = basket_factory(n=500, seed=11)
    lake.write_parquet("retail/features/training_table.parquet", pa.Table.from_pandas(frame, preserve_index=False))
    train_uri = lake.uri_of("retail/features/training_table.parquet")
    client = ContainerRunningClient(boto3.client("sagemaker"))
    spec = SageMakerTrainingSpec(image=IMAGE, role_arn=ROLE, lake_uri=aws["lake_uri"])
    log = Log()
    config = config_factory()
    results = train_on_sagemaker(spec, train_uri, config, log=log, client=client, poll_seconds=0.01)
    assert [r.name for r in results] == ["logistic_regression", "decision_tree", "random_forest", "xgboost"]
    assert results[0].X_valid["n_lines"].dtype == np.float32 and "segments" in results[0].metrics

    (request,) = client.requests
    job = boto3.client("sagemaker").describe_training_job(TrainingJobName=request["TrainingJobName"])
    assert job["TrainingJobStatus"] == "Completed"
    assert job["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    assert job["RoleArn"] == ROLE
    assert job["ResourceConfig"]["InstanceType"] == "ml.m5.xlarge"
    assert job["EnableManagedSpotTraining"] is True
    assert job["CheckpointConfig"]["S3Uri"].startswith(f"{aws['lake_uri']}/retail/artifacts/training/checkpoints/")
    (channel,) = job["InputDataConfig"]
    assert channel["ChannelName"] == "train" and channel["DataSource"]["S3DataSource"]["S3Uri"] == train_uri
    assert job["OutputDataConfig"]["S3OutputPath"] == f"{aws['lake_uri']}/retail/artifacts/training/"
    assert TrainingConfig.from_dict(json.loads(job["HyperParameters"]["training_config"])) == config
    assert any("Completed" in line for line in log.lines) and log.lines[0].startswith("submitted training job")


def test_a_failed_job_raises_with_its_reason():
    from retail_assets.ml.sagemaker_training import wait_for_job

    class Failing:
        calls = 0

        def describe_training_job(self, TrainingJobName):
            Failing.calls += 1
            status = "InProgress" if Failing.calls == 1 else "Failed"
            return {"TrainingJobStatus": status, "SecondaryStatus": "Training" if status == "InProgress" else "Failed",
                    "FailureReason": "AlgorithmError: no *.parquet"}

    log = Log()
    with pytest.raises(RuntimeError, match="Failed: AlgorithmError: no"):
        wait_for_job(Failing(), "job-1", log=log, poll_seconds=0)
    assert [line.split(": ", 1)[1] for line in log.lines] == ["InProgress / Training", "Failed / Failed"]


def test_ci_promotes_and_rolls_back_prod_through_the_cli_never_touching_dev(aws, monkeypatch, candidates, products,
                                                                            config_factory, capsys):
    """The workflow's registry steps: RETAIL_DEPLOYMENT picks the bucket *and* the model package group."""
    from retail_assets.cli import main as retail
    from retail_assets.ml.export import export_onnx
    from retail_assets.registry.versions import register_model_version
    from retail_assets.settings import RetailSettings

    for deployment in ("dev", "prod"):
        boto3.client("s3").create_bucket(Bucket=f"mlops-{deployment}-retail")
    monkeypatch.setenv("RETAIL_ENV", "aws")
    monkeypatch.setenv("RETAIL_DEPLOYMENT", "dev")
    monkeypatch.delenv("RETAIL_MODEL_PACKAGE_GROUP", raising=False)
    assert RetailSettings().model_package_group == "mlops-dev-price-sensitivity"  # derived from the deployment
    dev = SageMakerRegistry("mlops-dev-price-sensitivity", Lake.from_uri("s3://mlops-dev-retail"))
    model = candidates["decision_tree"]
    onnx = export_onnx(model.model, model.spec)
    for _ in range(2):
        register_model_version(dev, "s3://mlops-dev-retail", onnx_bytes=onnx, model=model, product_table=products,
                               lineage={}, config=config_factory(), metric="macro_f1", tolerance=0.0)
    dev_index = Lake.from_uri("s3://mlops-dev-retail").read_bytes("retail/artifacts/registry/index.json")

    monkeypatch.setenv("RETAIL_DEPLOYMENT", "prod")
    assert RetailSettings().model_package_group == "mlops-prod-price-sensitivity"
    for version in ("v0001", "v0002"):
        assert retail(["registry", "import", version, "--from-deployment", "dev", "--promote", "--reason", "ci"]) == 0
        assert json.loads(capsys.readouterr().out)["production"] == version
    assert retail(["registry", "rollback", "--reason", "smoke test failed"]) == 0
    assert json.loads(capsys.readouterr().out) == {"production": "v0001"}
    prod = SageMakerRegistry("mlops-prod-price-sensitivity", Lake.from_uri("s3://mlops-prod-retail"))
    assert prod.production() == "v0001" and [e["action"] for e in prod.read_log()][-2:] == ["rollback", "rollback"]
    # dev's registry and index are untouched by prod's import and rollback
    assert dev.production() == "v0002"
    assert Lake.from_uri("s3://mlops-dev-retail").read_bytes("retail/artifacts/registry/index.json") == dev_index
