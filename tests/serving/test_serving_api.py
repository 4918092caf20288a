from __future__ import annotations

import hashlib
import json
import math
import re

import pytest
from bundles import basket, product_table_bytes

from serving.app import create_app
from serving.settings import ServingSettings


def assert_prediction(answer: dict, n: int) -> None:
    assert answer["model_version"] == "v0001" and len(answer["bundle_id"]) == 64
    assert answer["model_name"] == "logistic_regression"
    assert answer["training_weeks"] == {"first": 200607, "last": 200609, "n": 3}
    snapshot = answer["product_snapshot"]
    assert snapshot["as_of_week"] == 200610 and snapshot["n_products"] == 4
    assert snapshot["sha256"] == hashlib.sha256(product_table_bytes()).hexdigest()
    assert len(answer["predictions"]) == n
    for p in answer["predictions"]:
        probs = p["probabilities"]
        assert list(probs) == ["LA", "MM", "UM"]
        assert math.isclose(sum(probs.values()), 1.0, rel_tol=1e-5)
        assert p["label"] == max(probs, key=probs.get)
        assert 0 <= p["unknown_product_lines"] <= p["n_lines"] and 0 <= p["unclassed_lines"] <= p["n_lines"]


def test_predict_one_basket(client) -> None:
    response = client.post("/predict", json=basket())
    assert response.status_code == 200, response.text
    answer = response.json()
    assert_prediction(answer, 1)
    assert answer["predictions"][0]["basket_id"] == 994100100398294
    # The body is encoded by hand on the hot path: it must still be exactly the declared model.
    from serving.schemas import PredictResponse

    assert PredictResponse.model_validate(answer).model_dump(mode="json") == answer


def test_predict_batch_keeps_order_and_ids(client) -> None:
    baskets = [basket(1, basket_id=1), basket(4, basket_id="b-2", cust_lifestage=None),
               basket(2, basket_id=None, store_region="W03", store_format="SS")]
    response = client.post("/predict", json={"baskets": baskets})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert_prediction(answer, 3)
    assert [p["basket_id"] for p in answer["predictions"]] == [1, "b-2", None]
    assert [p["n_lines"] for p in answer["predictions"]] == [1, 4, 2]
    # A basket's answer does not depend on its batch.
    single = client.post("/predict", json=baskets[1]).json()["predictions"][0]
    in_batch = answer["predictions"][1]
    assert single["label"] == in_batch["label"]
    for k, v in single["probabilities"].items():
        assert math.isclose(v, in_batch["probabilities"][k], rel_tol=1e-5, abs_tol=1e-7)


def raw(client, body: bytes | str, content_type: str = "application/json"):
    return client.post("/predict", content=body, headers={"content-type": content_type})


NAN_BODY = json.dumps(basket(1)).replace('"spend": 1.25', '"spend": NaN')


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in basket().items() if k != "lines"}, "body.lines"),
        (basket(lines=[]), "body.lines"),
        (basket(lines=None), "body.lines"),
        (basket(shop_weekday="3"), "body.shop_weekday"),
        (basket(shop_weekday=8), "body.shop_weekday"),
        (basket(shop_hour=-1), "body.shop_hour"),
        (basket(shop_hour=True), "body.shop_hour"),
        (basket(store_format=None), "body.store_format"),
        (basket(store_region=12), "body.store_region"),
        (basket(cust_lifestage=["YA"]), "body.cust_lifestage"),
        (basket(lines=[{"prod_code": "PRD0000001", "quantity": 0, "spend": 1.0}]), "body.lines.0.quantity"),
        (basket(lines=[{"prod_code": "PRD0000001", "quantity": 1.5, "spend": 1.0}]), "body.lines.0.quantity"),
        (basket(lines=[{"prod_code": "PRD0000001", "quantity": 10**30, "spend": 1.0}]), "body.lines.0.quantity"),
        (basket(lines=[{"prod_code": "PRD0000001", "quantity": 1, "spend": -0.01}]), "body.lines.0.spend"),
        (basket(lines=[{"prod_code": "PRD0000001", "quantity": 1, "spend": 1e308}]), "body.lines.0.spend"),
        (basket(lines=[{"prod_code": "PRD0000001", "quantity": 1, "spend": "1"}]), "body.lines.0.spend"),
        (basket(lines=[{"prod_code": "", "quantity": 1, "spend": 1.0}]), "body.lines.0.prod_code"),
        (basket(lines=[{"quantity": 1, "spend": 1.0}]), "body.lines.0.prod_code"),
        (basket(lines=[None]), "body.lines.0"),
        (basket(basket_id=-5), "body.basket_id"),
        ({"baskets": []}, "body.baskets"),
        ({"baskets": None}, "body.baskets"),
        ({"baskets": [basket(), basket(lines=[{"prod_code": "P", "quantity": 1, "spend": None}])]},
         "body.baskets.1.lines.0.spend"),
        ({"baskets": [basket()] * 6}, "body.baskets"),  # the configured limit is 5
        (basket(51), "body.lines"),  # the configured limit is 50 lines
        ({"baskets": [basket(), basket(51)]}, "body.baskets.1.lines"),
        ([basket()], "body"),
        (None, "body"),
        ("just a string", "body"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, body, field: str) -> None:
    response = client.post("/predict", json=body)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert field in answer["message"], answer
    assert any(".".join(map(str, e["loc"])) .startswith(field) for e in answer["detail"])


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (NAN_BODY, "application/json"),
        ("{not json", "application/json"),
        ("", "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (json.dumps(basket()), "text/plain"),
        ('{"lines": [' * 5000, "application/json"),
    ],
    ids=["nan", "broken-json", "empty", "binary", "text-plain", "deep-nesting"],
)
def test_non_json_or_invalid_json_is_a_4xx(client, body, content_type: str) -> None:
    response = raw(client, body, content_type)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]


