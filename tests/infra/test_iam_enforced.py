"""The IAM roles Terraform defines allow what the pipeline's code calls, and deny what it
should not: `pytest -k iam_enforced`.

tests/infra/moto_root (the KMS, log bucket, lake, SageMaker registry, IAM and CI-role
modules) is applied to a moto server (conftest). While moto still lets requests through
unauthenticated, each role is assumed (AssumeRoleWithWebIdentity for the IRSA and GitHub
roles, AssumeRole for the SageMaker execution role) and the objects a workload finds in
place are seeded. Then enforcement is switched on (moto's INITIAL_NO_AUTH_ACTION_COUNT,
through /moto-api/reset-auth) and the project's own code makes its AWS calls with each
role's temporary credentials: the lake through pyarrow's S3FileSystem and boto3 (Lake),
SageMaker CreateTrainingJob/DescribeTrainingJob with the request the training code builds,
the model registry (SageMakerRegistry: group, packages, index and log in the lake) and
CloudWatch PutMetricData. A denied call fails the test; a few calls each role must NOT be
able to make are asserted denied, which also proves enforcement is on.

What moto checks: the action and, for S3 and (through moto_iam_server.py) SageMaker, the
resource ARN, against the role's inline policies. It does not evaluate Condition blocks
(kms:ViaService, s3:prefix, cloudwatch:namespace, iam:PassedToService) and does not check
iam:PassRole or KMS on behalf of S3; those stay covered by review and checkov only.
"""

from __future__ import annotations

import io
import json
import tarfile
from contextlib import contextmanager
from types import SimpleNamespace

import boto3
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError

REGION = "ap-southeast-1"
DEPLOYMENT = "test"  # moto_root's names: mlops-test-retail, mlops-test-price-sensitivity


def pipeline_code() -> SimpleNamespace:
    """The project modules whose AWS calls these tests make: the one place to change when
    they move."""
    from retail_assets import aws_names
    from retail_assets.contract.lake import Lake
    from retail_assets.ml.config import TrainingConfig
    from retail_assets.ml.sagemaker_training import SageMakerTrainingSpec, job_name, training_job_request
    from retail_assets.registry.sagemaker import SageMakerRegistry

    def registry(group: str, lake, client):
        # verify=False: promotion would first load the bundle through ONNX Runtime, which
        # needs a real trained bundle; the S3 reads it makes (GetObject under
        # retail/artifacts/models/) are exercised directly by the tests below.
        return SageMakerRegistry(group, lake, client=client, verify=False)

    return SimpleNamespace(Lake=Lake, TrainingConfig=TrainingConfig, SageMakerTrainingSpec=SageMakerTrainingSpec,
                           job_name=job_name, training_job_request=training_job_request,
                           registry=registry, aws_names=aws_names)


def _admin(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


class Role:
    """Temporary credentials of one role, and clients/lakes that use only them."""

    def __init__(self, name: str, endpoint: str, credentials: dict):
        self.name = name
        self.endpoint = endpoint
        self.credentials = credentials
        self.session = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"], region_name=REGION)

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.endpoint)

    def lake(self, code: SimpleNamespace, bucket: str):
        """The project's Lake on pyarrow's S3FileSystem, signed with this role's credentials."""
        fs = pafs.S3FileSystem(region=REGION, endpoint_override=self.endpoint, scheme="http",
                               access_key=self.credentials["AccessKeyId"],
                               secret_key=self.credentials["SecretAccessKey"],
                               session_token=self.credentials["SessionToken"])
        return code.Lake(fs=fs, root=bucket, uri=f"s3://{bucket}")

    @contextmanager
    def environment(self, monkeypatch):
        """This role's credentials in the environment, for code that builds its own boto3
        clients (Lake.list_versions)."""
        with monkeypatch.context() as m:
            m.setenv("AWS_ACCESS_KEY_ID", self.credentials["AccessKeyId"])
            m.setenv("AWS_SECRET_ACCESS_KEY", self.credentials["SecretAccessKey"])
            m.setenv("AWS_SESSION_TOKEN", self.credentials["SessionToken"])
            m.setenv("AWS_ENDPOINT_URL", self.endpoint)
            m.setenv("AWS_REGION", REGION)
            boto3.setup_default_session()
            try:
                yield
            finally:
                boto3.setup_default_session()


