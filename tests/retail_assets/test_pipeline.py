"""The whole graph on a few tiny generated weeks, through the `retail` CLI, in a temporary home."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from retail_assets.sample import write_bad_fixture, write_sample_weeks

WEEKS = 6


def retail(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "retail_assets.cli", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    landing, home = root / "landing", root / "home"
    write_sample_weeks(landing, weeks=WEEKS, baskets_per_week=250)
    later = write_sample_weeks(root / "later", weeks=2, baskets_per_week=250, first_week=200607 + WEEKS)
    run = retail("run", "--landing", str(landing), "--home", str(home))
    return {"root": root, "landing": landing, "home": home, "later": later, "run": run}


def test_run_materializes_everything_and_prints_the_summary(built):
    run = built["run"]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = run.stdout
    assert f"weeks loaded     {WEEKS} (200607..200612)" in out
    assert "rows ingested" in out and "baskets" in out
    for name in ("logistic_regression", "decision_tree", "random_forest", "xgboost"):
        assert f"  {name}" in out
    assert "registered       v0001 -> Production" in out
    assert "prediction       basket" in out


def test_lake_layout_follows_the_architecture(built):
    lake = built["home"] / "lake" / "retail"
    weeks = sorted(p.name for p in (lake / "raw").iterdir())
    assert weeks == [f"shop_week=2006{w:02d}" for w in range(7, 7 + WEEKS)]
    assert pq.read_metadata(lake / "raw" / "shop_week=200607" / "part-0.parquet").num_rows > 0
    assert (lake / "landing" / "transactions_200607.csv").exists()
    bundle = lake / "artifacts" / "models" / "v0001"
    assert {p.name for p in bundle.iterdir()} >= {"model.onnx", "features.json", "product_features.parquet", "metrics.json", "bundle.json"}
    index = json.loads((lake / "artifacts" / "registry" / "index.json").read_text())
    assert index["production"] == "v0001"
    assert (built["home"] / "warehouse.duckdb").exists()
    assert (built["home"] / "dagster").is_dir()


def test_evaluate_on_later_weeks_prints_one_json_line(built):
    result = retail("evaluate", "--bundle", "production", "--input", *map(str, built["later"]), "--home", str(built["home"]))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    doc = json.loads(lines[0])
    assert set(doc) == {"baskets", "accuracy", "macro_f1", "per_class", "baskets_all", "accuracy_all",
                        "macro_f1_all", "per_class_all", "xx_baskets"}
    assert set(doc["per_class"]) == {"LA", "MM", "UM"}
    assert doc["baskets"] + doc["xx_baskets"] == doc["baskets_all"] == 500
    assert doc["accuracy"] >= 0.75 and doc["macro_f1"] >= 0.70  # the generated label is learnable


def test_score_writes_basket_level_predictions(built):
    out = built["root"] / "scores.parquet"
    result = retail("score", "--bundle", str(built["home"] / "lake/retail/artifacts/models/v0001"),
                    "--input", str(built["later"][0]), "--output", str(out))
    assert result.returncode == 0, result.stderr
    table = pq.read_table(out)
    assert table.column_names == ["BASKET_ID", "predicted_label", "p_LA", "p_MM", "p_UM"]
    assert table.num_rows == 250
    assert set(table.column("predicted_label").to_pylist()) <= {"LA", "MM", "UM"}


def test_api_answers_from_the_production_bundle(built):
    from serving.app import create_app
    from serving.settings import ServingSettings

    app = create_app(ServingSettings(home=str(built["home"]), reload_seconds=0))
    basket = {
        "basket_id": "b1", "store_format": "LS", "store_region": "E02", "shop_weekday": 3, "shop_hour": 18,
        "lines": [{"prod_code": "PRD0900033", "quantity": 1, "spend": 0.93}, {"prod_code": "PRD0900097", "quantity": 2, "spend": 2.06}],
    }
    with TestClient(app) as client:
        assert client.get("/ready").status_code == 200
        answer = client.post("/predict", json=basket).json()
    assert answer["model_version"] == "v0001"
    (prediction,) = answer["predictions"]
    assert prediction["label"] in {"LA", "MM", "UM"}
    assert abs(sum(prediction["probabilities"].values()) - 1) < 1e-5


def test_a_refused_file_fails_the_run_but_other_weeks_load(built, tmp_path):
    landing = tmp_path / "landing"
    write_sample_weeks(landing, weeks=1, baskets_per_week=50, first_week=200613)
    bad = write_bad_fixture("scientific_basket_ids", tmp_path / "bad")
    bad.rename(landing / "transactions_200614.csv")  # the fixture is week 200607: wrong week inside too
    result = retail("run", "--landing", str(landing), "--home", str(built["home"]))
    assert result.returncode == 1
    assert "transactions_200614.csv: BASKET_ID in scientific notation" in result.stderr
    assert (built["home"] / "lake/retail/raw/shop_week=200613/part-0.parquet").exists()
    assert not (built["home"] / "lake/retail/raw/shop_week=200614").exists()


def test_retail_serve_answers_over_real_http(built):
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "retail_assets.cli", "serve", "--home", str(built["home"]), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready in 60 s"
            assert server.poll() is None, server.stderr.read()
            time.sleep(0.3)
        assert httpx.get(f"{url}/health").status_code == 200
        basket = {"store_format": "MS", "store_region": "W01", "shop_weekday": 1, "shop_hour": 9,
                  "lines": [{"prod_code": "PRD0900790", "quantity": 3, "spend": 5.36}]}
        answer = httpx.post(f"{url}/predict", json={"baskets": [basket, basket]}).json()
        index = json.loads((built["home"] / "lake/retail/artifacts/registry/index.json").read_text())
        assert answer["model_version"] == index["production"] and len(answer["predictions"]) == 2
        bad = httpx.post(f"{url}/predict", json={"baskets": [{**basket, "lines": []}]})
        assert bad.status_code == 422 and "lines" in bad.text
    finally:
        server.terminate()
        server.wait(timeout=30)
    # `retail serve` is the server (exec), so stopping it leaves no orphan listening on the port.
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/health", timeout=2)
