"""schemathesis over the API's own OpenAPI schema, against a real server (uvicorn subprocess):
examples generated from every operation's schema, valid and invalid, must never get a 5xx and
every answer must conform to the schema (status codes, content types, response bodies)."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from bundles import write_bundle, write_index
from hypothesis import HealthCheck, given, settings
from live_server import LiveServer
from schemathesis.generation import GenerationMode

MAX_EXAMPLES = 30  # per operation: bounded, so the suite stays fast


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory, model_bytes: bytes):
    root: Path = tmp_path_factory.mktemp("fuzz")
    bundle = write_bundle(root / "models" / "v0001", "v0001", model=model_bytes)
    index = write_index(root / "lake" / "retail" / "artifacts" / "registry" / "index.json", "v0001", {"v0001": bundle})
    server = LiveServer({"RETAIL_REGISTRY_URI": str(index), "RETAIL_MAX_BASKETS_PER_REQUEST": "50",
                         "RETAIL_LOG_LEVEL": "warning"})
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


OPERATIONS = [("POST", "/predict"), ("GET", "/products"), ("GET", "/model"), ("GET", "/ready"),
              ("GET", "/health"), ("GET", "/samples"), ("GET", "/metrics")]


@pytest.fixture(scope="module")
def api_schema(fuzz_server):
    return schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json")


def test_every_operation_is_fuzzed(api_schema) -> None:
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


# Valid input for every operation; invalid input for those that take any.
CASES = [(*op, "positive") for op in OPERATIONS] + [("POST", "/predict", "negative"), ("GET", "/products", "negative")]


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_api_conforms_to_its_schema_and_never_errs(api_schema, fuzz_server, method: str, path: str,
                                                   mode: str) -> None:

    operation = api_schema[path][method]
    generation = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
    calls = []

    @given(case=operation.as_strategy(generation_mode=generation))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck),
              database=None)
    def check(case) -> None:
        response = case.call_and_validate(base_url=fuzz_server.url)
        calls.append(response.status_code)
        assert response.status_code < 500, response.text

    check()
    assert calls, "no request was made"