def denied(call) -> str:
    """Run `call`, which IAM must refuse; return the error text (fails if it succeeds)."""
    try:
        call()
    except ClientError as exc:
        # moto answers JSON-protocol services (SageMaker) with an XML body botocore cannot
        # parse, so the code may be the bare status; the message still says AccessDenied.
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        assert status == 403 and ("AccessDenied" in str(exc) or "not authorized" in str(exc)), exc
        return str(exc)
    except OSError as exc:  # pyarrow's S3 errors
        assert any(s in str(exc) for s in ("AccessDenied", "ACCESS_DENIED", "Access Denied")), exc
        return str(exc)
    pytest.fail("expected an AccessDenied, the call succeeded")


def _parquet(rows: int = 3) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"BASKET_ID": list(range(rows)), "SHOP_WEEK": [200607] * rows}), sink)
    return sink.getvalue()


def _training_request(platform, name: str) -> dict:
    """The CreateTrainingJob request the training code builds for job `name`."""
    code = platform.code
    spec = code.SageMakerTrainingSpec(image="123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/mlops/pipeline:abc",
                                      role_arn="arn:aws:iam::123456789012:role/mlops-test-sagemaker-execution",
                                      lake_uri=f"s3://{platform.bucket}", region=REGION)
    return code.training_job_request(name, spec, f"s3://{platform.bucket}/retail/features/", code.TrainingConfig())


BUNDLE_INFO = {
    "bundle_id": "18c50be00b42" + "0" * 52,
    "model_name": "xgboost",
    "created_at": "2026-12-04T00:00:00+00:00",
    "lineage": {"train_weeks": [200607, 200608], "validation_weeks": [200609], "n_train": 10, "n_valid": 5,
                "features": ["n_lines", "spend"], "git_sha": "0123abcd"},
}
METRICS = {"accuracy": 0.9, "macro_f1": 0.88}


@pytest.fixture(scope="module")
def platform(moto_root_applied, moto_auth):
    """Roles with their credentials, the seeded lake and registry, and IAM enforced for
    this module's tests (switched off again afterwards for the other modules)."""
    with enforced_platform(moto_root_applied, moto_auth) as opened:
        yield opened


@contextmanager
def enforced_platform(moto_root_applied: dict, set_moto_auth):
    endpoint = moto_root_applied["endpoint"]
    out = moto_root_applied["outputs"]
    code = pipeline_code()
    bucket = out["bucket_name"]
    # Terraform named them from the same file the code reads.
    assert bucket == code.aws_names.name("lake_bucket", DEPLOYMENT)
    assert out["model_package_group"] == code.aws_names.name("model_package_group", DEPLOYMENT)
    assert out["training_job_prefix"] == code.aws_names.training_job_prefix()
    sts = _admin(endpoint, "sts")

    def web_identity(role_arn: str, session: str) -> dict:
        return sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName=session,
                                                 WebIdentityToken="token-of-" + session)["Credentials"]

    roles = {
        "dagster": Role("dagster", endpoint, web_identity(out["dagster_role_arn"], "dagster-run")),
        "api": Role("api", endpoint, web_identity(out["api_role_arn"], "inference-api")),
        "ci": Role("ci", endpoint, web_identity(out["ci_role_arn"], "github-actions")),
        "training": Role("training", endpoint, _admin(endpoint, "sts").assume_role(
            RoleArn=out["sagemaker_role_arn"], RoleSessionName="SageMaker")["Credentials"]),
    }
    # What a workload finds in place when it starts: a training table, a served bundle and
    # the registry index serving reads.
    s3 = _admin(endpoint, "s3")
    s3.put_object(Bucket=bucket, Key="retail/features/training_table.parquet", Body=_parquet())
    s3.put_object(Bucket=bucket, Key="retail/artifacts/models/v0000/model.onnx", Body=b"onnx bytes")
    s3.put_object(Bucket=bucket, Key="retail/artifacts/registry/index.json",
                  Body=json.dumps({"production": None, "versions": {}}).encode())
    set_moto_auth(endpoint, 0)
    try:
        yield SimpleNamespace(code=code, roles=roles, bucket=bucket, endpoint=endpoint,
                              group=out["model_package_group"], job_prefix=out["training_job_prefix"])
    finally:
        set_moto_auth(endpoint, float("inf"))


