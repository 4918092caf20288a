"""The model registry: one interface, a local and a SageMaker implementation, one promotion rule.

`open_registry` picks the implementation a deployment uses; `versions` holds what the
pipeline, the CLI and CI do with it (register and promote a trained model, gate, import a
version from another deployment). Both implementations publish the same index.json and
log.jsonl in the lake, which is what serving reads.
"""

from __future__ import annotations

from retail_assets.contract.lake import Lake
from retail_assets.contract.lake_keys import REGISTRY
from retail_assets.registry.base import (
    ARCHIVED,
    CHALLENGER,
    PRODUCTION,
    REJECTED,
    STAGES,
    ModelRegistry,
    PromotionDecision,
    decide_promotion,
)

__all__ = ["ARCHIVED", "CHALLENGER", "PRODUCTION", "REJECTED", "STAGES", "ModelRegistry", "PromotionDecision",
           "decide_promotion", "open_registry"]


def open_registry(backend: str, lake_uri: str, *, model_package_group: str | None = None,
                  region: str | None = None) -> ModelRegistry:
    """The registry of a deployment: "local" (files under the lake) or "sagemaker" (a model package group)."""
    lake = Lake.from_uri(lake_uri)
    if backend == "local":
        from retail_assets.registry.local import LocalRegistry

        if not lake.is_local:
            raise ValueError(f"the local registry needs a local lake, got {lake_uri}; use the sagemaker backend")
        return LocalRegistry(lake.path(REGISTRY))
    if backend == "sagemaker":
        from retail_assets.registry.sagemaker import SageMakerRegistry

        if not model_package_group:
            raise ValueError("the sagemaker registry needs a model package group name")
        return SageMakerRegistry(model_package_group, lake, region=region)
    raise ValueError(f"unknown registry backend {backend!r}; expected 'local' or 'sagemaker'")