def test_nan_names_the_field(client) -> None:
    response = raw(client, NAN_BODY)
    assert "body.lines.0.spend" in response.json()["message"]


def test_oversized_body_is_a_413(make_client, registry_index, bundle_dir) -> None:
    client = make_client(max_body_bytes=2048)
    big = {"baskets": [basket(40)] * 3}
    assert client.post("/predict", json=big).status_code == 413
    assert client.get("/health").status_code == 200


def test_unknown_products_are_answered_and_counted(client) -> None:
    """A basket of products the model has never seen is answered, and the answer says so."""
    lines = [{"prod_code": "PRD1234567", "quantity": 1, "spend": 0.0},
             {"prod_code": "PRD0000001", "quantity": 2, "spend": 2.5},  # known, 120 lines of statistics
             {"prod_code": "PRD0000002", "quantity": 1, "spend": 1.0},  # in the table, but with no lines
             {"prod_code": "PRD7654321", "quantity": 1, "spend": 1.0}]
    response = client.post("/predict", json=basket(lines=lines, cust_price_sensitivity=None))
    assert response.status_code == 200, response.text
    assert_prediction(response.json(), 1)
    p = response.json()["predictions"][0]
    assert (p["n_lines"], p["unknown_product_lines"]) == (4, 3)
    assert p["unclassed_lines"] == 4  # the test table has no single-line-basket counts: nothing is classed
    known = client.post("/predict", json=basket(lines=lines[1:2])).json()["predictions"][0]
    assert known["unknown_product_lines"] == 0


@pytest.mark.parametrize(("field", "value", "allowed"), [
    ("store_format", "BOGUS", "'LS', 'MS', 'SS' or 'XLS'"),
    ("store_region", "Z99", "'E01', 'E02'"),
    ("cust_lifestage", "ZZ", "'YA', 'OA'"),
])
def test_unknown_store_codes_are_a_422_naming_the_allowed_values(client, field, value, allowed) -> None:
    response = client.post("/predict", json=basket(**{field: value}))
    assert response.status_code == 422, response.text
    assert f"body.{field}: Input should be {allowed}" in response.json()["message"]


def test_vocabularies_are_enums_in_the_openapi_schema(client) -> None:
    from retail_assets.contract.features import CATEGORICAL_FEATURES

    schema = client.get("/openapi.json").json()["components"]["schemas"]
    props = schema["Basket"]["properties"]
    assert props["store_format"]["enum"] == list(CATEGORICAL_FEATURES["store_format"])
    assert props["store_region"]["enum"] == list(CATEGORICAL_FEATURES["store_region"])
    assert all(props[name].get("description") for name in props if name != "basket_id")
    assert schema["Prediction"]["properties"]["label"]["enum"] == ["LA", "MM", "UM", "XX"]
    examples = client.get("/openapi.json").json()["paths"]["/predict"]["post"]["requestBody"]["content"][
        "application/json"]["examples"]
    assert len(examples) >= 3
    for example in examples.values():  # every example is a request the service answers
        assert client.post("/predict", json=example["value"]).status_code == 200


