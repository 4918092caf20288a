"""Serving settings: environment variables prefixed RETAIL_, read once, lazily."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REGISTRY_INDEX_KEY = "lake/retail/artifacts/registry/index.json"


class ServingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RETAIL_", extra="ignore")

    home: str = "./.retail"
    # Path or s3:// URI of the registry index; default <home>/lake/retail/artifacts/registry/index.json.
    registry_uri: str = ""
    # Serve this one bundle (path or s3:// URI) instead of the registry's Production version.
    bundle_uri: str | None = None
    # How often the registry index is re-read; 0 turns reloading off.
    reload_seconds: float = Field(default=10.0, ge=0)
    onnx_threads: int = Field(default=1, ge=1)
    max_baskets_per_request: int = Field(default=1000, ge=1)
    max_lines_per_basket: int = Field(default=500, ge=1)
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = "info"

    @model_validator(mode="after")
    def _default_registry_uri(self) -> ServingSettings:
        if not self.registry_uri:
            self.registry_uri = f"{self.home.rstrip('/')}/{REGISTRY_INDEX_KEY}"
        return self


@lru_cache(maxsize=1)
def get_settings() -> ServingSettings:
    return ServingSettings()
