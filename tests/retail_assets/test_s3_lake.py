"""The lake on S3, for real: moto's S3 server on 127.0.0.1, the settings in aws mode, the
code location's own resources, and dbt on DuckDB reading raw from the bucket.

landing (boto3 puts) -> landing_sensor -> ingest runs -> raw + quarantine objects and checks -> silver.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

from retail_assets.sample import BAD_ROW_COUNTS, write_bad_fixture, write_sample_weeks

BUCKET = "retail-s3-test"
REGION = "ap-southeast-1"


@pytest.fixture(scope="module")
def aws_home(moto_endpoint, tmp_path_factory):
    """This process in aws mode against moto, with DuckDB as the warehouse; restored afterwards."""
    import boto3

    from retail_assets.contract.lake import _s3_filesystem
    from retail_assets.settings import get_settings

    saved = dict(os.environ)
    os.environ.update({
        "AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
        "RETAIL_ENV": "aws", "RETAIL_WAREHOUSE": "duckdb", "RETAIL_LAKE": f"s3://{BUCKET}",
    })
    for name in ("AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    os.environ["RETAIL_HOME"] = str(tmp_path_factory.mktemp("aws_home"))
    get_settings.cache_clear()
    yield get_settings()
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()
    _s3_filesystem.cache_clear()


@pytest.fixture(scope="module")
def s3(aws_home):
    import boto3

    return boto3.client("s3", region_name=REGION)


def _tick(sensor, instance, defs, cursor=None):
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=defs.resources) as context:
        return sensor(context)


def _keys(s3, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    # pyarrow leaves a "folder/" marker object where it deleted a folder's last file: not data.
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []) if not o["Key"].endswith("/"))


def test_settings_choose_duckdb_over_the_s3_lake(aws_home, moto_endpoint):
    assert aws_home.is_aws and aws_home.lake_uri == f"s3://{BUCKET}"
    assert aws_home.dbt_target == "local"  # the duckdb output, now with httpfs and an S3 secret
    assert aws_home.duckdb_s3_secret() == {"type": "s3", "region": REGION, "endpoint": moto_endpoint.removeprefix("http://"),
                                           "use_ssl": False, "url_style": "path"}
    assert Path(aws_home.dbt_vars()["duckdb_httpfs"]).exists()


def test_lake_primitives_on_s3(aws_home, s3):
    from retail_assets.contract.lake import Lake

    lake = Lake.from_uri(aws_home.lake_uri)
    gz = b"\x1f\x8b\x08\x00 not unzipped by the lake"
    lake.write_bytes("scratch/a.csv.gz", gz)
    assert lake.read_bytes("scratch/a.csv.gz") == gz
    before = lake.list_versions("scratch")["scratch/a.csv.gz"]
    lake.write_bytes("scratch/a.csv.gz", gz[::-1])  # same size, same second: the ETag still moves
    after = lake.list_versions("scratch")["scratch/a.csv.gz"]
    assert before.size == after.size and before.token != after.token
    lake.write_files({"scratch/b": b"b", "scratch/a.csv.gz": None})
    assert _keys(s3, "scratch/") == ["scratch/b"]


def test_landing_to_silver_on_s3(aws_home, s3, tmp_path):
    from retail_assets.contract.lake import Lake
    from retail_assets.definitions import defs as load_defs
    from retail_assets.ingest.raw import quarantine_key, raw_key

    landing = {
        "transactions_200607.csv": write_bad_fixture("bad_rows", tmp_path / "a").read_bytes(),
        "transactions_200608.csv.gz": write_sample_weeks(tmp_path / "b", weeks=1, first_week=200608, baskets_per_week=40,
                                                         header="cust", gzip=True)[0].read_bytes(),
        "transactions_200609.csv": write_sample_weeks(tmp_path / "c", weeks=1, first_week=200609, baskets_per_week=40)[0].read_bytes(),
        "transactions_200610.csv": write_bad_fixture("scientific_basket_ids", tmp_path / "d").read_bytes(),
    }
    for name, data in landing.items():  # the outside world drops files into the bucket
        s3.put_object(Bucket=BUCKET, Key=f"retail/landing/{name}", Body=data)

    defs = load_defs()
    sensor = defs.resolve_sensor_def("landing_sensor")
    ingest = defs.resolve_job_def("ingest_week")
    with dg.instance_for_test() as instance:
        tick = _tick(sensor, instance, defs)
        assert sorted(r.partition_key for r in tick.run_requests) == ["200607", "200608", "200609", "200610"]
        instance.add_dynamic_partitions("shop_week", tick.dynamic_partitions_requests[0].partition_keys)
        runs = {r.partition_key: ingest.execute_in_process(partition_key=r.partition_key, tags=r.tags, instance=instance,
                                                           raise_on_error=False)
                for r in tick.run_requests}
        assert [k for k, r in runs.items() if r.success] == ["200607", "200608", "200609"]
        (failure,) = runs["200610"].get_step_failure_events()
        assert failure.step_failure_data.user_failure_data.description.startswith(
            "transactions_200610.csv: BASKET_ID in scientific notation")
        for week in ("200607", "200608", "200609"):
            assert all(c.passed for c in runs[week].get_asset_check_evaluations()), week

        assert _keys(s3, "retail/raw/") == [raw_key(w) for w in (200607, 200608, 200609)]
        assert _keys(s3, "retail/quarantine/") == [quarantine_key(200607)]
        lake = Lake.from_uri(aws_home.lake_uri)
        assert lake.read_parquet(quarantine_key(200607)).num_rows == sum(BAD_ROW_COUNTS.values())
        raw_rows = sum(lake.read_parquet(raw_key(w)).num_rows for w in (200607, 200608, 200609))

        # Nothing new: no run. A late correction of 200608 (overwritten in place): that week again.
        assert _tick(sensor, instance, defs, tick.cursor).run_requests == []
        corrected = write_sample_weeks(tmp_path / "e", weeks=1, first_week=200608, baskets_per_week=41, gzip=True)[0]
        s3.put_object(Bucket=BUCKET, Key="retail/landing/transactions_200608.csv.gz", Body=corrected.read_bytes())
        (again,) = _tick(sensor, instance, defs, tick.cursor).run_requests
        assert again.partition_key == "200608"
        assert ingest.execute_in_process(partition_key="200608", instance=instance, raise_on_error=False).success
        raw_rows = sum(lake.read_parquet(raw_key(w)).num_rows for w in (200607, 200608, 200609))

        # Silver: the dbt asset through Dagster, dbt on DuckDB reading raw from S3 and writing silver back.
        # Cautious test selection: gold's relationships test on stg_transactions needs gold built.
        os.environ["DBT_INDIRECT_SELECTION"] = "cautious"
        dbt_assets = next(a for a in defs.assets if getattr(a, "keys", None) and dg.AssetKey(["silver", "transactions"]) in a.keys)
        silver = dg.materialize([dbt_assets], selection=[dg.AssetKey(["silver", "transactions"])], instance=instance,
                                resources={"dbt": defs.resources["dbt"]}, raise_on_error=False)
        assert silver.success, [e.step_failure_data.error.message for e in silver.get_step_failure_events()]
    silver_keys = _keys(s3, "retail/silver/transactions/")
    assert {k.split("/")[3] for k in silver_keys} == {"shop_week=200607", "shop_week=200608", "shop_week=200609"}
    assert all(k.endswith(".parquet") for k in silver_keys)
    assert _silver_rows(aws_home) == raw_rows  # the generated weeks hold no exact duplicate lines


def _silver_rows(settings) -> int:
    import json

    import duckdb

    secret = {**json.loads(settings.dbt_vars()["duckdb_s3"]), "key_id": "testing", "secret": "testing"}
    con = duckdb.connect()
    con.execute(f"LOAD '{settings.dbt_vars()['duckdb_httpfs']}'")
    options = ", ".join(f"{k} {v if isinstance(v, bool) else repr(v)}" for k, v in secret.items())
    con.execute(f"CREATE SECRET ({options})")
    glob = f"{settings.lake_uri}/retail/silver/transactions/*/*/*.parquet"
    return con.sql(f"select count(*) from read_parquet('{glob}', hive_partitioning = true)").fetchone()[0]
