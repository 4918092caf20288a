"""The retrain/rollback rule on its own, and the registry log it reads the previous version from."""

from retail_assets.monitoring.policy import NONE, RETRAIN, ROLLBACK, WeekMeasure, decide, previous_production


def _measure(accuracy, drifted=False):
    return WeekMeasure(week=200620, model_version="v0002", accuracy=accuracy, macro_f1=accuracy, drifted=drifted,
                       drift_reasons=("3 of 10 features drifted",) if drifted else ())


def _decide(measure, previous="v0001", theirs=0.9, since=1, every=4, on_demand=False):
    return decide(measure, floor=0.75, retrain_every_weeks=every, weeks_since_training=since, previous=previous,
                  previous_accuracy=lambda v: theirs, on_demand=on_demand)


def test_below_the_floor_and_the_predecessor_better_rolls_back():
    decision = _decide(_measure(0.4))
    assert decision.action == ROLLBACK and decision.rolled_back_to == "v0001"
    assert "v0002 accuracy 0.4000 < floor 0.75" in decision.reason and "v0001 scores 0.9000" in decision.reason


def test_below_the_floor_with_a_worse_or_no_predecessor_retrains():
    assert _decide(_measure(0.6), theirs=0.5).action == RETRAIN
    assert _decide(_measure(0.6), previous=None).action == RETRAIN


def test_drift_the_calendar_and_a_request_retrain_otherwise_nothing():
    assert _decide(_measure(0.9, drifted=True)).action == RETRAIN
    assert "4 weeks scored since training" in _decide(_measure(0.9), since=4).reason
    assert _decide(_measure(0.9), since=4, every=0).action == NONE  # 0: never by the calendar
    assert _decide(_measure(0.9), on_demand=True).action == RETRAIN
    assert _decide(_measure(0.9)).action == NONE


def test_previous_production_follows_promotions_and_rollbacks():
    log = [{"action": "promote", "version": "v0001", "to_stage": "Production"},
           {"action": "archive", "version": "v0001", "to_stage": "Archived"},
           {"action": "promote", "version": "v0002", "to_stage": "Production"},
           {"action": "promote", "version": "v0003", "to_stage": "Production"}]
    stages = {"v0001": {"stage": "Archived"}, "v0002": {"stage": "Archived"}, "v0003": {"stage": "Production"}}
    assert previous_production(log, stages, "v0003") == "v0002"
    rolled = [*log, {"action": "rollback", "version": "v0002", "to_stage": "Production"}]
    stages = {**stages, "v0002": {"stage": "Production"}, "v0003": {"stage": "Archived"}}
    assert previous_production(rolled, stages, "v0002") == "v0001"  # never back to the version rolled away from
    assert previous_production(log[:1], {"v0001": {"stage": "Production"}}, "v0001") is None
