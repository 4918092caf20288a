"""weekly_policy: after a week is measured (weekly_quality and drift written), apply the retrain and
rollback policy (retail_assets.monitoring.policy) to it, once, in week order.

A rollback goes through the registry at once (its log says why); a retrain is a build_and_train
run requested with the reason in its tags. `retail replay` applies the same policy to the same files.
"""

import json

import dagster as dg

from retail_assets.contract.lake_keys import drift_key
from retail_assets.defs.jobs import build_and_train_job
from retail_assets.defs.ml.resources import MlConfig, RegistryResource
from retail_assets.defs.monitoring.assets import quality_series
from retail_assets.monitoring.policy import RETRAIN, judge_week
from retail_assets.resources import LakeResource


@dg.sensor(
    name="weekly_policy",
    job=build_and_train_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Per measured week: roll Production back when it misses the floor and its predecessor does "
                "better on the week; retrain when a monitoring check fails or every retrain_every_weeks weeks.",
)
def weekly_policy(context: dg.SensorEvaluationContext, lake: LakeResource, registry: RegistryResource,
                  ml_config: MlConfig):
    store = lake.get()
    handled = int(json.loads(context.cursor)["last_week"]) if context.cursor else 0
    series = [p["week"] for p in quality_series(store)]
    pending = [w for w in series if w > handled and store.exists(drift_key(w, "drift.json"))]
    if not pending:
        return dg.SkipReason(f"no measured week after {handled or 'none'}")
    requests = []
    judged = handled
    for week in pending:
        decision = judge_week(store, lake.uri, registry.registry(), week, floor=ml_config.quality_floor,
                              retrain_every_weeks=ml_config.retrain_every_weeks,
                              scored_weeks=[w for w in series if w <= week])
        context.log.info(f"{decision.action}: {decision.reason}")
        judged = week
        if decision.action == RETRAIN:
            requests.append(dg.RunRequest(run_key=f"retrain-after-{week}",
                                          tags={"retail/retrain_reason": decision.reason[:250]}))
            break  # the new model's clock starts again: later weeks are judged after it
    context.update_cursor(json.dumps({"last_week": judged}))
    return requests or dg.SkipReason(f"weeks {pending[0]}..{judged}: no retrain asked for")
