"""The online product-feature table in a SageMaker Feature Store feature group (AWS only).

The bundle carries the same table as product_features.parquet, so serving never needs the
feature group; it is there for other consumers (and SageMaker's own offline store). One
record per product: `prod_code` is the record identifier and `event_time` the time the
table was published. Dagster-free: the feature-store resource in defs/features calls this.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from retail_assets.contract.features import PRODUCT_CLASS_COLUMNS, PRODUCT_STAT_COLUMNS

RECORD_IDENTIFIER = "prod_code"
EVENT_TIME = "event_time"

# Feature name -> SageMaker feature type, in the online table's column order.
FEATURE_TYPES: dict[str, str] = {
    RECORD_IDENTIFIER: "String",
    **{name: "Integral" if name == "n_lines" else "Fractional" for name in PRODUCT_STAT_COLUMNS},
    **dict.fromkeys(PRODUCT_CLASS_COLUMNS, "Integral"),
    EVENT_TIME: "String",
}


class FeatureStoreError(RuntimeError):
    """The feature group cannot take the table (wrong definitions, failed records)."""


def feature_group_name(lake_uri: str) -> str:
    """One feature group per environment, named after its lake bucket:
    s3://mlops-dev-retail -> mlops-dev-retail-product-features."""
    bucket = lake_uri.removeprefix("s3://").split("/", 1)[0] or "retail"
    return f"{bucket}-product-features"[:64]


def feature_definitions() -> list[dict[str, str]]:
    return [{"FeatureName": name, "FeatureType": kind} for name, kind in FEATURE_TYPES.items()]


def event_time(now: datetime | None = None) -> str:
    """ISO-8601 UTC with a Z, the format the feature store accepts for String event times."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_string(value: Any, kind: str, name: str) -> str:
    if value is None:
        raise FeatureStoreError(f"feature {name!r} is null; the online table has no nulls")
    if kind == "Integral":
        return str(int(value))
    if kind == "Fractional":
        number = float(value)
        if not math.isfinite(number):
            raise FeatureStoreError(f"feature {name!r} is {number}")
        return repr(number)  # the shortest string that reads back as the same double
    return str(value)


def product_records(table: pa.Table, at: str) -> Iterator[list[dict[str, str]]]:
    """One PutRecord `Record` per product: every feature as a string, `event_time` = `at`."""
    missing = [n for n in FEATURE_TYPES if n != EVENT_TIME and n not in table.column_names]
    if missing:
        raise FeatureStoreError(f"the online table lacks {missing}")
    for row in table.select([n for n in FEATURE_TYPES if n != EVENT_TIME]).to_pylist():
        yield [
            {"FeatureName": name, "ValueAsString": at if name == EVENT_TIME else _as_string(row[name], kind, name)}
            for name, kind in FEATURE_TYPES.items()
        ]


def record_values(record: list[Mapping[str, str]]) -> dict[str, Any]:
    """A record read back (GetRecord's `Record`) as typed values: the inverse of the mapping."""
    out: dict[str, Any] = {}
    for item in record:
        name, text = item["FeatureName"], item["ValueAsString"]
        kind = FEATURE_TYPES.get(name, "String")
        out[name] = int(text) if kind == "Integral" else float(text) if kind == "Fractional" else text
    return out


def ensure_feature_group(sagemaker: Any, name: str, offline_s3_uri: str | None = None,
                         role_arn: str | None = None, wait_seconds: float = 600) -> dict[str, Any]:
    """Create the feature group (online store on; offline store under `offline_s3_uri` when a
    role is given) unless it exists; add features an existing group lacks; refuse one whose
    types differ. Returns DescribeFeatureGroup's answer once the group is usable."""
    request: dict[str, Any] = {
        "FeatureGroupName": name,
        "RecordIdentifierFeatureName": RECORD_IDENTIFIER,
        "EventTimeFeatureName": EVENT_TIME,
        "FeatureDefinitions": feature_definitions(),
        "OnlineStoreConfig": {"EnableOnlineStore": True},
        "Description": "Latest product statistics of the retail price-sensitivity model (docs/contracts.md section 3)",
    }
    if role_arn and offline_s3_uri:
        request["OfflineStoreConfig"] = {"S3StorageConfig": {"S3Uri": offline_s3_uri},
                                         "DisableGlueTableCreation": False}
        request["RoleArn"] = role_arn
    try:  # create first: "already exists" is the one answer every implementation gives alike
        sagemaker.create_feature_group(**request)
    except Exception as exc:  # botocore's ClientError, by code
        if _error_code(exc) not in ("ResourceInUse", "ResourceInUseException"):
            raise
        existing = sagemaker.describe_feature_group(FeatureGroupName=name)
        have = {d["FeatureName"]: d["FeatureType"] for d in existing.get("FeatureDefinitions", [])}
        wrong = {n: (have[n], k) for n, k in FEATURE_TYPES.items() if n in have and have[n] != k}
        if wrong or existing.get("RecordIdentifierFeatureName") != RECORD_IDENTIFIER:
            raise FeatureStoreError(f"feature group {name} has other types for {wrong} (have, want) or another "
                                    "record identifier; create a new group instead") from None
        extra = [{"FeatureName": n, "FeatureType": k} for n, k in FEATURE_TYPES.items() if n not in have]
        if extra:
            sagemaker.update_feature_group(FeatureGroupName=name, FeatureAdditions=extra)
    deadline = time.monotonic() + wait_seconds
    while True:
        described = sagemaker.describe_feature_group(FeatureGroupName=name)
        status = described.get("FeatureGroupStatus", "Created")
        if status == "Created" and described.get("LastUpdateStatus", {}).get("Status", "Successful") != "InProgress":
            return described
        if status in ("CreateFailed", "DeleteFailed", "Deleting"):
            raise FeatureStoreError(f"feature group {name} is {status}: {described.get('FailureReason', '')}")
        if time.monotonic() > deadline:
            raise FeatureStoreError(f"feature group {name} still {status} after {wait_seconds:.0f}s")
        time.sleep(5)


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def put_records(runtime: Any, name: str, records: Iterator[list[dict[str, str]]], threads: int = 8) -> int:
    """PutRecord for every record (one product per call, `threads` at a time); returns the
    count. Every failure is collected and reported together."""
    failures: list[str] = []

    def put(record: list[dict[str, str]]) -> None:
        try:
            runtime.put_record(FeatureGroupName=name, Record=record)
        except Exception as exc:  # botocore raises per-service exception classes
            failures.append(f"{record[0]['ValueAsString']}: {exc}")

    count = 0
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in pool.map(put, records):
            count += 1
    if failures:
        raise FeatureStoreError(f"{len(failures)} of {count} records failed, e.g. {failures[:3]}")
    return count
