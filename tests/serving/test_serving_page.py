"""The page for people: its static files, the product search and sample baskets it uses."""

from __future__ import annotations

from bundles import PRODUCTS


def test_page_and_its_assets_are_served(client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for asset, kind in (("/static/app.js", "javascript"), ("/static/style.css", "text/css")):
        response = client.get(asset)
        assert response.status_code == 200 and kind in response.headers["content-type"], asset
    assert 'id="basket-form"' in page.text and "static/app.js" in page.text


def test_product_search_by_code_prefix(client) -> None:
    everything = client.get("/products").json()
    assert everything["total"] == 4 and [p["prod_code"] for p in everything["products"]] == sorted(PRODUCTS["prod_code"])
    found = client.get("/products", params={"prefix": "prd000000", "limit": 2}).json()
    assert found["total"] == 4 and len(found["products"]) == 2
    one = client.get("/products", params={"prefix": "PRD0000003"}).json()
    assert one == {"total": 1, "products": [{"prod_code": "PRD0000003", "n_lines": 45, "product_class": None}]}
    assert client.get("/products", params={"prefix": "PRD9"}).json() == {"total": 0, "products": []}
    bad = client.get("/products", params={"limit": 0})
    assert bad.status_code == 422 and "query.limit" in bad.json()["message"]


def test_samples_are_the_golden_baskets_and_predictable(client) -> None:
    samples = client.get("/samples").json()
    assert samples["source"] == "tests" and len(samples["baskets"]) == 3
    assert samples["observed_labels"] == ["UM", None, "LA"]
    answer = client.post("/predict", json={"baskets": samples["baskets"]})
    assert answer.status_code == 200 and len(answer.json()["predictions"]) == 3
