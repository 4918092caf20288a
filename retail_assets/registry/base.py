"""What every registry shares: stages, the registry interface, the promotion rule, one index
and one log format (docs/contracts.md section 4).

Two implementations: `LocalRegistry` (files under the lake) and `SageMakerRegistry` (a model
package group, mirroring its state into the same index and log in the lake, which is what
serving reads). Pick one with `retail_assets.registry.open_registry`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

PRODUCTION, CHALLENGER, ARCHIVED, REJECTED = "Production", "Challenger", "Archived", "Rejected"
STAGES = (PRODUCTION, CHALLENGER, ARCHIVED, REJECTED)


@dataclass(frozen=True)
class PromotionDecision:
    version: str
    promoted: bool
    reason: str
    metric: str
    candidate_value: float
    production_version: str | None
    production_value: float | None
    production_value_source: str | None  # "stored" (its registered metrics) or "re-scored" (by the caller)
    tolerance: float
    gates_failed: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "gates_failed": list(self.gates_failed)}


@runtime_checkable
class ModelRegistry(Protocol):
    def next_version(self) -> str: ...
    def register(self, bundle_uri: str, bundle_info: Mapping[str, Any], metrics: Mapping[str, Any], *,
                 actor: str = ...) -> str: ...
    def promote(self, version: str, reason: str, *, actor: str = ...) -> None: ...
    def promote_if_better(self, version: str, metric: str = ..., tolerance: float = ...,
                          gates_failed: Sequence[str] = ..., *, production_value: float | None = ...,
                          actor: str = ...) -> PromotionDecision: ...
    def rollback(self, reason: str, *, actor: str = ...) -> str: ...
    def reject(self, version: str, reason: str, *, actor: str = ...) -> None: ...
    def list_versions(self) -> dict[str, dict[str, Any]]: ...
    def production(self) -> str | None: ...
    def get(self, version: str) -> dict[str, Any]: ...
    def read_log(self) -> list[dict[str, Any]]: ...


def decide_promotion(version: str, candidate: float, current: str | None, production_value: float | None,
                     source: str | None, metric: str, tolerance: float,
                     gates_failed: Sequence[str]) -> PromotionDecision:
    """The promotion rule both registries apply: gates first, then not worse than Production - tolerance."""
    if gates_failed:
        promoted, reason = False, "failed gates: " + "; ".join(gates_failed)
    elif current is None or production_value is None:
        promoted, reason = current is None, ("no Production version yet" if current is None
                                             else f"no {metric} for {current} to compare with")
    elif candidate >= production_value - tolerance:
        promoted, reason = True, f"{metric} {candidate:.4f} >= {current}'s {production_value:.4f} - {tolerance}"
    else:
        promoted, reason = False, f"{metric} {candidate:.4f} < {current}'s {production_value:.4f} - {tolerance}"
    return PromotionDecision(version, promoted, reason, metric, candidate, current,
                             None if current is None or production_value is None else float(production_value),
                             source, tolerance, tuple(gates_failed))


def entry_of(index: dict[str, Any], version: str) -> dict[str, Any]:
    try:
        return index["versions"][version]
    except KeyError:
        raise KeyError(f"unknown model version {version!r}; known: {sorted(index['versions'])}") from None


def metric_of(entry: Mapping[str, Any], metric: str, version: str) -> float:
    if metric not in entry["metrics"]:
        raise KeyError(f"{version} has no metric {metric!r} (has {sorted(entry['metrics'])})")
    return float(entry["metrics"][metric])


def next_version_of(index: dict[str, Any]) -> str:
    numbers = [int(v[1:]) for v in index["versions"]]
    return f"v{max(numbers, default=0) + 1:04d}"


def index_bytes(index: Mapping[str, Any]) -> bytes:
    """index.json as every registry writes it."""
    return (json.dumps(index, indent=2, allow_nan=False) + "\n").encode()


def log_bytes(events: Sequence[Mapping[str, Any]]) -> bytes:
    """Lines of log.jsonl: one JSON object per stage change or promotion decision."""
    return b"".join(json.dumps(dict(e), allow_nan=False).encode() + b"\n" for e in events)


def parse_log(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines() if line]


def event(ts: str, action: str, version: str, from_stage: str | None, to_stage: str, actor: str, reason: str,
          **details: Any) -> dict[str, Any]:
    """One log.jsonl entry: who did what to which version, when and why."""
    return {"ts": ts, "action": action, "version": version, "from_stage": from_stage, "to_stage": to_stage,
            "actor": actor, "reason": reason, **details}


def bundle_location(lake_uri: str, entry: Mapping[str, Any]) -> str:
    """Where a registry entry's bundle is: its lake key resolved in `lake_uri`, or an absolute location."""
    stored = str(entry["bundle_uri"])
    return stored if "://" in stored or stored.startswith("/") else f"{lake_uri.rstrip('/')}/{stored}"


def bundle_problem(lake_uri: str, entry: Mapping[str, Any]) -> str | None:
    """Why the entry's bundle could not serve (None when it loads, verifies and answers as it should).

    What serving does before it answers with a bundle: every file present and hashing to the id,
    the ONNX graph loaded and its test predictions shaped like the contract; and it must be the
    bundle that was registered.
    """
    from retail_assets.contract.bundle import load_bundle
    from retail_assets.contract.bundle_format import BundleError

    try:
        bundle = load_bundle(bundle_location(lake_uri, entry))
    except BundleError as exc:
        return str(exc)
    registered = entry.get("bundle_id")
    if registered and bundle.bundle_id != registered:
        return f"bundle {bundle.uri} has id {bundle.bundle_id[:12]}, not the registered {str(registered)[:12]}"
    return None
