"""The weekly loop end to end on generated weeks, through `retail run` then `retail replay --json`.

A home is trained on five weeks; later weeks are replayed one at a time. They prove: a line per
week whose accuracy is measured on labels the scoring never saw (the scores hold no label, and
the figure equals one recomputed from the week's file); an injected bad Production model is
rolled back automatically on the next week, with the reason in the registry log; a week with
drift injected fails the drift check and asks for a retrain.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from retail_assets.cli import main
from retail_assets.contract.lake import Lake
from retail_assets.contract.lake_keys import drift_key, weekly_quality_key, weekly_scores_key
from retail_assets.replay import JSON_KEYS

FIRST, REST = range(200607, 200612), (200612, 200613, 200614, 200615)


def _replay(home: Path, folder: Path, capsys) -> list[dict]:
    capsys.readouterr()
    code = main(["replay", "--landing", str(folder), "--home", str(home), "--json"])
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines() if line.strip()]
    assert code == 0, captured.err
    assert "trend " in captured.err and "trend.png" in captured.err
    return lines


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    from retail_assets.sample import write_sample_weeks

    root = tmp_path_factory.mktemp("loop")
    paths = write_sample_weeks(root / "all", weeks=9, seed=11, baskets_per_week=250)
    by_week = {int(p.name[13:19]): p for p in paths}
    (root / "first").mkdir()
    for week in FIRST:
        (root / "first" / by_week[week].name).write_bytes(by_week[week].read_bytes())
    home = root / "home"
    assert main(["run", "--landing", str(root / "first"), "--home", str(home)]) == 0
    return {"root": root, "home": home, "weeks": by_week, "lake": Lake.from_uri(str(home / "lake"))}


def _one_week(loop, week: int, data: bytes | None = None) -> Path:
    folder = loop["root"] / f"week-{week}"
    folder.mkdir()
    (folder / loop["weeks"][week].name).write_bytes(data if data is not None else loop["weeks"][week].read_bytes())
    return folder


def _labels_from_file(path: Path) -> dict[int, str]:
    with open(path, newline="") as f:
        return {int(row["BASKET_ID"]): row["BASKET_PRICE_SENSITIVITY"] for row in csv.DictReader(f)}


def test_replay_scores_each_week_on_labels_the_scoring_did_not_see(loop, capsys):
    folder = loop["root"] / "two"
    folder.mkdir()
    for week in REST[:2]:
        (folder / loop["weeks"][week].name).write_bytes(loop["weeks"][week].read_bytes())
    lines = _replay(loop["home"], folder, capsys)
    assert [line["week"] for line in lines] == list(REST[:2])  # one line per week, in week order
    for line in lines:
        assert tuple(line) == JSON_KEYS
        assert line["model_version"] == "v0001" and line["action"] == "none"
        assert line["snapshot_week"] == line["week"] and line["baskets"] == 250
        scores = pq.read_table(loop["lake"].path(weekly_scores_key(line["week"])))
        assert not {"label", "BASKET_PRICE_SENSITIVITY"} & set(scores.column_names)
        labels = _labels_from_file(loop["weeks"][line["week"]])
        truth = np.array([labels[b] for b in scores.column("basket_id").to_pylist()])
        predicted = np.array(scores.column("predicted_label").to_pylist())
        lamu = truth != "XX"
        assert line["accuracy"] == pytest.approx(float((truth[lamu] == predicted[lamu]).mean()))
        assert 0.5 < line["accuracy"] <= 1.0
        quality = json.loads(loop["lake"].read_bytes(weekly_quality_key(line["week"])))
        assert set(quality["segments"]) == {"store_format", "store_region"}
        assert sum(v["baskets"] for v in quality["segments"]["store_format"].values()) == quality["baskets"]
    # v0001 never trained or validated on the replayed weeks.
    bundle = json.loads((loop["home"] / "lake/retail/artifacts/models/v0001/bundle.json").read_text())
    seen = {int(w) for w in (*bundle["lineage"]["train_weeks"], *bundle["lineage"]["validation_weeks"])}
    assert not seen & set(REST)


def _inject_bad_model(lake: Lake) -> str:
    """A version trained on swapped labels (LA <-> UM), promoted to Production by hand."""
    from retail_assets.contract.bundle_format import (
        DRIFT_REFERENCE_FILE,
        bundle_files,
        read_verified_files,
        write_bundle,
    )
    from retail_assets.contract.features import default_spec
    from retail_assets.contract.lake_keys import ONLINE_PRODUCT_FEATURES, TRAINING_TABLE, bundle_key, lake_uri_of
    from retail_assets.ml.config import TrainingConfig
    from retail_assets.ml.export import export_onnx
    from retail_assets.ml.training import build_candidate, encode_labels, model_input_frame
    from retail_assets.registry import open_registry

    spec = default_spec()
    frame = lake.read_parquet(TRAINING_TABLE).to_pandas()
    frame = frame[frame["label"].isin(["LA", "MM", "UM"])]
    swapped = frame["label"].map({"LA": "UM", "MM": "MM", "UM": "LA"})
    model = build_candidate("decision_tree", TrainingConfig(hyperparameters={"decision_tree": {"max_depth": 4}}), spec)
    model.fit(model_input_frame(frame, spec), encode_labels(swapped))
    registry = open_registry("local", lake.uri)
    reference = json.loads(read_verified_files(lake_uri_of(lake.uri, bundle_key("v0001")))[0][DRIFT_REFERENCE_FILE])
    version = registry.next_version()
    files, info = bundle_files(version, "decision_tree", export_onnx(model, spec), spec,
                               lake.read_parquet(ONLINE_PRODUCT_FEATURES), {"accuracy": 0.2, "macro_f1": 0.2},
                               {"train_weeks": list(FIRST), "validation_weeks": [FIRST[-1]]},
                               drift_reference=reference)
    write_bundle(lake_uri_of(lake.uri, bundle_key(version)), files)
    registered = registry.register(bundle_key(version), info, {"accuracy": 0.2, "macro_f1": 0.2})
    registry.promote(registered, "injected by the test: a model trained on swapped labels", actor="test")
    return registered


def test_an_injected_bad_model_is_rolled_back_on_the_next_week(loop, capsys):
    bad = _inject_bad_model(loop["lake"])
    assert bad == "v0002"
    [line] = _replay(loop["home"], _one_week(loop, REST[2]), capsys)
    assert line["model_version"] == bad  # the bad model scored the week ...
    assert line["accuracy"] < 0.75
    assert line["action"] == "rollback"  # ... and was rolled back for it
    from retail_assets.registry import open_registry

    registry = open_registry("local", loop["lake"].uri)
    assert registry.production() == "v0001"
    rollbacks = [e for e in registry.read_log() if e["action"] == "rollback"]
    assert {e["version"] for e in rollbacks} == {"v0001", "v0002"}
    assert all(e["actor"] == "weekly-policy" for e in rollbacks)
    assert "v0002 accuracy" in rollbacks[-1]["reason"] and "v0001 scores" in rollbacks[-1]["reason"]


def test_drift_injected_into_a_week_fails_the_drift_check_and_asks_for_a_retrain(loop, capsys):
    week = REST[3]
    with open(loop["weeks"][week], newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:  # prices up eightfold, everything bought at 3 am in large stores
        row["SPEND"] = f"{float(row['SPEND']) * 8:.2f}"
        row["SHOP_HOUR"] = "3"
        row["STORE_FORMAT"] = "XLS"
    out = loop["root"] / "drifted.csv"
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    from retail_assets.definitions import build_definitions
    from retail_assets.replay import replay
    from retail_assets.settings import settings_for_home

    settings = settings_for_home(loop["home"])
    [line] = replay(_one_week(loop, week, out.read_bytes()), settings, build_definitions(settings)).lines
    report = json.loads(loop["lake"].read_bytes(drift_key(week, "drift.json")))
    assert report["drifted"]
    assert {"total_spend", "shop_hour", "store_format"} <= set(report["drifted_features"])
    assert "monitoring/drift:no_drift" in line.failed_checks  # the blocking check failed ...
    assert line.drift == pytest.approx(report["max_feature_psi"]) and line.drift > 0.25
    assert line.action in ("retrain", "promote") and "drift:" in line.reason  # ... and asked for a retrain
    assert "DRIFT" in (loop["home"] / "lake" / drift_key(week, "report.html")).read_text()
