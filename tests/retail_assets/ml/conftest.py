"""Synthetic gold `fct_baskets` frames and trained candidates shared by the ml tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from retail_assets.contract.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from retail_assets.ml.config import TrainingConfig
from retail_assets.ml.training import train_candidates

WEEKS = (200801, 200802, 200803, 200804, 200805, 200806)


def make_baskets(n: int = 1500, weeks: tuple[int, ...] = WEEKS, xx_share: float = 0.05, seed: int = 0) -> pd.DataFrame:
    """Baskets whose label follows avg_p_um - avg_p_la (plus noise), with imbalanced classes."""
    rng = np.random.default_rng(seed)
    lean = rng.normal(size=n)  # > 0 leans up-market
    avg_p_la = np.clip(1 / 3 - 0.08 * lean + rng.normal(0, 0.01, n), 0.01, 0.9)
    avg_p_um = np.clip(1 / 3 + 0.08 * lean + rng.normal(0, 0.01, n), 0.01, 0.9)
    score = (avg_p_um - avg_p_la) / 0.16 + rng.normal(0, 0.15, n)
    label = np.where(score < -0.45, "LA", np.where(score > 0.75, "UM", "MM")).astype(object)
    label[rng.random(n) < xx_share] = "XX"
    n_lines = rng.integers(1, 40, n)
    frame = pd.DataFrame({
        "basket_id": 994100100000000 + rng.permutation(n * 3)[:n],
        "shop_week": np.sort(rng.choice(weeks, n)),
        "label": label,
        "n_lines": n_lines,
        "total_quantity": n_lines + rng.integers(0, 20, n),
        # Spend in the thousands: exercises float32 at a magnitude where its step is ~1e-4.
        "total_spend": np.round(rng.lognormal(6.5, 1.0, n), 2),
        "avg_p_la": avg_p_la,
        "avg_p_mm": 1 - avg_p_la - avg_p_um,
        "avg_p_um": avg_p_um,
        "max_p_la": np.clip(avg_p_la + rng.uniform(0, 0.2, n), 0, 1),
        "max_p_um": np.clip(avg_p_um + rng.uniform(0, 0.2, n), 0, 1),
        "avg_log_price_index": 0.3 * lean + rng.normal(0, 0.3, n),
        "known_product_share": rng.uniform(0.5, 1.0, n),
        "shop_weekday": rng.integers(1, 8, n),
        "shop_hour": rng.integers(8, 22, n),
    })
    for name, values in CATEGORICAL_FEATURES.items():
        frame[name] = rng.choice(values, n)
    for name in NUMERIC_FEATURES:  # a feature added to the contract later: present, uninformative
        if name not in frame:
            frame[name] = rng.normal(size=n)
    frame.loc[rng.random(n) < 0.05, "cust_price_sensitivity"] = None  # unknown customer
    return frame


def fast_config(**overrides) -> TrainingConfig:
    """Small models, so the whole ml suite stays well under a minute."""
    return TrainingConfig(
        hyperparameters={
            "random_forest": {"n_estimators": 30, "max_depth": 8, "n_jobs": 1},
            "xgboost": {"n_estimators": 60, "max_depth": 4, "n_jobs": 1},
        },
        **overrides,
    )


def product_table() -> pa.Table:
    return pa.table({
        "prod_code": ["PRD0900001", "PRD0900002"],
        "n_lines": pa.array([10, 0], pa.int64()),
        "p_la": [0.5, 1 / 3],
        "p_mm": [0.25, 1 / 3],
        "p_um": [0.25, 1 / 3],
        "log_price_index": [0.1, 0.0],
    })


@pytest.fixture(scope="session")
def baskets() -> pd.DataFrame:
    return make_baskets()


@pytest.fixture(scope="session")
def candidates(baskets):
    return {r.name: r for r in train_candidates(baskets, fast_config())}


# Helpers reach tests as fixtures: tests/ has no __init__.py, so importing conftest by name
# would depend on pytest's import mode.
@pytest.fixture(scope="session")
def basket_factory():
    return make_baskets


@pytest.fixture(scope="session")
def config_factory():
    return fast_config


@pytest.fixture(scope="session")
def products() -> pa.Table:
    return product_table()


@pytest.fixture
def aws(moto_endpoint, monkeypatch):
    """Fake credentials and the moto endpoint for boto3 and pyarrow; a fresh bucket per test."""
    import uuid

    import boto3

    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                        "AWS_ENDPOINT_URL": moto_endpoint}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"mlops-test-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    from retail_assets.contract.bundle_format import _bucket_filesystem

    _bucket_filesystem.cache_clear()  # serving caches a filesystem per bucket, endpoint included
    yield {"bucket": bucket, "lake_uri": f"s3://{bucket}", "endpoint": moto_endpoint}
    _bucket_filesystem.cache_clear()