def test_iam_enforced_is_really_on(platform):
    """An unknown access key and a role's credentials outside its grants are refused."""
    intruder = boto3.client("s3", endpoint_url=platform.endpoint, region_name=REGION,
                            aws_access_key_id="AKIAUNKNOWN000000000", aws_secret_access_key="x")
    with pytest.raises(ClientError):
        intruder.list_objects_v2(Bucket=platform.bucket)
    denied(lambda: platform.roles["api"].client("sagemaker").list_model_packages(ModelPackageGroupName=platform.group))


def test_iam_enforced_dagster_role_runs_the_pipeline(platform, monkeypatch):
    code, role = platform.code, platform.roles["dagster"]
    lake = role.lake(code, platform.bucket)

    # The raw layer and the feature store, as the ingest and feature assets write them.
    lake.write_files({"retail/quarantine/shop_week=200607/part-0.parquet": _parquet(0),
                      "retail/raw/shop_week=200607/part-0.parquet": _parquet()})
    assert pq.read_table(io.BytesIO(lake.read_bytes("retail/raw/shop_week=200607/part-0.parquet"))).num_rows == 3
    lake.write_bytes("retail/features/training_table.parquet", _parquet(5))
    assert [i.path for i in lake.list_files("retail/raw")] == [f"{platform.bucket}/retail/raw/shop_week=200607/part-0.parquet"]
    assert lake.exists("retail/landing/transactions_200608.csv") is False
    with role.environment(monkeypatch):  # the landing sensor's listing (boto3, for ETags)
        assert "retail/raw/shop_week=200607/part-0.parquet" in lake.list_versions("retail/raw")

    # A SageMaker training job, named and requested as the training code does it.
    sagemaker = role.client("sagemaker")
    name = code.job_name()
    assert name.startswith(platform.job_prefix)
    request = _training_request(platform, name)
    sagemaker.create_training_job(**request)
    assert sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobName"] == name
    # The old grant's pattern (mlops-<env>-*) is not a name the code uses, and is not granted.
    bad = {**request, "TrainingJobName": "mlops-test-train-1"}
    denied(lambda: sagemaker.create_training_job(**bad))

    # The registry: register a version (group, package, index and log in the lake), promote it.
    assert lake.read_bytes("retail/artifacts/models/v0000/model.onnx") == b"onnx bytes"
    registry = code.registry(platform.group, lake, sagemaker)
    version = registry.register(f"s3://{platform.bucket}/retail/artifacts/models/v0001", BUNDLE_INFO, METRICS)
    registry.promote(version, "iam_enforced test")
    assert registry.production() == version
    index = json.loads(lake.read_bytes("retail/artifacts/registry/index.json"))
    assert index["production"] == version

    # Pipeline metrics (infra/README.md, "Metrics"), in the namespace the alarms read.
    cloudwatch = role.client("cloudwatch")
    cloudwatch.put_metric_data(Namespace=code.aws_names.cloudwatch_namespace("training"), MetricData=[
        {"MetricName": "ValidationAccuracy", "Dimensions": [{"Name": "Environment", "Value": DEPLOYMENT}],
         "Value": 0.9}])

    # Outside the lake's granted prefixes.
    denied(lambda: lake.write_bytes("not-retail/x.json", b"{}"))


