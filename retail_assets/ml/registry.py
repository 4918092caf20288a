"""Model registry: versions of a bundle and their stages (contracts.md section 4).

One interface (`ModelRegistry`), two implementations: `LocalRegistry` here (files under the
lake) and `SageMakerRegistry` in `sagemaker_registry.py` (a SageMaker model package group);
`open_registry` picks one. `LocalRegistry` keeps `index.json` (the current state, rewritten atomically) and `log.jsonl`
(one line per stage change or promotion decision, append-only) in one directory. Beside the
contract's `production` and `versions` keys the index holds `production_history`, the versions
in the order they became Production, which is what `rollback` walks back through.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Protocol, Sequence, runtime_checkable

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


def open_registry(backend: str, lake_uri: str, *, model_package_group: str | None = None,
                  region: str | None = None) -> ModelRegistry:
    """The registry of a deployment: "local" (files under the lake) or "sagemaker" (a model package group).

    Either way the registry's index.json and log.jsonl sit under retail/artifacts/registry in
    the lake, which is what serving reads.
    """
    from retail_assets.lake import Lake

    lake = Lake.from_uri(lake_uri)
    if backend == "local":
        if not lake.is_local:
            raise ValueError(f"the local registry needs a local lake, got {lake_uri}; use the sagemaker backend")
        return LocalRegistry(lake.path(REGISTRY_PREFIX))
    if backend == "sagemaker":
        from retail_assets.ml.sagemaker_registry import SageMakerRegistry

        if not model_package_group:
            raise ValueError("the sagemaker registry needs a model package group name")
        return SageMakerRegistry(model_package_group, lake, region=region)
    raise ValueError(f"unknown registry backend {backend!r}; expected 'local' or 'sagemaker'")


REGISTRY_PREFIX = "retail/artifacts/registry"


def decide_promotion(version: str, candidate: float, current: str | None, production_value: float | None,
                     source: str | None, metric: str, tolerance: float,
                     gates_failed: Sequence[str]) -> PromotionDecision:
    """The promotion rule both registries apply: gates first, then not worse than Production - tolerance."""
    if gates_failed:
        promoted, reason = False, "failed gates: " + "; ".join(gates_failed)
    elif current is None:
        promoted, reason = True, "no Production version yet"
    elif candidate >= production_value - tolerance:
        promoted, reason = True, f"{metric} {candidate:.4f} >= {current}'s {production_value:.4f} - {tolerance}"
    else:
        promoted, reason = False, f"{metric} {candidate:.4f} < {current}'s {production_value:.4f} - {tolerance}"
    return PromotionDecision(version, promoted, reason, metric, candidate, current,
                             None if current is None else float(production_value), source,
                             tolerance, tuple(gates_failed))


class LocalRegistry:
    def __init__(self, root: str | os.PathLike[str], clock: Callable[[], datetime] | None = None) -> None:
        self.root = Path(root)
        self.index_path = self.root / "index.json"
        self.log_path = self.root / "log.jsonl"
        self._clock = clock or (lambda: datetime.now(timezone.utc))

    def _read(self) -> dict[str, Any]:
        if not self.index_path.exists():
            return {"production": None, "versions": {}, "production_history": []}
        index = json.loads(self.index_path.read_text())
        index.setdefault("production_history", [])
        return index

    def list_versions(self) -> dict[str, dict[str, Any]]:
        return self._read()["versions"]

    def production(self) -> str | None:
        return self._read()["production"]

    def get(self, version: str) -> dict[str, Any]:
        return _entry(self._read(), version)

    def read_log(self) -> list[dict[str, Any]]:
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line]

    def next_version(self) -> str:
        return _next_version(self._read())

    @contextmanager
    def _change(self) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """Yield (index, events) under an exclusive lock; on success write the index, then the log.

        An exception inside leaves both files untouched. The lock keeps two processes (e.g.
        two Dagster run workers) from interleaving read-modify-write cycles.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as lock:  # closing the file releases the lock
            fcntl.flock(lock, fcntl.LOCK_EX)
            index = self._read()
            events: list[dict[str, Any]] = []
            yield index, events
            self._write_index(index)
            self._append_log(events)

    def _write_index(self, index: dict[str, Any]) -> None:
        # Serving polls this file: a reader must see the old or the new index, never half of one.
        handle = tempfile.NamedTemporaryFile("w", dir=self.root, prefix=".index-", suffix=".tmp", delete=False)
        try:
            with handle:
                json.dump(index, handle, indent=2, allow_nan=False)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(handle.name, self.index_path)
        finally:
            if os.path.exists(handle.name):
                os.remove(handle.name)

    def _append_log(self, events: list[dict[str, Any]]) -> None:
        with open(self.log_path, "a") as log:
            for event in events:
                log.write(json.dumps(event, allow_nan=False) + "\n")
            log.flush()
            os.fsync(log.fileno())

    def _now(self) -> str:
        return self._clock().isoformat(timespec="milliseconds")

    def _move(self, index: dict[str, Any], events: list[dict[str, Any]], version: str, to_stage: str, *,
              action: str, actor: str, reason: str, **details: Any) -> None:
        entry = _entry(index, version)
        events.append({"ts": self._now(), "action": action, "version": version, "from_stage": entry["stage"],
                       "to_stage": to_stage, "actor": actor, "reason": reason, **details})
        entry["stage"] = to_stage
        entry["stage_changed_at"] = events[-1]["ts"]

    def _make_production(self, index, events, version: str, *, action: str, actor: str, reason: str, **details) -> None:
        current = index["production"]
        if current is not None and current != version:
            self._move(index, events, current, ARCHIVED, action="archive", actor=actor, reason=f"replaced by {version}")
        self._move(index, events, version, PRODUCTION, action=action, actor=actor, reason=reason, **details)
        index["production"] = version
        index["production_history"].append(version)

    def register(self, bundle_uri: str, bundle_info: Mapping[str, Any], metrics: Mapping[str, Any], *,
                 actor: str = "pipeline") -> str:
        """Add a bundle as a new Challenger version; returns the version (v0001, v0002, ...)."""
        with self._change() as (index, events):
            version = _next_version(index)
            written = bundle_info.get("version")
            if written is not None and written != version:
                # bundle.json names its version; the index must not file it under another.
                raise ValueError(f"bundle {bundle_uri} says version {written!r} but the next version is {version!r}")
            now = self._now()
            index["versions"][version] = {
                "stage": CHALLENGER,
                "bundle_uri": str(bundle_uri),
                "bundle_id": bundle_info["bundle_id"],
                "model_name": bundle_info["model_name"],
                "metrics": copy.deepcopy(dict(metrics)),
                "created_at": bundle_info.get("created_at", now),
                "registered_at": now,
                "lineage": copy.deepcopy(dict(bundle_info.get("lineage", {}))),
                "stage_changed_at": now,
            }
            events.append({"ts": now, "action": "register", "version": version, "from_stage": None,
                           "to_stage": CHALLENGER, "actor": actor, "reason": f"registered {bundle_uri}"})
        return version

    def promote(self, version: str, reason: str, *, actor: str = "pipeline") -> None:
        """Make `version` Production unconditionally (an operator's decision); the old one is Archived."""
        with self._change() as (index, events):
            stage = _entry(index, version)["stage"]
            if stage not in (CHALLENGER, ARCHIVED):
                raise ValueError(f"{version} is {stage}; only a Challenger or Archived version can be promoted")
            self._make_production(index, events, version, action="promote", actor=actor, reason=reason)

    def promote_if_better(self, version: str, metric: str = "macro_f1", tolerance: float = 0.0,
                          gates_failed: Sequence[str] = (), *, production_value: float | None = None,
                          actor: str = "pipeline") -> PromotionDecision:
        """Promote a Challenger if it passed the gates and is not worse than Production on `metric`.

        `production_value`: the Production model's metric re-scored by the caller on the
        challenger's validation weeks; without it the value Production was registered with is
        used, which is only fair when both were validated on the same weeks. A refusal leaves
        the version a Challenger; the decision is logged and kept in the version's entry.
        """
        with self._change() as (index, events):
            entry = _entry(index, version)
            if entry["stage"] != CHALLENGER:
                raise ValueError(f"{version} is {entry['stage']}; only a Challenger can be promoted on merit")
            candidate = _metric(entry, metric, version)
            current = index["production"]
            source = None
            if current is not None and production_value is None:
                production_value, source = _metric(_entry(index, current), metric, current), "stored"
            elif current is not None:
                source = "re-scored"
            decision = decide_promotion(version, candidate, current, production_value, source, metric,
                                        tolerance, gates_failed)
            promoted, reason = decision.promoted, decision.reason
            entry["promotion"] = {**decision.to_dict(), "decided_at": self._now()}
            if promoted:
                self._make_production(index, events, version, action="promote", actor=actor, reason=reason,
                                      comparison=decision.to_dict())
            else:
                events.append({"ts": self._now(), "action": "promotion_refused", "version": version,
                               "from_stage": CHALLENGER, "to_stage": CHALLENGER, "actor": actor, "reason": reason,
                               "comparison": decision.to_dict()})
        return decision

    def rollback(self, reason: str, *, actor: str = "pipeline") -> str:
        """Restore the version that was Production before the current one; returns it."""
        with self._change() as (index, events):
            current = index["production"]
            if current is None:
                raise ValueError("no Production version to roll back from")
            history = index["production_history"]
            if history and history[-1] == current:
                history.pop()
            # Skip versions rejected since they served: they must not come back by rollback.
            while history and _entry(index, history[-1])["stage"] != ARCHIVED:
                history.pop()
            if not history:
                raise ValueError(f"no earlier Production version to roll back to from {current}")
            previous = history[-1]
            self._move(index, events, current, ARCHIVED, action="rollback", actor=actor, reason=reason)
            self._move(index, events, previous, PRODUCTION, action="rollback", actor=actor, reason=reason)
            index["production"] = previous
        return previous

    def reject(self, version: str, reason: str, *, actor: str = "pipeline") -> None:
        with self._change() as (index, events):
            stage = _entry(index, version)["stage"]
            if stage == PRODUCTION:
                raise ValueError(f"{version} is Production; roll back or promote another version first")
            if stage == REJECTED:
                raise ValueError(f"{version} is already Rejected")
            self._move(index, events, version, REJECTED, action="reject", actor=actor, reason=reason)


def _entry(index: dict[str, Any], version: str) -> dict[str, Any]:
    try:
        return index["versions"][version]
    except KeyError:
        raise KeyError(f"unknown model version {version!r}; known: {sorted(index['versions'])}") from None


def _metric(entry: dict[str, Any], metric: str, version: str) -> float:
    if metric not in entry["metrics"]:
        raise KeyError(f"{version} has no metric {metric!r} (has {sorted(entry['metrics'])})")
    return float(entry["metrics"][metric])


def _next_version(index: dict[str, Any]) -> str:
    numbers = [int(v[1:]) for v in index["versions"]]
    return f"v{max(numbers, default=0) + 1:04d}"
