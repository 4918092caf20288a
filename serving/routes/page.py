"""The page for people (GET /), what it needs (product search, sample baskets), and /docs
with Swagger UI's assets served by the app itself, so both work without internet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import swagger_ui_bundle
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from retail_assets.contract.features import PRODUCT_CLASSES
from retail_assets.contract.products import product_class
from serving.deps import BundleDep
from serving.schemas import ProductSearch

STATIC = Path(__file__).resolve().parent.parent / "static"
SWAGGER = "/static/swagger-ui"

router = APIRouter()


@router.get("/", include_in_schema=False)
def page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/docs", include_in_schema=False)
def docs(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(openapi_url=f"{root}/openapi.json", title="Retail price-sensitivity API",
                               swagger_js_url=f"{root}{SWAGGER}/swagger-ui-bundle.js",
                               swagger_css_url=f"{root}{SWAGGER}/swagger-ui.css",
                               swagger_favicon_url=f"{root}{SWAGGER}/favicon-32x32.png")


@router.get("/products", response_model=ProductSearch, tags=["page"],
            responses={503: {"description": "no model loaded"}})
def products(bundle: BundleDep,
             prefix: Annotated[str, Query(max_length=32, description="Start of a product code, e.g. PRD09.")] = "",
             limit: Annotated[int, Query(ge=1, le=100, description="At most this many products.")] = 20,
             ) -> dict[str, Any]:
    """Products of the serving model's product table whose code starts with `prefix`, with the
    number of labelled lines behind their statistics and their class."""
    codes = bundle.products.prod_codes
    prefix = prefix.strip().upper()
    start = int(np.searchsorted(codes, prefix, side="left"))
    # Codes are ASCII: every code with the prefix sorts before prefix + the highest character.
    stop = int(np.searchsorted(codes, prefix + "\U0010ffff", side="left")) if prefix else len(codes)
    hits = codes[start:min(stop, start + limit)]
    stats = bundle.products.lookup(hits)
    classes = product_class(stats)
    return {"total": stop - start, "products": [
        {"prod_code": str(code), "n_lines": int(n), "product_class": PRODUCT_CLASSES[c] if c >= 0 else None}
        for code, n, c in zip(hits.tolist(), stats["n_lines"].tolist(), classes.tolist(), strict=True)]}


@router.get("/samples", tags=["page"], responses={503: {"description": "no model loaded"}})
def samples(bundle: BundleDep) -> dict[str, Any]:
    """Real baskets shipped in the bundle (its golden input), with their observed labels: request
    bodies for POST /predict."""
    golden = bundle.golden or {}
    return {"source": golden.get("source"), "baskets": golden.get("baskets", []),
            "observed_labels": golden.get("observed_labels", [])}


def mount_static(app: FastAPI) -> None:
    app.mount(SWAGGER, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