def test_iam_enforced_training_role_reads_inputs_and_resumes_from_checkpoints(platform):
    code, role = platform.code, platform.roles["training"]
    lake = role.lake(code, platform.bucket)
    prefix = code.aws_names.lake_prefix("training")
    checkpoints = code.aws_names.lake_prefix("checkpoints")
    job = f"{platform.job_prefix}20261204-000000-abcdef"

    # The train channel (the offline training table), then the job's output and checkpoints.
    assert pq.read_table(io.BytesIO(lake.read_bytes("retail/features/training_table.parquet"))).num_rows >= 3
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        data = b"[]"
        info = tarfile.TarInfo("results.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    lake.write_bytes(f"{prefix}/{job}/output/model.tar.gz", archive.getvalue())
    lake.write_bytes(f"{checkpoints}/{job}/xgboost.joblib", b"fitted candidate")
    # A spot job that was interrupted downloads its checkpoints when it restarts.
    assert lake.read_bytes(f"{checkpoints}/{job}/xgboost.joblib") == b"fitted candidate"
    role.client("cloudwatch").put_metric_data(
        Namespace=code.aws_names.cloudwatch_namespace("training"),
        MetricData=[{"MetricName": "TrainingDurationSeconds", "Value": 12.0,
                     "Dimensions": [{"Name": "Environment", "Value": DEPLOYMENT}]}])

    denied(lambda: lake.write_bytes("retail/raw/shop_week=200607/part-0.parquet", b"x"))
    denied(lambda: lake.read_bytes("retail/artifacts/registry/index.json"))
    denied(lambda: role.client("sagemaker").create_model_package_group(ModelPackageGroupName="mlops-test-other"))


def test_iam_enforced_api_role_only_reads_models(platform):
    code, role = platform.code, platform.roles["api"]
    lake = role.lake(code, platform.bucket)
    assert "production" in json.loads(lake.read_bytes("retail/artifacts/registry/index.json"))
    assert lake.read_bytes("retail/artifacts/models/v0000/model.onnx") == b"onnx bytes"

    denied(lambda: lake.write_bytes("retail/artifacts/registry/index.json", b"{}"))
    denied(lambda: lake.read_bytes("retail/features/training_table.parquet"))


def test_iam_enforced_ci_role_gates_promotes_and_rolls_back(platform):
    """The prod CI role drives the registry (gate, promote, rollback) and cannot write data."""
    code, role = platform.code, platform.roles["ci"]
    lake = role.lake(code, platform.bucket)
    sagemaker = role.client("sagemaker")
    admin_registry = code.registry(platform.group, platform.roles["dagster"].lake(code, platform.bucket),
                                   platform.roles["dagster"].client("sagemaker"))
    # Two versions made by the pipeline role: the CI role promotes and rolls back between them.
    first = admin_registry.register(f"s3://{platform.bucket}/retail/artifacts/models/vA", BUNDLE_INFO, METRICS)
    second = admin_registry.register(f"s3://{platform.bucket}/retail/artifacts/models/vB", BUNDLE_INFO, METRICS)

    registry = code.registry(platform.group, lake, sagemaker)
    # What promotion verifies before it approves: the bundle's files can be read.
    assert lake.read_bytes("retail/artifacts/models/v0000/model.onnx") == b"onnx bytes"
    registry.promote(first, "ci promote")
    registry.promote(second, "ci promote")
    assert registry.production() == second
    assert registry.list_versions()[second]["metrics"]["accuracy"] == pytest.approx(0.9)
    assert registry.rollback("ci rollback") == first
    assert json.loads(lake.read_bytes("retail/artifacts/registry/index.json"))["production"] == first

    denied(lambda: lake.write_bytes("retail/raw/shop_week=200607/part-0.parquet", b"x"))
    # Training is the pipeline's, not CI's.
    denied(lambda: sagemaker.create_training_job(**_training_request(platform, platform.code.job_name())))
