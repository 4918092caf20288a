"""The code location loads, and its asset graph is the one the architecture describes."""

from __future__ import annotations

import dagster as dg
import pytest

EXPECTED_ASSETS = {
    "gold/fct_price_sensitivity_mix",
    "reports/eda",
    "reports/business_view",
    "raw/transactions",
    "silver/transactions",
    "gold/product_weekly",
    "gold/category_weekly",
    "gold/product_features_pit",
    "gold/product_features_latest",
    "gold/fct_baskets",
    "features/training_table",
    "features/online_product_features",
    "ml/candidates",
    "ml/model",
    "ml/onnx_model",
    "ml/registered_model",
    "monitoring/weekly_scores",
    "monitoring/weekly_quality",
    "monitoring/drift",
}


@pytest.fixture(scope="module")
def defs(tmp_path_factory) -> dg.Definitions:
    from retail_assets.definitions import build_definitions
    from retail_assets.settings import settings_for_home

    return build_definitions(settings_for_home(tmp_path_factory.mktemp("home")))


def test_asset_keys_and_groups(defs):
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == EXPECTED_ASSETS
    for key in graph.get_all_asset_keys():
        assert graph.get(key).group_name == key.path[0], key  # group = layer


def test_lineage_runs_from_raw_to_the_registered_model(defs):
    graph = defs.resolve_asset_graph()
    upstream = graph.get(dg.AssetKey(["ml", "registered_model"])).parent_keys
    assert dg.AssetKey(["ml", "onnx_model"]) in upstream
    assert dg.AssetKey(["features", "online_product_features"]) in upstream
    silver_parents = graph.get(dg.AssetKey(["silver", "transactions"])).parent_keys
    assert silver_parents == {dg.AssetKey(["raw", "transactions"])}


def test_gates_are_blocking_checks(defs):
    graph = defs.resolve_asset_graph()
    checks = {k.to_user_string(): k for k in graph.asset_check_keys}
    for name in ("ml/model:quality_gates", "ml/onnx_model:onnx_parity_check",
                 "raw/transactions:rows_reconcile", "raw/transactions:schema_valid"):
        assert name in checks
        assert graph.get_check_spec(checks[name]).blocking, name
    # dbt tests surface as checks on the dbt assets
    assert "gold/fct_baskets:unique_fct_baskets_basket_id" in checks


def test_jobs_and_sensor_exist(defs):
    assert defs.resolve_job_def("ingest_week").partitions_def.name == "shop_week"
    assert defs.resolve_job_def("build_and_train")
    assert defs.resolve_sensor_def("landing_sensor")


def test_workspace_loads_with_the_dagster_cli(tmp_path):
    """What `dagster dev -w workspace.yaml` loads, validated by Dagster's own CLI."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "RETAIL_HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path / "dagster")}
    (tmp_path / "dagster").mkdir()
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run([str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
                            cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "retail_assets" in result.stdout + result.stderr


def test_the_monitoring_group_runs_per_week_and_the_models_do_not_retrain_per_file(defs):
    graph = defs.resolve_asset_graph()
    monitoring = [dg.AssetKey(["monitoring", n]) for n in ("weekly_scores", "weekly_quality", "drift")]
    for key in monitoring:
        assert graph.get(key).partitions_def.name == "shop_week", key
    assert dg.AssetKey(["gold", "product_features_pit"]) in graph.get(monitoring[0]).parent_keys
    checks = {k.to_user_string(): k for k in graph.asset_check_keys}
    for name in ("monitoring/weekly_quality:accuracy_above_floor", "monitoring/drift:no_drift"):
        assert graph.get_check_spec(checks[name]).blocking, name
    for name in ("candidates", "model", "onnx_model", "registered_model"):
        assert graph.get(dg.AssetKey(["ml", name])).automation_condition is None, name
    train = {k.to_user_string() for k in defs.resolve_job_def("build_and_train").asset_layer.selected_asset_keys}
    assert "ml/registered_model" in train and not any(k.startswith("monitoring/") for k in train)
    build = {k.to_user_string() for k in defs.resolve_job_def("weekly_build").asset_layer.selected_asset_keys}
    assert "features/online_product_features" in build and not any(k.startswith(("ml/", "monitoring/")) for k in build)
    assert defs.resolve_job_def("weekly_monitoring").partitions_def.name == "shop_week"
    assert defs.resolve_sensor_def("weekly_policy").default_status == dg.DefaultSensorStatus.RUNNING
