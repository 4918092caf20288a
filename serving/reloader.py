"""Keeps the serving bundle in step with the registry's Production version.

`refresh()` reads the registry index (a few hundred bytes), and only when the
Production entry differs from what is serving does it load the new bundle - in the
calling thread, off the event loop - then swaps it in with one attribute assignment, and
only after the bundle has reproduced its golden input (checked by `load_bundle`; a bundle
without one is refused unless `require_golden` is off).
Requests read `current` once, so each answer comes from one bundle. A bundle that
fails to load is refused and the old one keeps serving; the failed target is retried
with exponential backoff, and at once if the index changes again.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from retail_assets.contract.bundle import Bundle, load_bundle
from retail_assets.contract.bundle_format import BundleError, read_bytes
from retail_assets.contract.registry_index import ProductionRef, parse_index

log = logging.getLogger("serving.reloader")

MAX_BACKOFF_SECONDS = 300.0


@dataclass
class ReloadStats:
    checks: int = 0
    loads: int = 0
    failures: int = 0  # bundles refused
    index_errors: int = 0  # index unreadable or inconsistent (e.g. not written yet)
    last_error: str | None = None
    # The latest bundle refused (version, bundle URI, reason, when): kept after later successes.
    last_refused: dict[str, str] | None = None


class BundleReloader:
    """Serves the registry's Production bundle, or one fixed bundle if `bundle_uri` is set."""

    def __init__(
        self,
        *,
        registry_uri: str | None = None,
        bundle_uri: str | None = None,
        reload_seconds: float = 10.0,
        onnx_threads: int = 1,
        require_golden: bool = True,
        loader: Callable[..., Bundle] = load_bundle,
    ) -> None:
        if not registry_uri and not bundle_uri:
            raise ValueError("BundleReloader needs a registry_uri or a bundle_uri")
        self.registry_uri = registry_uri
        self.bundle_uri = bundle_uri
        self.reload_seconds = reload_seconds
        self.onnx_threads = onnx_threads
        self.require_golden = require_golden
        self._loader = loader
        self._current: Bundle | None = None
        self._lock = threading.Lock()
        self._index_bytes: bytes | None = None
        self._target: ProductionRef | None = None
        self._failed: ProductionRef | None = None
        self._failures_in_a_row = 0
        self._retry_at = 0.0
        self.stats = ReloadStats()

    @property
    def current(self) -> Bundle | None:
        return self._current

    @property
    def source(self) -> str:
        return "bundle" if self.bundle_uri else "registry"

    def _resolve(self) -> ProductionRef | None:
        if self.bundle_uri:
            return ProductionRef(version="", bundle_uri=self.bundle_uri, bundle_id=None)
        assert self.registry_uri is not None
        try:
            data = read_bytes(self.registry_uri)
        except Exception as exc:  # noqa: BLE001 - missing, unreachable: all the same here
            raise BundleError(f"registry index {self.registry_uri} cannot be read: {exc}") from None
        if data != self._index_bytes:
            self._target = parse_index(data, self.registry_uri)
            self._index_bytes = data
            self._retry_at = 0.0  # the index moved: a refused target may have been fixed
        return self._target

    def _is_serving(self, target: ProductionRef) -> bool:
        bundle = self._current
        if bundle is None or bundle.uri != target.bundle_uri:
            return False
        return (not target.version or bundle.version == target.version) and (
            target.bundle_id is None or bundle.bundle_id == target.bundle_id
        )

    def _fail(self, message: str, *, level: int = logging.ERROR) -> None:
        if message != self.stats.last_error:  # once per distinct problem, not every poll
            log.log(level, "%s; %s", message,
                    f"still serving {self._current.version}" if self._current else "no model loaded",
                    extra={"event": "reload_refused" if level >= logging.ERROR else "index_unreadable",
                           "serving_version": self._current.version if self._current else None})
        self.stats.last_error = message

    def refresh(self) -> bool:
        """Check the source once and swap in a new bundle if it changed. Blocking (it may
        load a bundle): call it from a worker thread. Returns True if a bundle was swapped in."""
        with self._lock:
            self.stats.checks += 1
            try:
                target = self._resolve()
            except Exception as exc:  # noqa: BLE001 - an unreadable index changes nothing
                self.stats.index_errors += 1
                self._fail(str(exc), level=logging.WARNING)
                return False
            if target is None or self._is_serving(target):
                self.stats.last_error = None  # whatever went wrong before is over
                return False
            if target == self._failed and time.monotonic() < self._retry_at:
                return False
            try:
                bundle = self._loader(target.bundle_uri, onnx_threads=self.onnx_threads)
                if target.version and bundle.version != target.version:
                    raise BundleError(f"bundle {target.bundle_uri}: bundle.json says version "
                                      f"{bundle.version}, the registry says {target.version}")
                if target.bundle_id and bundle.bundle_id != target.bundle_id:
                    raise BundleError(f"bundle {target.bundle_uri}: bundle_id {bundle.bundle_id} "
                                      f"differs from the registry's {target.bundle_id}")
                if self.require_golden and bundle.golden is None:
                    raise BundleError(f"bundle {target.bundle_uri}: no golden.json, so nothing proves the model "
                                      "answers as it did when written (RETAIL_REQUIRE_GOLDEN=false serves it anyway)")
            except Exception as exc:  # noqa: BLE001 - whatever breaks, keep the old bundle
                self._failures_in_a_row = self._failures_in_a_row + 1 if target == self._failed else 1
                self._failed = target
                backoff = max(self.reload_seconds, 1.0) * 2 ** (self._failures_in_a_row - 1)
                self._retry_at = time.monotonic() + min(backoff, MAX_BACKOFF_SECONDS)
                self.stats.failures += 1
                self.stats.last_refused = {"version": target.version, "bundle_uri": target.bundle_uri,
                                           "reason": str(exc), "at": datetime.now(UTC).isoformat(timespec="seconds")}
                self._fail(f"refused bundle: {exc}")
                return False
            previous, self._current = self._current, bundle
            self._failed, self._failures_in_a_row = None, 0
            self.stats.loads += 1
            self.stats.last_error = None
            golden = bundle.golden or {}
            log.info("serving model %s (bundle %s, %s) from %s%s; golden input of %d baskets matched",
                     bundle.version, bundle.bundle_id[:12], bundle.model_name, bundle.uri,
                     f", replacing {previous.version}" if previous else "", len(golden.get("baskets", [])),
                     extra={"event": "model_loaded", "model_version": bundle.version, "bundle_id": bundle.bundle_id,
                            "previous_version": previous.version if previous else None})
            return True

    async def run(self) -> None:
        """Poll every `reload_seconds` until cancelled (a lifespan background task)."""
        while True:
            await asyncio.sleep(self.reload_seconds)
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:  # noqa: BLE001 - the poller must outlive any one failure
                log.exception("bundle refresh failed")
