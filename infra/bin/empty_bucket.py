"""Delete every object version and delete marker of a versioned S3 bucket, so that
`terraform destroy` can remove it (a versioned bucket keeps every old version, and
`aws s3 rm --recursive` only adds delete markers on top of them).

    python infra/bin/empty_bucket.py BUCKET [--region ap-southeast-1] [--endpoint-url URL]

Deletes in batches of 1,000 (DeleteObjects' limit), reports the count, and exits 1 if S3
refused any key. Needs boto3 (the project's .venv has it). Used by teardown.sh.
"""

from __future__ import annotations

import argparse
import sys


def empty_bucket(client, bucket: str) -> tuple[int, list[dict]]:
    """(versions and markers deleted, errors) for every version under the bucket.

    Lists the first page, deletes it, and lists again until nothing is left (no markers
    carried across deletions); stops at the first batch S3 refuses any key of."""
    deleted, errors = 0, []
    while True:
        page = client.list_object_versions(Bucket=bucket, MaxKeys=1000)
        batch = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                 for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if not batch:
            return deleted, errors
        answer = client.delete_objects(Bucket=bucket, Delete={"Objects": batch[:1000], "Quiet": True})
        refused = answer.get("Errors", [])
        deleted += len(batch[:1000]) - len(refused)
        if refused:
            return deleted, errors + refused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bucket")
    parser.add_argument("--region", default="ap-southeast-1")
    parser.add_argument("--endpoint-url", default=None)
    args = parser.parse_args(argv)

    import boto3

    client = boto3.client("s3", region_name=args.region, endpoint_url=args.endpoint_url)
    deleted, errors = empty_bucket(client, args.bucket)
    print(f"{args.bucket}: deleted {deleted} object versions and delete markers")
    for error in errors[:20]:
        print(f"  refused {error.get('Key')} {error.get('VersionId')}: {error.get('Code')} {error.get('Message')}",
              file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
