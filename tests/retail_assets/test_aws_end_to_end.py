"""The whole graph with RETAIL_ENV=aws, against moto's server on 127.0.0.1, equal to the same weeks run locally.

AWS mode: weekly files are put in the S3 landing prefix -> the landing sensor -> raw on S3 ->
dbt (DuckDB over the S3 lake) -> the feature tables -> candidates trained by a SageMaker
training job (boto3 `create_training_job`; the container's part played by the same entry
point, reading and writing the job's S3 channels) -> gates -> the bundle on S3 -> the
SageMaker model registry -> the API serving from S3 -> `retail registry rollback` through
the CLI, which the API follows. Local mode: the same weeks through `run_pipeline` in another
home. Gold tables, and the bundles' predictions on the same baskets, must be equal.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from retail_assets.defs.ml.resources import MlConfig, TrainingResource
from retail_assets.sample import write_sample_weeks

REGION = "ap-southeast-1"
DEPLOYMENT = "dev"
BUCKET = f"mlops-{DEPLOYMENT}-retail"  # aws_names.json: what the settings derive for RETAIL_DEPLOYMENT=dev
GROUP = f"mlops-{DEPLOYMENT}-price-sensitivity"
IMAGE = "123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/mlops-dev-pipeline:e2e"
WEEKS, BASKETS = 4, 100
GOLD_MODELS = ("fct_baskets", "fct_price_sensitivity_mix", "product_features_latest", "product_features_pit")
# Small models (the ml_config resource's hyperparameters_json) and gates a 400-basket sample can pass.
SMALL = MlConfig(
    hyperparameters_json=json.dumps({"random_forest": {"n_estimators": 10, "max_depth": 6, "n_jobs": 1},
                                     "xgboost": {"n_estimators": 20, "max_depth": 3, "n_jobs": 1}}),
    min_accuracy=0.0, min_macro_f1=0.0, min_class_precision=0.0, segment_floor=0.0, min_margin_over_baseline=-1.0,
)


class ContainerTraining(TrainingResource):
    """The training resource of the code location with one difference: SageMaker's container runs here.

    Everything the pipeline does is unchanged (the request, boto3 against moto's SageMaker, the
    polling, model.tar.gz read back from S3); after moto records CreateTrainingJob, the job's
    entry point runs as the container would, on the job's own S3 channels.
    """

    def sagemaker_client(self):
        return _ContainerRunningClient(super().sagemaker_client())


class _ContainerRunningClient:
    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def create_training_job(self, **request):
        import boto3

        from retail_assets.ml import train_entry

        answer = self._client.create_training_job(**request)
        s3 = boto3.client("s3", region_name=REGION)
        source = request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
        bucket, _, prefix = source.removeprefix("s3://").partition("/")
        with tempfile.TemporaryDirectory() as tmp:
            channel, model_dir = Path(tmp) / "input/data/train", Path(tmp) / "model"
            channel.mkdir(parents=True)
            for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]:  # the S3Prefix channel
                s3.download_file(bucket, obj["Key"], str(channel / Path(obj["Key"]).name))
            config = Path(tmp) / "config.json"
            config.write_text(request["HyperParameters"]["training_config"])
            train_entry.main(["--train", str(channel), "--model-dir", str(model_dir), "--config", str(config)])
            archive_bytes = io.BytesIO()
            with tarfile.open(fileobj=archive_bytes, mode="w:gz") as archive:
                for path in model_dir.iterdir():
                    archive.add(path, arcname=path.name)
        out_bucket, _, out_prefix = request["OutputDataConfig"]["S3OutputPath"].removeprefix("s3://").partition("/")
        s3.put_object(Bucket=out_bucket, Key=f"{out_prefix}{request['TrainingJobName']}/output/model.tar.gz",
                      Body=archive_bytes.getvalue())
        return answer


def _with_resources(defs: dg.Definitions, **overrides) -> dg.Definitions:
    """The code location's definitions with some resources replaced (the rest as the settings built them)."""
    return dg.Definitions(assets=defs.assets, asset_checks=defs.asset_checks, jobs=defs.jobs, sensors=defs.sensors,
                          schedules=defs.schedules, loggers=defs.loggers, resources={**(defs.resources or {}), **overrides})


def _clear_caches() -> None:
    from retail_assets.contract.bundle_format import _bucket_filesystem
    from retail_assets.contract.lake import _s3_filesystem
    from retail_assets.settings import get_settings

    get_settings.cache_clear()
    _s3_filesystem.cache_clear()
    _bucket_filesystem.cache_clear()


