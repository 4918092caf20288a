"""The page in a real browser: headless Chromium fills the form, submits it, and the answer shown
is the API's own answer for that basket."""

from __future__ import annotations

import math
from pathlib import Path

import httpx
import pytest
from page_driver import browser_missing, docs_operations, drive

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))


def test_page_composes_a_basket_and_shows_the_answer(live_server, tmp_path: Path) -> None:
    screenshot = tmp_path / "page.png"
    shown = drive(live_server.url, screenshot, prod_code="PRD0000003")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 10_000

    # The same basket, sent by hand: the page must show exactly what the API answers.
    basket = {"basket_id": "page", "store_format": "MS", "store_region": "W01", "shop_weekday": 6, "shop_hour": 11,
              "lines": [{"prod_code": "PRD0000003", "quantity": 2, "spend": 3.1},
                        {"prod_code": "PRD9999999", "quantity": 1, "spend": 1.0}]}
    answer = httpx.post(f"{live_server.url}/predict", json=basket).json()
    expected = answer["predictions"][0]
    assert shown["label"] == expected["label"]
    assert set(shown["probabilities"]) == {"LA", "MM", "UM"}
    for name, value in expected["probabilities"].items():
        assert math.isclose(shown["probabilities"][name], value, abs_tol=6e-4)
    assert shown["counts"].startswith("2 lines: 1 with a product the model has no statistics for")
    assert "v0001" in shown["provenance"] and answer["bundle_id"] in shown["provenance"]
    assert "200607..200609" in shown["provenance"]


def test_page_loads_a_real_sample_basket(live_server, tmp_path: Path) -> None:
    shown = drive(live_server.url, tmp_path / "sample.png", sample=True)
    assert shown["label"] in {"LA", "MM", "UM", "XX"}
    assert shown["sample_note"].startswith("basket ")
    assert math.isclose(sum(shown["probabilities"].values()), 1.0, abs_tol=2e-3)


def test_docs_render_the_api_from_the_apps_own_assets(live_server) -> None:
    """Swagger UI (served by the app, no CDN) renders every operation of the OpenAPI 3.1 schema."""
    paths = docs_operations(live_server.url)
    assert {"/predict", "/model", "/ready", "/health", "/metrics", "/products", "/samples"} <= set(paths)
