"""Which raw weeks the dbt asset passes as changed (var shop_weeks): only weeks dbt built
from other raw content than raw holds now, read from the event log."""

from __future__ import annotations

import dagster as dg

from retail_assets.defs.dbt.raw_changes import HASHES, MARKER, RAW, raw_weeks


def _raw(instance, week: int, sha: str) -> None:
    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key=RAW, partition=str(week), metadata={HASHES: sha}))


def _built(instance, covered: dict[str, str]) -> None:
    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key=MARKER, metadata={HASHES: dg.MetadataValue.json(covered)}))


def test_first_build_passes_nothing_and_covers_every_week():
    with dg.DagsterInstance.ephemeral() as instance:
        _raw(instance, 200601, "a")
        _raw(instance, 200602, "b")
        weeks = raw_weeks(instance)
        assert weeks.changed == [] and weeks.covered == {"200601": "a", "200602": "b"}


def test_only_rewritten_weeks_with_other_content_are_changed():
    with dg.DagsterInstance.ephemeral() as instance:
        for week, sha in ((200601, "a"), (200602, "b"), (200603, "c")):
            _raw(instance, week, sha)
        _built(instance, raw_weeks(instance).covered)
        _raw(instance, 200601, "a")  # the same file ingested again: nothing to redo
        _raw(instance, 200602, "b2")  # delivered again with other content
        _raw(instance, 200602, "b3")  # ... twice: the last one counts
        _raw(instance, 200604, "d")  # a new week: dbt sees that by itself
        weeks = raw_weeks(instance)
        assert weeks.changed == [200602]
        assert weeks.covered == {"200601": "a", "200602": "b3", "200603": "c", "200604": "d"}
        _built(instance, weeks.covered)
        assert raw_weeks(instance).changed == []


def test_a_build_without_recorded_hashes_redoes_every_later_raw_week():
    with dg.DagsterInstance.ephemeral() as instance:
        _raw(instance, 200601, "a")
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=MARKER))
        _raw(instance, 200601, "a2")
        assert raw_weeks(instance).changed == [200601]