def test_docs_are_served_without_a_cdn(client) -> None:
    html = client.get("/docs").text
    assert "cdn" not in html.lower() and "http://" not in html and "https://" not in html
    for asset in re.findall(r'(?:href|src)="([^"]+)"', html):
        response = client.get(asset)
        assert response.status_code == 200 and len(response.content) > 500, asset


def test_request_id_is_echoed_and_logged(client) -> None:
    import io
    import logging

    from serving.observability import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())  # the formatter the app installs on the `serving` logger
    logging.getLogger("serving").addHandler(handler)
    try:
        response = client.get("/health", headers={"X-Request-ID": "abc-123"})
        made = client.post("/predict", json=basket(), headers={"X-Request-ID": "bad id with spaces"})
    finally:
        logging.getLogger("serving").removeHandler(handler)
    assert response.headers["x-request-id"] == "abc-123"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = {entry["request_id"]: entry for entry in lines if entry["logger"] == "serving.access"}
    assert access["abc-123"]["route"] == "/health" and access["abc-123"]["status"] == 200
    predicted = access[made.headers["x-request-id"]]
    assert predicted["model_version"] == "v0001" and predicted["baskets"] == 1 and predicted["duration_ms"] > 0


def test_ops_endpoints(client) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json()["model_version"] == "v0001"
    model = client.get("/model").json()
    assert model["version"] == model["model_version"] == "v0001" and model["model_name"] == "logistic_regression"
    assert model["metrics"] == {"accuracy": 0.61, "macro_f1": 0.58}
    assert model["training_weeks"] == {"first": 200607, "last": 200609, "n": 3}
    assert model["golden"] == {"baskets": 3, "source": "tests", "tolerance": 1e-4, "matched": True}
    assert ready.json()["golden"]["matched"] is True
    assert model["loaded_at"] and model["source"] == "registry" and len(model["bundle_id"]) == 64
    schema = client.get("/openapi.json").json()
    assert "/predict" in schema["paths"] and "Basket" in schema["components"]["schemas"]


def test_not_ready_without_any_bundle(make_client) -> None:
    client = make_client()
    assert client.get("/health").status_code == 200
    ready = client.get("/ready")
    assert ready.status_code == 503 and "cannot be read" in ready.json()["reason"]
    assert client.get("/model").status_code == 503
    assert client.post("/predict", json=basket()).status_code == 503


SAMPLE = re.compile(
    r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)'
    r'(?:\{(?P<labels>[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*)\})?'
    r' (?P<value>[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|Inf|NaN))$'
)


