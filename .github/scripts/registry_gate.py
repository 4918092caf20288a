"""Promotion gate and cross-environment promotion for the model registry on S3.

Works on the registry index of docs/contracts.md section 4 (index.json + log.jsonl):

    registry_gate.py check   --index s3://mlops-dev-retail/retail/artifacts/registry/index.json \
                             --min accuracy=0.55 --min macro_f1=0.50
        exits 1 unless the index has a Production version whose metrics meet every minimum;
        prints that version.

    registry_gate.py promote --source s3://mlops-dev-retail --target s3://mlops-prod-retail --version v0007
        copies the bundle prefix retail/artifacts/models/<version>/ between lakes, then makes
        it Production in the target index (the previous Production becomes Archived) and
        appends the change to log.jsonl. Rolling back is `retail registry rollback`.

Needs only boto3; credentials come from the workflow's OIDC role.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from urllib.parse import urlparse

import boto3

REGISTRY = "retail/artifacts/registry"
MODELS = "retail/artifacts/models"


def split_s3(uri: str) -> tuple[str, str]:
    parts = urlparse(uri)
    if parts.scheme != "s3" or not parts.netloc:
        raise SystemExit(f"not an s3:// URI: {uri}")
    return parts.netloc, parts.path.lstrip("/")


def read_json(s3, bucket: str, key: str) -> dict | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return json.loads(body)


def production_version(index: dict) -> tuple[str, dict]:
    version = index.get("production")
    if not version or version not in index.get("versions", {}):
        raise SystemExit("the registry has no Production version")
    return version, index["versions"][version]


def check(s3, index_uri: str, minimums: dict[str, float]) -> int:
    bucket, key = split_s3(index_uri)
    index = read_json(s3, bucket, key)
    if index is None:
        print(f"no registry index at {index_uri}", file=sys.stderr)
        return 1
    version, entry = production_version(index)
    metrics = entry.get("metrics", {})
    failures = []
    for name, minimum in minimums.items():
        value = metrics.get(name)
        if not isinstance(value, (int, float)) or value < minimum:
            failures.append(f"{name}={value!r} (minimum {minimum})")
    if failures:
        print(f"{version} fails the promotion gate: " + ", ".join(failures), file=sys.stderr)
        return 1
    print(version)
    return 0


def promote(s3, source: str, target: str, version: str) -> int:
    src_bucket, _ = split_s3(source)
    dst_bucket, _ = split_s3(target)
    src_index = read_json(s3, src_bucket, f"{REGISTRY}/index.json")
    if src_index is None or version not in src_index.get("versions", {}):
        raise SystemExit(f"{version} is not in the source registry")
    entry = dict(src_index["versions"][version])

    prefix = f"{MODELS}/{version}/"
    paginator = s3.get_paginator("list_objects_v2")
    copied = 0
    for page in paginator.paginate(Bucket=src_bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            s3.copy({"Bucket": src_bucket, "Key": obj["Key"]}, dst_bucket, obj["Key"])
            copied += 1
    if copied == 0:
        raise SystemExit(f"no bundle files under s3://{src_bucket}/{prefix}")

    index = read_json(s3, dst_bucket, f"{REGISTRY}/index.json") or {"production": None, "versions": {}}
    previous = index.get("production")
    if previous and previous in index["versions"] and previous != version:
        index["versions"][previous]["stage"] = "Archived"
    entry["stage"] = "Production"
    entry["bundle_uri"] = f"s3://{dst_bucket}/{prefix.rstrip('/')}"
    index["versions"][version] = entry
    index["production"] = version

    # Bundle files first, index last: a reader never sees an index naming a missing bundle.
    s3.put_object(Bucket=dst_bucket, Key=f"{REGISTRY}/index.json", Body=json.dumps(index, indent=2).encode())
    log_key = f"{REGISTRY}/log.jsonl"
    try:
        log = s3.get_object(Bucket=dst_bucket, Key=log_key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        log = b""
    event = {
        "at": datetime.now(timezone.utc).isoformat(),
        "version": version,
        "stage": "Production",
        "previous": previous,
        "reason": f"promoted from {source} by CI",
    }
    s3.put_object(Bucket=dst_bucket, Key=log_key, Body=log + (json.dumps(event) + "\n").encode())
    print(f"{version} is Production in {target} ({copied} files; previous {previous})")
    return 0


def parse_minimum(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    return name, float(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_check = sub.add_parser("check")
    p_check.add_argument("--index", required=True)
    p_check.add_argument("--min", action="append", default=[], type=parse_minimum, metavar="METRIC=VALUE")
    p_promote = sub.add_parser("promote")
    p_promote.add_argument("--source", required=True)
    p_promote.add_argument("--target", required=True)
    p_promote.add_argument("--version", required=True)
    args = parser.parse_args(argv)

    s3 = boto3.client("s3")
    if args.command == "check":
        return check(s3, args.index, dict(args.min))
    return promote(s3, args.source, args.target, args.version)


if __name__ == "__main__":
    sys.exit(main())
