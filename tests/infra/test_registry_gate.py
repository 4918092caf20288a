"""The CI promotion gate (.github/scripts/registry_gate.py) on an in-memory S3 (moto):
thresholds on the Production version's metrics, and promotion that copies the bundle
before it rewrites the target index per docs/contracts.md section 4."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

SCRIPT = Path(__file__).resolve().parents[2] / ".github" / "scripts" / "registry_gate.py"
INDEX = "retail/artifacts/registry/index.json"


@pytest.fixture
def gate():
    spec = importlib.util.spec_from_file_location("registry_gate", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def lakes(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-1")
    with mock_aws():
        s3 = boto3.client("s3", region_name="ap-southeast-1")
        for bucket in ("mlops-dev-retail", "mlops-prod-retail"):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-1"})
        for name in ("model.onnx", "features.json", "bundle.json"):
            s3.put_object(Bucket="mlops-dev-retail", Key=f"retail/artifacts/models/v0002/{name}", Body=name.encode())
        index = {
            "production": "v0002",
            "versions": {
                "v0001": {"stage": "Archived", "metrics": {"accuracy": 0.5, "macro_f1": 0.4}},
                "v0002": {
                    "stage": "Production",
                    "bundle_uri": "s3://mlops-dev-retail/retail/artifacts/models/v0002",
                    "bundle_id": "abc",
                    "model_name": "xgboost",
                    "metrics": {"accuracy": 0.61, "macro_f1": 0.55},
                    "created_at": "2026-01-01T00:00:00Z",
                },
            },
        }
        s3.put_object(Bucket="mlops-dev-retail", Key=INDEX, Body=json.dumps(index).encode())
        prod_index = {"production": "v0001", "versions": {"v0001": {"stage": "Production", "metrics": {}}}}
        s3.put_object(Bucket="mlops-prod-retail", Key=INDEX, Body=json.dumps(prod_index).encode())
        yield s3


def test_check_passes_when_every_minimum_is_met(gate, lakes, capsys):
    code = gate.main(["check", "--index", f"s3://mlops-dev-retail/{INDEX}", "--min", "accuracy=0.6", "--min", "macro_f1=0.5"])
    assert code == 0
    assert capsys.readouterr().out.strip() == "v0002"


def test_check_fails_below_a_threshold_or_on_a_missing_metric(gate, lakes, capsys):
    assert gate.main(["check", "--index", f"s3://mlops-dev-retail/{INDEX}", "--min", "accuracy=0.7"]) == 1
    assert "accuracy=0.61" in capsys.readouterr().err
    assert gate.main(["check", "--index", f"s3://mlops-dev-retail/{INDEX}", "--min", "recall_um=0.1"]) == 1


def test_promote_copies_the_bundle_and_switches_production(gate, lakes):
    code = gate.main(["promote", "--source", "s3://mlops-dev-retail", "--target", "s3://mlops-prod-retail", "--version", "v0002"])
    assert code == 0
    keys = [o["Key"] for o in lakes.list_objects_v2(Bucket="mlops-prod-retail", Prefix="retail/artifacts/models/")["Contents"]]
    assert sorted(keys) == [f"retail/artifacts/models/v0002/{n}" for n in ("bundle.json", "features.json", "model.onnx")]
    index = json.loads(lakes.get_object(Bucket="mlops-prod-retail", Key=INDEX)["Body"].read())
    assert index["production"] == "v0002"
    assert index["versions"]["v0002"]["stage"] == "Production"
    assert index["versions"]["v0002"]["bundle_uri"] == "s3://mlops-prod-retail/retail/artifacts/models/v0002"
    assert index["versions"]["v0001"]["stage"] == "Archived"
    log = lakes.get_object(Bucket="mlops-prod-retail", Key="retail/artifacts/registry/log.jsonl")["Body"].read()
    event = json.loads(log.decode().strip().splitlines()[-1])
    assert (event["version"], event["previous"]) == ("v0002", "v0001")


def test_promote_refuses_an_unknown_version(gate, lakes):
    with pytest.raises(SystemExit, match="not in the source registry"):
        gate.main(["promote", "--source", "s3://mlops-dev-retail", "--target", "s3://mlops-prod-retail", "--version", "v0009"])
