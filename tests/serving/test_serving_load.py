"""60 s of loopback load at concurrency 32 on the API as deployed (uvicorn, 2 workers) while the
registry promotes a new version and rolls it back, twice: no request fails, and the answers
switch version with the registry."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
import pytest
from bundles import basket, write_bundle
from live_server import LiveServer

from retail_assets.contract.lake_keys import REGISTRY, bundle_key

DURATION = 60.0
CONCURRENCY = 32
# Seconds into the run: promote v0002, roll back to v0001, promote v0002 again, roll back again.
ACTIONS = ((10.0, "promote"), (22.0, "rollback"), (34.0, "promote"), (46.0, "rollback"))
SETTLE = 5.0  # by then every worker has re-read the index (it polls every 0.2 s), even on a loaded machine


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_load_while_the_registry_promotes_and_rolls_back(tmp_path: Path, model_bytes: bytes) -> None:
    from retail_assets.registry.local import LocalRegistry

    lake = tmp_path / "lake"
    registry = LocalRegistry(lake / REGISTRY)
    for version in ("v0001", "v0002"):
        directory = write_bundle(lake / bundle_key(version), version, model=model_bytes)
        manifest = __import__("json").loads((directory / "bundle.json").read_text())
        registry.register(bundle_key(version), manifest, {"macro_f1": 0.5})
    registry.promote("v0001", "first")

    server = LiveServer({"RETAIL_LAKE": str(lake), "RETAIL_RELOAD_SECONDS": "0.2", "RETAIL_LOG_LEVEL": "warning"},
                        workers=2)
    answers: list[tuple[float, int, str | None]] = []
    done: list[tuple[float, str]] = []
    try:
        server.wait_ready()

        def operate(start: float) -> None:
            for at, action in ACTIONS:
                time.sleep(max(0.0, start + at - time.monotonic()))
                began = time.monotonic() - start  # no answer received before this can know of the action
                if action == "promote":
                    registry.promote("v0002", "load test")
                else:
                    registry.rollback("load test")
                done.append((began, registry.production() or ""))

        async def client(start: float) -> None:
            body = basket(4)
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                while time.monotonic() - start < DURATION:
                    try:
                        response = await http.post("/predict", json=body)
                        version = response.json().get("model_version") if response.status_code == 200 else None
                        # Stamped when the answer arrived: what the server knew then.
                        answers.append((time.monotonic() - start, response.status_code, version))
                    except httpx.HTTPError as exc:
                        answers.append((time.monotonic() - start, 0, type(exc).__name__))

        async def run() -> None:
            start = time.monotonic()
            operator = threading.Thread(target=operate, args=(start,), daemon=True)
            operator.start()
            await asyncio.gather(*(client(start) for _ in range(CONCURRENCY)))
            operator.join(timeout=30)

        asyncio.run(run())
    finally:
        server.stop()

    failed = [a for a in answers if a[1] != 200]
    assert not failed, f"{len(failed)} of {len(answers)} requests failed, e.g. {failed[:5]}\n{server.output()}"
    assert len(answers) > 60 * CONCURRENCY, f"only {len(answers)} requests in {DURATION} s"
    assert [v for _, v in done] == ["v0002", "v0001", "v0002", "v0001"]

    # Between one registry action (once settled) and the start of the next, every answer is the new
    # Production's (answers are stamped on arrival, actions when they begin).
    boundaries = [t for t, _ in done] + [DURATION]
    for (at, production), until in zip(done, boundaries[1:], strict=True):
        window = {v for t, _, v in answers if at + SETTLE <= t < until}
        stale = [round(t - at, 2) for t, _, v in answers if at <= t < until and v != production]
        assert window == {production}, (at, production, window, len(stale), stale[-5:], server.output())
    before = {v for t, _, v in answers if t < done[0][0]}
    assert before == {"v0001"}