def parse_exposition(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """A strict reader of the Prometheus text format, enough to check ours."""
    assert text.endswith("\n")
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    types: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in {"counter", "gauge", "histogram", "summary", "untyped"}
            assert name not in types, f"family {name} declared twice"
            types[name] = kind
            continue
        match = SAMPLE.match(line)
        assert match, f"not a valid sample line: {line!r}"
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', match["labels"] or ""))
        name = match["name"]
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, f"sample {name} before its # TYPE"
        samples.setdefault(name, []).append((labels, float(match["value"])))
    return samples


def test_metrics_exposition(client) -> None:
    client.post("/predict", json={"baskets": [basket(), basket(2)]})
    client.post("/predict", json=basket(lines=[]))
    client.get("/nope")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = parse_exposition(response.text)

    counts = {(s["route"], s["status"]): v for s, v in samples["retail_http_request_duration_seconds_count"]}
    assert counts[("/predict", "200")] == 1 and counts[("/predict", "422")] == 1
    assert counts[("unmatched", "404")] == 1
    errors = {s["kind"]: v for s, v in samples["retail_errors_total"]}
    assert errors["validation"] == 1 and errors["not_found"] == 1
    assert sum(v for _, v in samples["retail_predictions_total"]) == 2
    assert {s["model_version"] for s, _ in samples["retail_predictions_total"]} == {"v0001"}
    info = samples["retail_model_info"]
    assert len(info) == 1 and info[0][1] == 1
    assert info[0][0]["model_version"] == "v0001" and info[0][0]["training_weeks"] == "200607..200609"
    assert samples["retail_model_loaded"] == [({}, 1.0)]
    assert samples["retail_feature_snapshot_age_seconds"][0][1] > 0
    assert {s["result"]: v for s, v in samples["retail_model_reloads_total"]} == {"success": 1, "failure": 0}

    buckets = [(s, v) for s, v in samples["retail_http_request_duration_seconds_bucket"]
               if s["route"] == "/predict" and s["status"] == "200"]
    values = [v for _, v in buckets]
    assert values == sorted(values) and buckets[-1][0]["le"] == "+Inf" and values[-1] == 1


def test_creating_the_app_reads_no_settings(monkeypatch) -> None:
    explicit = create_app(ServingSettings(registry_uri="/nowhere/index.json"))
    assert explicit.state.settings.registry_uri == "/nowhere/index.json"
    monkeypatch.setenv("RETAIL_ONNX_THREADS", "not a number")  # would fail if read
    app = create_app()
    assert app.state.settings is None


def test_settings_defaults_and_env(monkeypatch) -> None:
    from pathlib import Path

    assert ServingSettings().registry_uri == str(Path(".retail").resolve() / "lake/retail/artifacts/registry/index.json")
    monkeypatch.setenv("RETAIL_HOME", "/srv/retail")
    monkeypatch.setenv("RETAIL_RELOAD_SECONDS", "2.5")
    settings = ServingSettings()
    assert settings.registry_uri == "/srv/retail/lake/retail/artifacts/registry/index.json"
    assert settings.reload_seconds == 2.5 and settings.onnx_threads == 1
    monkeypatch.setenv("RETAIL_REGISTRY_URI", "s3://mlops-dev-retail/retail/artifacts/registry/index.json")
    assert ServingSettings().registry_uri.startswith("s3://")


def test_serving_finds_the_registry_in_the_lake_as_the_pipeline_does(monkeypatch, tmp_path) -> None:
    """With only RETAIL_LAKE set (the image's case), serving reads the index the pipeline writes."""
    from retail_assets.contract.lake_keys import registry_index_uri
    from retail_assets.settings import RetailSettings

    monkeypatch.setenv("RETAIL_LAKE", str(tmp_path / "lake"))
    pipeline = RetailSettings()
    assert ServingSettings().registry_uri == pipeline.registry_index_uri == registry_index_uri(str(tmp_path / "lake"))
    monkeypatch.setenv("RETAIL_ENV", "aws")
    monkeypatch.setenv("RETAIL_LAKE", "s3://mlops-prod-retail")
    assert ServingSettings().registry_uri == "s3://mlops-prod-retail/retail/artifacts/registry/index.json"
    monkeypatch.delenv("RETAIL_LAKE")
    monkeypatch.setenv("RETAIL_DEPLOYMENT", "prod")
    assert ServingSettings().registry_uri == RetailSettings().registry_index_uri == \
        "s3://mlops-prod-retail/retail/artifacts/registry/index.json"


def test_xx_rule_answers_baskets_of_xx_products_only(make_client, registry_index, tmp_path, model_bytes) -> None:
    """A bundle carrying the XX rule answers XX for a basket whose every line is an XX product, and
    says the rule decided; any other basket is the model's."""
    from bundles import PRODUCTS, write_bundle, write_index

    from retail_assets.contract.features import XX_RULE

    classed = {**PRODUCTS, "n_solo_la": [4, 0, 0, 0], "n_solo_mm": [0, 0, 0, 0], "n_solo_um": [0, 0, 2, 0],
               "n_solo_xx": [0, 0, 0, 6]}
    bundle = write_bundle(tmp_path / "models" / "v0001", "v0001", model=model_bytes,
                          products=product_table_bytes(classed), rules=[XX_RULE])
    write_index(registry_index, "v0001", {"v0001": bundle})
    client = make_client()
    xx_lines = [{"prod_code": "PRD0000004", "quantity": 1, "spend": 1.0}] * 2
    mixed = [*xx_lines, {"prod_code": "PRD0000001", "quantity": 1, "spend": 2.0}]
    answer = client.post("/predict", json={"baskets": [basket(lines=xx_lines, basket_id=1),
                                                        basket(lines=mixed, basket_id=2)]})
    assert answer.status_code == 200, answer.text
    xx, other = answer.json()["predictions"]
    assert xx["label"] == "XX" and xx["rule"] == XX_RULE and xx["unclassed_lines"] == 0
    assert other["label"] in {"LA", "MM", "UM"} and other["rule"] is None
    assert math.isclose(sum(xx["probabilities"].values()), 1.0, rel_tol=1e-5)
