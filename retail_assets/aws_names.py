"""AWS names and ARN patterns, read from aws_names.json: the file Terraform reads too
(infra/modules/names), so the names the code uses are the names IAM grants."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

NAMES_FILE = Path(__file__).with_name("aws_names.json")


@lru_cache(maxsize=1)
def _names() -> dict[str, Any]:
    return json.loads(NAMES_FILE.read_text())


def name(kind: str, deployment: str) -> str:
    """name("model_package_group", "prod") -> "mlops-prod-price-sensitivity".

    `deployment` is dev or prod (RETAIL_DEPLOYMENT); the same rule as Terraform's names
    module (a short lower-case word) admits test roots too."""
    if not re.fullmatch(r"[a-z][a-z0-9]{1,9}", deployment):
        raise ValueError(f"deployment must be a short lower-case word such as 'dev' or 'prod', got {deployment!r}")
    return _names()[kind].replace("{deployment}", deployment)


def training_job_prefix() -> str:
    return _names()["training_job_prefix"]


def cloudwatch_namespace(kind: str) -> str:
    """cloudwatch_namespace("training") -> "Retail/Training"."""
    return _names()["cloudwatch_namespaces"][kind]


def lake_prefix(kind: str) -> str:
    """lake_prefix("checkpoints") -> "retail/artifacts/training/checkpoints"."""
    return _names()["lake_prefixes"][kind]
