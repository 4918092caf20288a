"""The online table in a SageMaker Feature Store feature group: group creation against moto
(which implements it), and the record mapping (moto has no record ingestion) by hand."""

from __future__ import annotations

import math

import boto3
import pyarrow as pa
import pytest

from retail_assets.contract.features import PRODUCT_CLASS_COLUMNS, PRODUCT_STAT_COLUMNS
from retail_assets.defs.features.resources import OnlineFeatureStore
from retail_assets.feature_store import (
    FEATURE_TYPES,
    FeatureStoreError,
    ensure_feature_group,
    event_time,
    feature_definitions,
    feature_group_name,
    product_records,
    put_records,
    record_values,
)

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/mlops-dev-sagemaker"

TABLE = pa.table({
    "prod_code": ["PRD0000001", "PRD0000002"],
    "n_lines": pa.array([120, 0], pa.int64()),
    "p_la": [0.6, 1 / 3],
    "p_mm": [0.3, 1 / 3],
    "p_um": [0.1, 1 / 3],
    "log_price_index": [0.25, -1e-17],
    "n_solo_la": pa.array([3, 0], pa.int64()),
    "n_solo_mm": pa.array([0, 0], pa.int64()),
    "n_solo_um": pa.array([1, 0], pa.int64()),
    "n_solo_xx": pa.array([0, 2], pa.int64()),
})


@pytest.fixture
def sagemaker(monkeypatch):
    moto = pytest.importorskip("moto")
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        yield boto3.client("sagemaker", region_name=REGION)


class FakeRuntime:
    """sagemaker-featurestore-runtime's PutRecord, which moto does not implement."""

    def __init__(self, fail_for: str | None = None) -> None:
        self.records: dict[str, list[dict]] = {}
        self.fail_for = fail_for

    def put_record(self, FeatureGroupName: str, Record: list[dict]) -> None:  # noqa: N803 (boto3's names)
        if Record[0]["ValueAsString"] == self.fail_for:
            raise RuntimeError("ValidationError")
        self.records[Record[0]["ValueAsString"]] = Record


def test_feature_definitions_cover_the_online_table():
    assert list(FEATURE_TYPES) == ["prod_code", *PRODUCT_STAT_COLUMNS, *PRODUCT_CLASS_COLUMNS, "event_time"]
    assert {d["FeatureName"]: d["FeatureType"] for d in feature_definitions()}["n_lines"] == "Integral"
    assert feature_group_name("s3://mlops-prod-retail") == "mlops-prod-retail-product-features"


def test_records_map_every_value_and_read_back_exactly():
    at = event_time()
    records = list(product_records(TABLE, at))
    assert len(records) == 2
    first = {r["FeatureName"]: r["ValueAsString"] for r in records[0]}
    assert first == {"prod_code": "PRD0000001", "n_lines": "120", "p_la": "0.6", "p_mm": "0.3", "p_um": "0.1",
                     "log_price_index": "0.25", "n_solo_la": "3", "n_solo_mm": "0", "n_solo_um": "1",
                     "n_solo_xx": "0", "event_time": at}
    for record, row in zip(records, TABLE.to_pylist(), strict=True):
        assert record_values(record) == {**row, "event_time": at}  # doubles survive the strings exactly
    assert at.endswith("Z") and "T" in at


def test_records_refuse_nulls_and_non_finite_values():
    with pytest.raises(FeatureStoreError, match="p_la"):
        list(product_records(TABLE.set_column(2, "p_la", pa.array([math.nan, 0.5])), event_time()))
    with pytest.raises(FeatureStoreError, match="n_solo_xx"):
        list(product_records(TABLE.drop_columns(["n_solo_xx"]), event_time()))


def test_feature_group_is_created_once_with_the_definitions(sagemaker):
    name = "mlops-dev-retail-product-features"
    first = ensure_feature_group(sagemaker, name, "s3://mlops-dev-retail/retail/features/feature_store", ROLE, 0)
    again = ensure_feature_group(sagemaker, name, "s3://mlops-dev-retail/retail/features/feature_store", ROLE, 0)
    assert first["FeatureGroupArn"] == again["FeatureGroupArn"]
    described = sagemaker.describe_feature_group(FeatureGroupName=name)
    assert described["RecordIdentifierFeatureName"] == "prod_code"
    assert described["EventTimeFeatureName"] == "event_time"
    assert described["FeatureDefinitions"] == feature_definitions()


def test_a_group_with_other_types_is_refused(sagemaker):
    name = "other-product-features"
    definitions = [{**d, "FeatureType": "String"} if d["FeatureName"] == "n_lines" else d for d in feature_definitions()]
    sagemaker.create_feature_group(
        FeatureGroupName=name, RecordIdentifierFeatureName="prod_code", EventTimeFeatureName="event_time",
        FeatureDefinitions=definitions, RoleArn=ROLE,
        OfflineStoreConfig={"S3StorageConfig": {"S3Uri": "s3://mlops-dev-retail/fs"}})
    with pytest.raises(FeatureStoreError, match="n_lines"):
        ensure_feature_group(sagemaker, name, wait_seconds=0)


def test_put_records_sends_each_product_and_reports_failures():
    runtime = FakeRuntime()
    assert put_records(runtime, "g", product_records(TABLE, event_time()), threads=2) == 2
    assert set(runtime.records) == {"PRD0000001", "PRD0000002"}
    with pytest.raises(FeatureStoreError, match="1 of 2 records failed"):
        put_records(FakeRuntime(fail_for="PRD0000002"), "g", product_records(TABLE, event_time()))


def test_the_lake_backend_publishes_nothing_more():
    assert OnlineFeatureStore().publish(TABLE) == {"online_store": "lake (carried by the bundle)"}


def test_the_sagemaker_backend_creates_the_group_and_puts_the_records(sagemaker, monkeypatch):
    runtime = FakeRuntime()
    real_client = boto3.client

    def client(service, **kwargs):
        return runtime if service == "sagemaker-featurestore-runtime" else real_client(service, **kwargs)

    monkeypatch.setattr(boto3, "client", client)
    store = OnlineFeatureStore(backend="sagemaker", feature_group="mlops-dev-retail-product-features",
                               region=REGION, role_arn=ROLE, offline_s3_uri="s3://mlops-dev-retail/fs")
    metadata = store.publish(TABLE)
    assert metadata["records_put"] == 2 and metadata["feature_group"].endswith("mlops-dev-retail-product-features")
    assert len(runtime.records) == 2


def test_settings_choose_where_the_online_table_is_published(home, tmp_path):
    from pydantic import ValidationError

    from retail_assets.defs.resources import resources_for
    from retail_assets.settings import RetailSettings

    aws = RetailSettings(env="aws", home=tmp_path / "aws")
    assert aws.online_feature_store == "sagemaker"
    store = resources_for(aws)["feature_store"]
    assert (store.backend, store.feature_group) == ("sagemaker", feature_group_name(aws.lake))
    lake_only = RetailSettings(env="aws", home=tmp_path / "aws", online_feature_store="lake")
    assert resources_for(lake_only)["feature_store"].publish(TABLE) == {"online_store": "lake (carried by the bundle)"}
    assert RetailSettings(home=tmp_path / "local").online_feature_store == "lake"
    with pytest.raises(ValidationError, match="needs RETAIL_ENV=aws"):
        RetailSettings(home=tmp_path / "local", online_feature_store="sagemaker")
