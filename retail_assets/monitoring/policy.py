"""The retrain and rollback policy of the weekly loop, over one measured week (docs/monitoring.md).

After a week is scored, measured and checked for drift:
- rollback: Production's accuracy on the week is below the floor and the version that served
  before it does better on that same week (re-scored); done through the registry, with the reason;
- retrain: the quality or the drift check failed, or `retrain_every_weeks` weeks were scored since
  Production was trained (its last validation week), or someone asked for it;
- none otherwise. A retrained challenger is promoted by the registry's own rule (not worse than
  Production re-scored on the newest weeks, the validation weeks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from retail_assets.registry.base import ARCHIVED, PRODUCTION, ModelRegistry

NONE, RETRAIN, ROLLBACK = "none", "retrain", "rollback"
POLICY_ACTOR = "weekly-policy"


@dataclass(frozen=True)
class WeekMeasure:
    week: int
    model_version: str
    accuracy: float
    macro_f1: float
    drifted: bool
    drift_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    action: str  # none | retrain | rollback
    reason: str
    rolled_back_to: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def previous_production(log: Sequence[Mapping[str, Any]], versions: Mapping[str, Mapping[str, Any]],
                        current: str) -> str | None:
    """The version that served before `current` and could serve again (Archived), from the registry log:
    each promotion pushes a version, each rollback pops back."""
    stack: list[str] = []
    for event in log:
        if event.get("to_stage") != PRODUCTION:
            continue
        if event.get("action") == "rollback":
            while stack and stack[-1] != event["version"]:
                stack.pop()
            if not stack:
                stack.append(str(event["version"]))
        else:
            stack.append(str(event["version"]))
    earlier = [v for v in stack if v != current]
    for version in reversed(earlier):
        if versions.get(version, {}).get("stage") == ARCHIVED:
            return version
    return None


def weeks_scored_since_training(scored_weeks: Sequence[int], last_trained_week: int | None) -> int:
    return sum(1 for w in scored_weeks if last_trained_week is None or w > last_trained_week)


def decide(measure: WeekMeasure, *, floor: float, retrain_every_weeks: int, weeks_since_training: int,
           previous: str | None, previous_accuracy: Callable[[str], float], on_demand: bool = False) -> Decision:
    """What to do after `measure`: rollback, retrain or none, and why (see the module's docstring)."""
    if measure.accuracy < floor and previous is not None:
        theirs = previous_accuracy(previous)
        if theirs > measure.accuracy:
            return Decision(ROLLBACK, f"week {measure.week}: {measure.model_version} accuracy {measure.accuracy:.4f} "
                                      f"< floor {floor}, and {previous} scores {theirs:.4f} on the same week",
                            rolled_back_to=previous)
    reasons = []
    if measure.accuracy < floor:
        reasons.append(f"accuracy {measure.accuracy:.4f} < floor {floor}")
    if measure.drifted:
        reasons.append("drift: " + "; ".join(measure.drift_reasons))
    if retrain_every_weeks > 0 and weeks_since_training >= retrain_every_weeks:
        reasons.append(f"{weeks_since_training} weeks scored since training (every {retrain_every_weeks})")
    if on_demand:
        reasons.append("asked for")
    if reasons:
        return Decision(RETRAIN, f"week {measure.week}: " + "; ".join(reasons))
    return Decision(NONE, f"week {measure.week}: accuracy {measure.accuracy:.4f} >= floor {floor}, no drift")


def roll_back(registry: ModelRegistry, decision: Decision) -> str:
    """Carry out a rollback decision through the registry (its log records the reason)."""
    if decision.action != ROLLBACK or decision.rolled_back_to is None:
        raise ValueError(f"not a rollback decision: {decision}")
    restored = registry.rollback(f"automatic: {decision.reason}", actor=POLICY_ACTOR)
    if restored != decision.rolled_back_to:
        raise RuntimeError(f"the registry rolled back to {restored}, not {decision.rolled_back_to} as judged")
    return restored


def measure_of(lake: Any, shop_week: int) -> WeekMeasure:
    """The week's measure from what monitoring wrote in the lake (quality.json, drift.json)."""
    import json

    from retail_assets.contract.lake_keys import drift_key, weekly_quality_key

    for key in (weekly_quality_key(shop_week), drift_key(shop_week, "drift.json")):
        if not lake.exists(key):
            raise FileNotFoundError(f"week {shop_week} is not measured yet: {lake.uri_of(key)} is missing")
    quality = json.loads(lake.read_bytes(weekly_quality_key(shop_week)))
    drift = json.loads(lake.read_bytes(drift_key(shop_week, "drift.json")))
    return WeekMeasure(week=shop_week, model_version=quality["model_version"], accuracy=float(quality["accuracy"]),
                       macro_f1=float(quality["macro_f1"]), drifted=bool(drift["drifted"]),
                       drift_reasons=tuple(drift["reasons"]))


def judge_week(lake: Any, lake_uri: str, registry: ModelRegistry, shop_week: int, *, floor: float,
               retrain_every_weeks: int, scored_weeks: Sequence[int], on_demand: bool = False) -> Decision:
    """The decision for a measured week, Production's predecessor re-scored on it when the floor is missed;
    a rollback is carried out here (through the registry), a retrain is left to the caller to launch."""
    from retail_assets.contract.bundle import load_bundle
    from retail_assets.monitoring.quality import accuracy_on_week
    from retail_assets.registry.base import bundle_location

    measure = measure_of(lake, shop_week)
    current = registry.production()
    if current != measure.model_version:  # Production changed since the week was scored: judge nothing twice
        return Decision(NONE, f"week {shop_week} was scored by {measure.model_version}, Production is now {current}")
    entry = registry.get(current)
    trained = [int(w) for w in (entry.get("lineage") or {}).get("validation_weeks") or []]
    bundle = load_bundle(bundle_location(lake_uri, entry))
    trained = trained or [int(w) for w in bundle.lineage.get("validation_weeks") or []]
    since = weeks_scored_since_training(scored_weeks, max(trained) if trained else None)
    previous = previous_production(registry.read_log(), registry.list_versions(), current)

    def previous_accuracy(version: str) -> float:
        return accuracy_on_week(load_bundle(bundle_location(lake_uri, registry.get(version))), lake, shop_week)

    decision = decide(measure, floor=floor, retrain_every_weeks=retrain_every_weeks, weeks_since_training=since,
                      previous=previous, previous_accuracy=previous_accuracy, on_demand=on_demand)
    if decision.action == ROLLBACK:
        roll_back(registry, decision)
    return decision
