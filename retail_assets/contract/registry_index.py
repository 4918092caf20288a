"""The registry index as serving reads it (docs/contracts.md section 4).

The registry (retail_assets.registry) writes `index.json` under the lake's registry prefix;
a server polls it to learn which version is Production and where its bundle lies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyarrow as pa

from retail_assets.contract.bundle_format import BundleError, read_bytes
from retail_assets.contract.lake_keys import REGISTRY_INDEX, lake_uri_of


@dataclass(frozen=True)
class ProductionRef:
    """What the registry index says should be serving."""

    version: str
    bundle_uri: str
    bundle_id: str | None


def parse_index(data: bytes, index_uri: str) -> ProductionRef | None:
    """The Production entry of a registry index; None when nothing is in Production."""
    try:
        index = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"registry index {index_uri} is not valid JSON: {exc}") from None
    if not isinstance(index, dict):
        raise BundleError(f"registry index {index_uri} must hold a JSON object")
    version = index.get("production")
    if version is None:
        return None
    entry = (index.get("versions") or {}).get(version) if isinstance(index.get("versions"), dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("bundle_uri"), str):
        raise BundleError(f"registry index {index_uri}: production {version!r} has no "
                          "versions[...].bundle_uri")
    bundle_uri = resolve_bundle_uri(entry["bundle_uri"], index_uri)
    bundle_id = entry.get("bundle_id")
    return ProductionRef(str(version), bundle_uri, bundle_id if isinstance(bundle_id, str) else None)


def lake_of_index(index_uri: str) -> str:
    """The lake URI an index URI sits in (the inverse of lake_keys.registry_index_uri)."""
    suffix = "/" + REGISTRY_INDEX
    if not index_uri.endswith(suffix):
        raise BundleError(f"registry index {index_uri} is not at <lake>/{REGISTRY_INDEX}")
    return index_uri[: -len(suffix)]


def resolve_bundle_uri(bundle_uri: str, index_uri: str) -> str:
    """A bundle location as the index stores it: a lake key (so a copied lake serves its own
    bundles), or an absolute path or URI for a bundle kept outside the lake."""
    if "://" in bundle_uri or bundle_uri.startswith("/"):
        return bundle_uri
    return lake_uri_of(lake_of_index(index_uri), bundle_uri)


def resolve_production(index_uri: str) -> ProductionRef | None:
    """Read the registry index at `index_uri` and return its Production entry."""
    try:
        data = read_bytes(index_uri)
    except (OSError, pa.ArrowException) as exc:
        raise BundleError(f"registry index {index_uri} cannot be read: {exc}") from None
    return parse_index(data, index_uri)
