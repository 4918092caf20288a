"""Teardown: versioned buckets are emptied of every version and delete marker (against
moto), and the script takes prod's ALB deletion protection off before it uninstalls the
release, in the order that lets each step succeed."""

from __future__ import annotations

import importlib.util
import subprocess
import uuid
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parents[2]
TEARDOWN = REPO / "infra" / "bin" / "teardown.sh"
spec = importlib.util.spec_from_file_location("empty_bucket", REPO / "infra" / "bin" / "empty_bucket.py")
empty_bucket = importlib.util.module_from_spec(spec)
spec.loader.exec_module(empty_bucket)


def test_empty_bucket_removes_every_version_and_marker(moto_endpoint):
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="ap-southeast-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    bucket = f"teardown-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-1"})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for i in range(3):
        s3.put_object(Bucket=bucket, Key="retail/artifacts/registry/index.json", Body=f"v{i}".encode())
    for i in range(1001):  # more than one DeleteObjects batch
        s3.put_object(Bucket=bucket, Key=f"retail/raw/part-{i}.parquet", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="retail/raw/part-0.parquet")  # a delete marker
    listed = s3.list_object_versions(Bucket=bucket)
    assert listed.get("DeleteMarkers") and listed["IsTruncated"]  # more than one page

    deleted, errors = empty_bucket.empty_bucket(s3, bucket)
    assert errors == [] and deleted == 3 + 1001 + 1
    after = s3.list_object_versions(Bucket=bucket)
    assert not after.get("Versions") and not after.get("DeleteMarkers")
    s3.delete_bucket(Bucket=bucket)  # what terraform destroy then does


def test_teardown_disables_deletion_protection_then_uninstalls_then_empties_then_destroys():
    text = TEARDOWN.read_text()
    assert subprocess.run(["bash", "-n", str(TEARDOWN)]).returncode == 0
    order = [
        "--set ingress.deletionProtection=false",
        "Key=deletion_protection.enabled,Value=false",
        "helm uninstall inference-api",
        "still exists after 10 minutes",
        "helm uninstall aws-load-balancer-controller",
        "empty_bucket.py",
        "destroy -input=false",
    ]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions), dict(zip(order, positions))
    assert '"mlops-$env-retail" "mlops-$env-logs"' in text
    assert "Type 'delete $bucket'" in text  # prod asks before deleting data