def _gold(lake_root: str, model: str) -> pd.DataFrame:
    """A gold table, read the same way from a folder or from S3, in a stable order."""
    from retail_assets.contract.lake import Lake
    from retail_assets.contract.lake_keys import gold_key

    lake = Lake.from_uri(lake_root)
    frame = lake.read_parquet(gold_key(model)).to_pandas() if lake.exists(gold_key(model)) else None
    assert frame is not None, f"{model} not in {lake_root}"
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _baskets(csv: Path, n: int) -> list[dict]:
    """The first `n` labelled baskets of a weekly file, as API requests."""
    rows = pd.read_csv(csv, dtype={"BASKET_ID": str})
    baskets = []
    for basket_id, lines in rows[rows.BASKET_PRICE_SENSITIVITY != "XX"].groupby("BASKET_ID", sort=True):
        first = lines.iloc[0]
        baskets.append({"basket_id": basket_id, "store_format": first.STORE_FORMAT, "store_region": first.STORE_REGION,
                        "shop_weekday": int(first.SHOP_WEEKDAY), "shop_hour": int(first.SHOP_HOUR),
                        "lines": [{"prod_code": r.PROD_CODE, "quantity": int(r.QUANTITY), "spend": float(r.SPEND)}
                                  for r in lines.itertuples()]})
        if len(baskets) == n:
            break
    return baskets


