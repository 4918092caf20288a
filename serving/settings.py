"""Serving settings: environment variables prefixed RETAIL_, read once, lazily.

The same style and the same location rule as the pipeline (`LakeSettings`): with only
RETAIL_LAKE set (or only RETAIL_HOME), the registry index is found where the pipeline
writes it, `<lake>/retail/artifacts/registry/index.json`.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator

from retail_assets.settings import LakeSettings


class ServingSettings(LakeSettings):
    # Path or s3:// URI of the registry index; default: the lake's (lake_keys.registry_index_uri).
    registry_uri: str = ""
    # Serve this one bundle (path or s3:// URI) instead of the registry's Production version.
    bundle_uri: str | None = None
    # How often the registry index is re-read; 0 turns reloading off.
    reload_seconds: float = Field(default=10.0, ge=0)
    onnx_threads: int = Field(default=1, ge=1)
    # Serve only bundles that reproduced their golden input; false also serves bundles without golden.json.
    require_golden: bool = True
    max_baskets_per_request: int = Field(default=1000, ge=1)
    max_lines_per_basket: int = Field(default=500, ge=1)
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = "info"

    @model_validator(mode="after")
    def _default_registry_uri(self) -> ServingSettings:
        if not self.registry_uri:
            self.registry_uri = self.registry_index_uri
        return self


@lru_cache(maxsize=1)
def get_settings() -> ServingSettings:
    return ServingSettings()
