"""`python -m serving.bench_http --home DIR`: the API as deployed (uvicorn, one worker per core) on a
trained home, driven by wrk at each concurrency: GET /health (the ceiling: the same app answering a
constant), POST /predict with a real 10-line basket, and a batch of 1,000 real baskets. Prints RPS,
p50, p99 and each RPS as a share of the ceiling measured in the same run (`make bench-serve`)."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from retail_assets.contract.bundle_format import GOLDEN_FILE, read_bytes
from retail_assets.contract.registry_index import parse_index
from serving.settings import ServingSettings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def real_baskets(settings: ServingSettings) -> list[dict]:
    """The Production bundle's golden baskets: real baskets of its validation weeks."""
    target = parse_index(read_bytes(settings.registry_uri), settings.registry_uri)
    if target is None:
        raise SystemExit(f"no Production version in {settings.registry_uri}: run `make demo` first")
    baskets = json.loads(read_bytes(f"{target.bundle_uri.rstrip('/')}/{GOLDEN_FILE}"))["baskets"]
    return [b for b in baskets if b["lines"]]


def payloads(baskets: list[dict], batch: int, seed: int = 0) -> dict[str, bytes]:
    # A real basket of 10 lines; failing that, the first 10 lines of the smallest larger one.
    ten = min((b for b in baskets if len(b["lines"]) >= 10), key=lambda b: (len(b["lines"]), b["basket_id"]),
              default=max(baskets, key=lambda b: len(b["lines"])))
    ten = {**ten, "lines": (ten["lines"] * 10)[:10]}
    rng = random.Random(seed)
    many = [{**rng.choice(baskets), "basket_id": i} for i in range(batch)]
    return {"one": json.dumps(ten).encode(), "batch": json.dumps({"baskets": many}).encode()}


LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb"); wrk.body = f:read("*a"); f:close()
"""


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def wrk(url: str, connections: int, seconds: int, script: str | None) -> dict[str, float]:
    command = ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    if script:
        command += ["-s", script]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "99"):
        result[f"p{pct}"] = _ms(re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non_2xx"] = float(errors.group(1)) if errors else 0.0
    return result


def start_server(home: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETAIL_")}
    env["RETAIL_HOME"] = str(Path(home).resolve())
    command = [sys.executable, "-m", "uvicorn", "serving.app:app", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--no-access-log"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}: {' '.join(command)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not become ready in 60 s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m serving.bench_http", description=__doc__)
    parser.add_argument("--home", default=".demo/home", help="a trained home (`make demo` builds .demo/home)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="uvicorn workers (default: cores)")
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run")
    parser.add_argument("--connections", default="1,8")
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk (make test-tools does)")

    settings = ServingSettings(home=args.home)
    bodies = payloads(real_baskets(settings), args.batch)
    port = _free_port()
    server = start_server(args.home, port, args.workers)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            scripts = {}
            for name, body in bodies.items():
                (Path(tmp) / f"{name}.json").write_bytes(body)
                scripts[name] = Path(tmp) / f"{name}.lua"
                scripts[name].write_text(LUA.format(body=Path(tmp) / f"{name}.json"))
            cases = [("GET /health (ceiling)", "/health", None),
                     ("POST /predict, 1 basket x 10 lines", "/predict", str(scripts["one"])),
                     (f"POST /predict, {args.batch:,} baskets", "/predict", str(scripts["batch"]))]
            for connections in (int(c) for c in args.connections.split(",")):
                ceiling = None
                for label, path, script in cases:
                    result = wrk(f"http://127.0.0.1:{port}{path}", connections, args.seconds, script)
                    ceiling = ceiling or result["rps"]
                    rows.append((label, connections, result, result["rps"] / ceiling))
    finally:
        server.terminate()
        server.wait(timeout=30)

    lines_per = len(json.loads(bodies["one"])["lines"])
    print(f"uvicorn workers {args.workers} on {os.cpu_count()} cores, {args.seconds} s per run, wrk on the same "
          f"machine; home {args.home}; single basket of {lines_per} real lines")
    print(f"| {'endpoint':<34} | c | {'RPS':>8} | {'p50 ms':>7} | {'p99 ms':>7} | vs ceiling | non-2xx |")
    print(f"|{'-' * 36}|---|{'-' * 10}|{'-' * 9}|{'-' * 9}|{'-' * 12}|{'-' * 9}|")
    for label, connections, r, ratio in rows:
        print(f"| {label:<34} | {connections} | {r['rps']:>8,.0f} | {r['p50']:>7.2f} | {r['p99']:>7.2f} | "
              f"{ratio:>10.2f} | {int(r['non_2xx']):>7} |")


if __name__ == "__main__":
    main()
