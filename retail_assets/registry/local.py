"""The registry as files in the lake: `index.json` (the current state, rewritten atomically by
the lake's writer) and `log.jsonl` (one line per stage change or promotion decision,
append-only) under retail/artifacts/registry.

Beside the contract's `production` and `versions` keys the index holds `production_history`,
the versions in the order they became Production, which is what `rollback` walks back through.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from retail_assets.contract.lake import Lake
from retail_assets.registry.base import (
    ARCHIVED,
    CHALLENGER,
    PRODUCTION,
    REJECTED,
    PromotionDecision,
    bundle_problem,
    decide_promotion,
    entry_of,
    event,
    index_bytes,
    log_bytes,
    metric_of,
    next_version_of,
    parse_log,
)


class LocalRegistry:
    """`root` is <lake>/retail/artifacts/registry. `verify=False` leaves bundles unchecked: only for
    tests of the stage rules alone, whose versions have no bundle."""

    def __init__(self, root: str | os.PathLike[str], clock: Callable[[], datetime] | None = None, *,
                 verify: bool = True) -> None:
        self.root = Path(root)
        self.lake_uri = str(self.root.parents[2])
        self.verify = verify
        self.index_path = self.root / "index.json"
        self.log_path = self.root / "log.jsonl"
        self._clock = clock or (lambda: datetime.now(UTC))

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
        return entry_of(self._read(), version)

    def read_log(self) -> list[dict[str, Any]]:
        if not self.log_path.exists():
            return []
        return parse_log(self.log_path.read_bytes())

    def next_version(self) -> str:
        return next_version_of(self._read())

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
        Lake.from_uri(str(self.root)).write_bytes(self.index_path.name, index_bytes(index))

    def _append_log(self, events: list[dict[str, Any]]) -> None:
        with open(self.log_path, "ab") as log:
            log.write(log_bytes(events))
            log.flush()
            os.fsync(log.fileno())

    def _problem(self, entry: Mapping[str, Any]) -> str | None:
        return bundle_problem(self.lake_uri, entry) if self.verify else None

    def _now(self) -> str:
        return self._clock().isoformat(timespec="milliseconds")

    def _move(self, index: dict[str, Any], events: list[dict[str, Any]], version: str, to_stage: str, *,
              action: str, actor: str, reason: str, **details: Any) -> None:
        entry = entry_of(index, version)
        events.append(event(self._now(), action, version, entry["stage"], to_stage, actor, reason, **details))
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
            version = next_version_of(index)
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
            events.append(event(now, "register", version, None, CHALLENGER, actor, f"registered {bundle_uri}"))
        return version

    def promote(self, version: str, reason: str, *, actor: str = "pipeline") -> None:
        """Make `version` Production unconditionally (an operator's decision); the old one is Archived."""
        with self._change() as (index, events):
            stage = entry_of(index, version)["stage"]
            if stage not in (CHALLENGER, ARCHIVED):
                raise ValueError(f"{version} is {stage}; only a Challenger or Archived version can be promoted")
            problem = self._problem(entry_of(index, version))
            if problem:
                raise ValueError(f"{version} cannot be promoted: {problem}")
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
            entry = entry_of(index, version)
            if entry["stage"] != CHALLENGER:
                raise ValueError(f"{version} is {entry['stage']}; only a Challenger can be promoted on merit")
            candidate = metric_of(entry, metric, version)
            current = index["production"]
            source = None
            if current is not None and production_value is None:
                production_value, source = metric_of(entry_of(index, current), metric, current), "stored"
            elif current is not None:
                source = "re-scored"
            problem = self._problem(entry)
            gates = [*gates_failed, *([f"bundle cannot serve: {problem}"] if problem else [])]
            decision = decide_promotion(version, candidate, current, production_value, source, metric,
                                        tolerance, gates)
            promoted, reason = decision.promoted, decision.reason
            entry["promotion"] = {**decision.to_dict(), "decided_at": self._now()}
            if promoted:
                self._make_production(index, events, version, action="promote", actor=actor, reason=reason,
                                      comparison=decision.to_dict())
            else:
                events.append(event(self._now(), "promotion_refused", version, CHALLENGER, CHALLENGER, actor, reason,
                                    comparison=decision.to_dict()))
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
            # Back to the last version that served and still can: skip versions rejected since they
            # served, and versions whose bundle no longer loads (named in the log).
            skipped = []
            while history:
                entry = entry_of(index, history[-1])
                problem = None if entry["stage"] != ARCHIVED else self._problem(entry)
                if entry["stage"] == ARCHIVED and problem is None:
                    break
                if problem:
                    skipped.append(f"{history[-1]} ({problem})")
                history.pop()
            if not history:
                raise ValueError(f"no earlier Production version to roll back to from {current}"
                                 + (f"; skipped {'; '.join(skipped)}" if skipped else ""))
            previous = history[-1]
            if skipped:
                reason = f"{reason} [skipped {'; '.join(skipped)}]"
            self._move(index, events, current, ARCHIVED, action="rollback", actor=actor, reason=reason)
            self._move(index, events, previous, PRODUCTION, action="rollback", actor=actor, reason=reason)
            index["production"] = previous
        return previous

    def reject(self, version: str, reason: str, *, actor: str = "pipeline") -> None:
        with self._change() as (index, events):
            stage = entry_of(index, version)["stage"]
            if stage == PRODUCTION:
                raise ValueError(f"{version} is Production; roll back or promote another version first")
            if stage == REJECTED:
                raise ValueError(f"{version} is already Rejected")
            self._move(index, events, version, REJECTED, action="reject", actor=actor, reason=reason)


