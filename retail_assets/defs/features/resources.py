"""The online feature store: the lake's Parquet table everywhere, plus a SageMaker Feature
Store feature group on AWS. The same resource key on both back ends (bound in defs/resources.py)."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pyarrow as pa


class OnlineFeatureStore(dg.ConfigurableResource):
    """Publishes the online product table beyond the lake: to a feature group when
    `backend` is "sagemaker"; "lake" adds nothing (the bundle carries the lake's table)."""

    backend: str = "lake"
    feature_group: str = ""
    region: str = "ap-southeast-1"
    role_arn: str | None = None
    offline_s3_uri: str | None = None  # SageMaker's own offline store (needs role_arn)
    endpoint_url: str | None = None  # an AWS-compatible endpoint (moto in tests); None = AWS

    def publish(self, table: pa.Table) -> dict[str, Any]:
        """Metadata describing where the table went."""
        if self.backend == "lake":
            return {"online_store": "lake (carried by the bundle)"}
        if self.backend != "sagemaker":
            raise ValueError(f"feature store backend must be 'lake' or 'sagemaker', got {self.backend!r}")
        import boto3

        from retail_assets.feature_store import ensure_feature_group, event_time, product_records, put_records

        sagemaker = boto3.client("sagemaker", region_name=self.region, endpoint_url=self.endpoint_url)
        runtime = boto3.client("sagemaker-featurestore-runtime", region_name=self.region,
                               endpoint_url=self.endpoint_url)
        group = ensure_feature_group(sagemaker, self.feature_group, self.offline_s3_uri, self.role_arn)
        written = put_records(runtime, self.feature_group, product_records(table, event_time()))
        return {"online_store": "sagemaker", "feature_group": group.get("FeatureGroupArn", self.feature_group),
                "records_put": written}