def test_aws_end_to_end_matches_the_local_run(moto_endpoint, tmp_path, monkeypatch, capsys):
    import boto3
    from fastapi.testclient import TestClient

    from retail_assets.cli import main as retail
    from retail_assets.contract.bundle import load_bundle
    from retail_assets.contract.lake import Lake
    from retail_assets.contract.registry_index import resolve_production
    from retail_assets.definitions import build_definitions
    from retail_assets.pipeline import run_pipeline
    from retail_assets.registry.sagemaker import SageMakerRegistry
    from retail_assets.settings import get_settings, prepare_dagster_home
    from serving.app import create_app
    from serving.settings import ServingSettings

    started = time.monotonic()
    for var in [v for v in os.environ if v.startswith(("RETAIL_", "AWS_", "DAGSTER_"))]:
        monkeypatch.delenv(var)
    files = write_sample_weeks(tmp_path / "landing", weeks=WEEKS, baskets_per_week=BASKETS)

    # ---- local: the same weeks, another home --------------------------------------------------
    monkeypatch.setenv("RETAIL_HOME", str(tmp_path / "local"))
    _clear_caches()
    local = get_settings()
    assert not local.is_aws
    report = run_pipeline(tmp_path / "landing", local, _with_resources(build_definitions(local), ml_config=SMALL))
    assert report.ok, (report.refused, report.failed_checks, report.failed_steps)
    local_ref = resolve_production(local.registry_index_uri)
    assert local_ref is not None and local_ref.version == "v0001"

    # ---- AWS mode against moto -------------------------------------------------------------------
    for name, value in {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
                        "RETAIL_ENV": "aws", "RETAIL_DEPLOYMENT": DEPLOYMENT, "RETAIL_WAREHOUSE": "duckdb",
                        "RETAIL_HOME": str(tmp_path / "aws"), "RETAIL_TRAINING_IMAGE": IMAGE,
                        # moto has no Feature Store runtime (PutRecord): the online table stays in the lake.
                        "RETAIL_ONLINE_FEATURE_STORE": "lake", "DBT_INDIRECT_SELECTION": "cautious"}.items():
        monkeypatch.setenv(name, value)
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="mlops-dev-sagemaker", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "sagemaker.amazonaws.com"}}]}))["Role"]["Arn"]
    monkeypatch.setenv("RETAIL_SAGEMAKER_ROLE_ARN", role)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    _clear_caches()
    aws = get_settings()
    assert (aws.is_aws, aws.lake_uri, aws.model_package_group, aws.dbt_target) == (True, f"s3://{BUCKET}", GROUP, "local")

    built = build_definitions(aws)
    training = built.resources["training"]
    assert isinstance(training, TrainingResource) and training.backend == "sagemaker"
    defs = _with_resources(built, ml_config=SMALL, training=ContainerTraining(
        **{**training.model_dump(), "poll_seconds": 0.05}))

    for path in files:  # the outside world drops the weekly files into the bucket
        s3.put_object(Bucket=BUCKET, Key=f"retail/landing/{path.name}", Body=path.read_bytes())
    instance = dg.DagsterInstance.from_config(str(prepare_dagster_home(aws)))
    sensor = defs.resolve_sensor_def("landing_sensor")
    with dg.build_sensor_context(instance=instance, resources=defs.resources) as context:
        tick = sensor(context)
    weeks = sorted(r.partition_key for r in tick.run_requests)
    assert weeks == [str(200607 + i) for i in range(WEEKS)]
    instance.add_dynamic_partitions("shop_week", tick.dynamic_partitions_requests[0].partition_keys)
    ingest = defs.resolve_job_def("ingest_week")
    for request in tick.run_requests:
        run = ingest.execute_in_process(partition_key=request.partition_key, tags=request.tags, instance=instance,
                                        raise_on_error=False)
        assert run.success, request.partition_key
    build = defs.resolve_job_def("build_and_train")
    first = build.execute_in_process(instance=instance, raise_on_error=False)
    assert first.success, [e.step_failure_data.error.message for e in first.get_step_failure_events()]

    # Training ran as a SageMaker training job, from the offline table on S3 to model.tar.gz on S3.
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    (job,) = sagemaker.list_training_jobs()["TrainingJobSummaries"]
    described = sagemaker.describe_training_job(TrainingJobName=job["TrainingJobName"])
    assert described["TrainingJobStatus"] == "Completed" and described["RoleArn"] == role
    assert described["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    assert described["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == \
        f"s3://{BUCKET}/retail/features/training_table.parquet"

    # The SageMaker registry holds v0001 as Production; the bundle is on S3; the index points at it.
    registry = SageMakerRegistry(GROUP, Lake.from_uri(aws.lake_uri), region=REGION)
    assert registry.production() == "v0001"
    (package,) = sagemaker.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    assert package["ModelApprovalStatus"] == "Approved"
    aws_ref = resolve_production(aws.registry_index_uri)
    assert aws_ref is not None and aws_ref.bundle_uri == f"s3://{BUCKET}/retail/artifacts/models/v0001"

    # Local and AWS mode agree: gold tables, and the bundles' predictions on the same baskets.
    for model in GOLD_MODELS:
        gold = _gold(aws.lake_uri, model)
        assert len(gold) > 0, model
        pd.testing.assert_frame_equal(gold, _gold(local.lake_uri, model), check_exact=False, rtol=1e-9, obj=model)
    baskets = _baskets(files[-1], 20)
    local_bundle, aws_bundle = load_bundle(local_ref.bundle_uri), load_bundle(aws_ref.bundle_uri)
    assert aws_bundle.model_name == local_bundle.model_name  # the same winner, trained on the same rows

    # The API serves from S3 and answers what the local bundle answers.
    serving = ServingSettings(env="aws", lake=aws.lake_uri, reload_seconds=0)
    local_app = create_app(ServingSettings(env="local", home=str(tmp_path / "local"), reload_seconds=0))
    with TestClient(create_app(serving)) as api, TestClient(local_app) as local_api:
        answer = api.post("/predict", json={"baskets": baskets}).json()
        local_answer = local_api.post("/predict", json={"baskets": baskets}).json()
        assert answer["model_version"] == "v0001"
        assert [p["label"] for p in answer["predictions"]] == [p["label"] for p in local_answer["predictions"]]
        for ours, theirs in zip(answer["predictions"], local_answer["predictions"], strict=True):
            assert ours["probabilities"] == pytest.approx(theirs["probabilities"], abs=1e-6)

        # A second training (the ml assets of the same job) registers v0002: same data, not worse, promoted ...
        ml_assets = [key for key in built.resolve_asset_graph().get_all_asset_keys() if key.path[0] == "ml"]
        second = build.execute_in_process(instance=instance, raise_on_error=False, asset_selection=ml_assets)
        assert second.success, [e.step_failure_data.error.message for e in second.get_step_failure_events()]
        assert registry.production() == "v0002"
        api.app.state.reloader.refresh()
        assert api.post("/predict", json=baskets[0]).json()["model_version"] == "v0002"
        # ... and the operator rolls back through the CLI: the API follows the registry.
        capsys.readouterr()
        assert retail(["registry", "rollback", "--reason", "end-to-end test"]) == 0
        assert json.loads(capsys.readouterr().out) == {"production": "v0001"}
        api.app.state.reloader.refresh()
        assert api.post("/predict", json=baskets[0]).json()["model_version"] == "v0001"
    assert registry.production() == "v0001" and [e["action"] for e in registry.read_log()][-2:] == ["rollback", "rollback"]
    print(f"aws end to end: {time.monotonic() - started:.0f} s")
