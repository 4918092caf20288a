"""Every key and prefix of the lake, defined once (docs/contracts.md section 2).

The same keys hold locally (under a folder) and on S3 (under a bucket). Locations that are
not in the lake, such as the registry index a server polls, are derived from a lake URI by
`lake_uri_of`, so every process that knows the lake finds everything else the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from retail_assets.aws_names import lake_prefix

# The prefixes IAM grants on S3 are read from the same file as Terraform's (aws_names.json).
ROOT = lake_prefix("root")

LANDING = f"{ROOT}/landing"  # weekly files as they arrived: transactions_YYYYWW.csv[.gz]
RAW = f"{ROOT}/raw"  # shop_week=YYYYWW/part-0.parquet
QUARANTINE = f"{ROOT}/quarantine"  # shop_week=YYYYWW/part-0.parquet, rejected rows with a reason
SILVER = f"{ROOT}/silver"
GOLD = lake_prefix("gold")
FEATURES = lake_prefix("features")
MODELS = lake_prefix("models")  # one bundle per version: MODELS/vNNNN/
REGISTRY = lake_prefix("registry")
REGISTRY_INDEX = f"{REGISTRY}/index.json"
REGISTRY_LOG = f"{REGISTRY}/log.jsonl"
TRAINING = lake_prefix("training")  # SageMaker training jobs' output
CHECKPOINTS = lake_prefix("checkpoints")  # where a spot training job saves and resumes
REPORTS = f"{ROOT}/artifacts/reports"
DAGSTER_STORAGE = f"{ROOT}/dagster"  # the S3 IO manager's prefix on AWS
FEATURE_STORE_OFFLINE = f"{FEATURES}/feature_store"  # SageMaker Feature Store's own offline copy
MONITORING = f"{ROOT}/monitoring"  # per scored week: scores, quality, drift (docs/monitoring.md)

PART = "part-0.parquet"


def raw_key(shop_week: int | str) -> str:
    return f"{RAW}/shop_week={shop_week}/{PART}"


def quarantine_key(shop_week: int | str) -> str:
    return f"{QUARANTINE}/shop_week={shop_week}/{PART}"


def landing_key(file_name: str) -> str:
    return f"{LANDING}/{file_name}"


def gold_key(model: str) -> str:
    return f"{GOLD}/{model}"


def asset_table_key(asset_path: Sequence[str]) -> str:
    """Where the lake's IO manager keeps the table of asset [layer, name]: retail/<layer>/<name>.parquet."""
    return f"{ROOT}/{'/'.join(asset_path)}.parquet"


TRAINING_TABLE = asset_table_key(("features", "training_table"))  # the offline store: what training reads
ONLINE_PRODUCT_FEATURES = asset_table_key(("features", "online_product_features"))


def bundle_key(version: str) -> str:
    return f"{MODELS}/{version}"


def report_key(run_id: str, name: str) -> str:
    return f"{REPORTS}/{run_id}/{name}"


def weekly_scores_key(shop_week: int | str) -> str:
    """The Production model's answers for every basket of the week (monitoring/weekly_scores)."""
    return f"{MONITORING}/weekly_scores/shop_week={shop_week}/{PART}"


def weekly_quality_key(shop_week: int | str) -> str:
    """The week's metrics on its delayed labels (monitoring/weekly_quality), one JSON document."""
    return f"{MONITORING}/weekly_quality/shop_week={shop_week}/quality.json"


WEEKLY_QUALITY_PREFIX = f"{MONITORING}/weekly_quality"
QUALITY_TREND = f"{MONITORING}/weekly_quality/trend.png"  # accuracy and macro-F1 across the weeks


def drift_key(shop_week: int | str, name: str) -> str:
    """monitoring/drift's files for the week: drift.json, report.html, report.png."""
    return f"{MONITORING}/drift/shop_week={shop_week}/{name}"


def lake_uri_of(lake_uri: str, key: str) -> str:
    """The URI of `key` in the lake at `lake_uri` (a folder or s3://bucket[/prefix])."""
    return f"{lake_uri.rstrip('/')}/{key}"


def registry_index_uri(lake_uri: str) -> str:
    """The one rule for finding the registry: its index sits in the lake."""
    return lake_uri_of(lake_uri, REGISTRY_INDEX)
