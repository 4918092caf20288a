"""What the gates and the registry must show, through the real Dagster job and the real API.

The ml part of the `build_and_train` job runs on a generated training table written where
the feature store keeps it (dbt is left out: it is not what these tests are about, and it is
most of a full run's time). A model trained on shuffled labels fails the blocking gates,
and nothing is exported, registered or promoted; two good versions, a rollback through
`retail registry rollback`, and the API answers with the earlier version.
"""

import json
import time

import dagster as dg
import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from retail_assets.contract.lake import Lake
from retail_assets.pipeline import QUIET, RunReport, _collect

ML_ASSETS = [dg.AssetKey(["ml", name]) for name in ("candidates", "model", "onnx_model", "registered_model")]
TRAINING_TABLE = "retail/features/training_table.parquet"
ONLINE_TABLE = "retail/features/online_product_features.parquet"
REGISTRY = "retail/artifacts/registry"


@pytest.fixture(scope="module")
def ml_home(tmp_path_factory, products, instance_of):
    from retail_assets.definitions import build_definitions
    from retail_assets.settings import settings_for_home

    settings = settings_for_home(tmp_path_factory.mktemp("gates") / "home")
    lake = Lake.from_uri(settings.lake_uri)
    lake.write_parquet(ONLINE_TABLE, products)
    return {"settings": settings, "defs": build_definitions(settings), "lake": lake,
            "instance": instance_of(settings)}


# Small models: the flow is under test here, not the models (test_ml_training covers them).
SMALL = {"random_forest": {"n_estimators": 30, "max_depth": 8, "n_jobs": 1},
         "xgboost": {"n_estimators": 60, "max_depth": 4, "n_jobs": 1}}


def run_ml(ml_home, frame) -> tuple[dg.ExecuteInProcessResult, RunReport]:
    ml_home["lake"].write_parquet(TRAINING_TABLE, pa.Table.from_pandas(frame, preserve_index=False))
    job = ml_home["defs"].resolve_job_def("build_and_train")
    run_config = {**QUIET, "resources": {"ml_config": {"config": {"hyperparameters_json": json.dumps(SMALL)}}}}
    result = job.execute_in_process(instance=ml_home["instance"], asset_selection=ML_ASSETS,
                                    raise_on_error=False, run_config=run_config)
    report = RunReport()
    _collect(result, report, "build_and_train")  # what `retail run` prints
    return result, report


@pytest.fixture(scope="module")
def first_version(ml_home, basket_factory):
    result, report = run_ml(ml_home, basket_factory(n=1500, seed=21))
    assert result.success and report.ok, report.failed_checks + report.failed_steps
    return report.materializations["ml/registered_model"]


def _registry_files(lake):
    return {name: lake.read_bytes(f"{REGISTRY}/{name}") for name in ("index.json", "log.jsonl")}


def test_a_shuffled_label_model_is_not_exported_registered_or_promoted(ml_home, first_version, basket_factory):
    assert first_version["stage"] == "Production"
    lake = ml_home["lake"]
    before = _registry_files(lake)
    models_before = {i.path for i in lake.list_files("retail/artifacts/models")}
    shuffled = basket_factory(n=1500, seed=22)
    shuffled["label"] = np.random.default_rng(3).permutation(shuffled["label"].to_numpy())

    result, report = run_ml(ml_home, shuffled)

    materialized = {e.event_specific_data.materialization.asset_key for e in result.all_events
                    if e.event_type_value == "ASSET_MATERIALIZATION"}
    assert dg.AssetKey(["ml", "model"]) in materialized  # trained and evaluated, so the reason can be read
    assert dg.AssetKey(["ml", "onnx_model"]) not in materialized
    assert dg.AssetKey(["ml", "registered_model"]) not in materialized
    assert _registry_files(lake) == before  # no version, no stage change, no log line
    assert {i.path for i in lake.list_files("retail/artifacts/models")} == models_before

    checks = {e.event_specific_data.check_name: e.event_specific_data for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    gates = checks["quality_gates"]
    assert not gates.passed
    description = gates.description
    assert description.startswith("FAILED: accuracy ") and "below the gate 0.7500" in description
    assert "macro_f1" in description and "precision of " in description
    assert gates.metadata["accuracy"].value < 0.75 and gates.metadata["accuracy/minimum"].value == 0.75
    assert "onnx_parity_check" not in checks  # never ran: nothing was exported
    assert any("quality_gates failed" in line for line in report.failed_checks)
    assert not report.ok


def test_rollback_end_to_end_the_api_answers_with_the_earlier_version(ml_home, first_version, basket_factory, capsys):
    from retail_assets.cli import main as retail
    from serving.app import create_app
    from serving.settings import ServingSettings

    home = str(ml_home["settings"].home)
    earlier = first_version["version"]
    result, report = run_ml(ml_home, basket_factory(n=1500, seed=21))  # the same data: a model not worse
    assert result.success, report.failed_checks + report.failed_steps
    later = report.materializations["ml/registered_model"]
    assert later["stage"] == "Production" and later["version"] != earlier

    basket = {"basket_id": "b1", "store_format": "LS", "store_region": "E02", "shop_weekday": 3, "shop_hour": 18,
              "lines": [{"prod_code": "PRD0900001", "quantity": 1, "spend": 0.93}]}
    with TestClient(create_app(ServingSettings(home=home, reload_seconds=0.05))) as client:
        answer = client.post("/predict", json=basket).json()
        assert (answer["model_version"], answer["bundle_id"]) == (later["version"], later["bundle_id"])

        assert retail(["registry", "--home", home, "rollback", "--reason", "test: roll back"]) == 0
        assert f'"production": "{earlier}"' in capsys.readouterr().out
        deadline = time.monotonic() + 10
        while client.post("/predict", json=basket).json()["model_version"] != earlier:
            assert time.monotonic() < deadline, "the API did not pick up the rollback"
            time.sleep(0.05)
        answer = client.post("/predict", json=basket).json()
        assert answer["bundle_id"] == first_version["bundle_id"]

    assert retail(["registry", "--home", home, "list"]) == 0
    listing = capsys.readouterr().out
    assert f"* {earlier}  Production" in listing and f"  {later['version']}  Archived" in listing
    from retail_assets.registry.local import LocalRegistry

    log = LocalRegistry(ml_home["lake"].path(REGISTRY)).read_log()
    assert [(e["action"], e["version"], e["to_stage"], e["actor"]) for e in log[-2:]] == [
        ("rollback", later["version"], "Archived", "cli"), ("rollback", earlier, "Production", "cli")]
    assert log[-1]["reason"] == "test: roll back"
