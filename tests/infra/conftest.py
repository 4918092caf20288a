"""Fixtures of the infrastructure tests: where the tools are, a Terraform that installs
the AWS provider from the local mirror only, a moto server on loopback that can enforce
IAM, and tests/infra/moto_root applied to it once per session.

The infra tools live in <repo>/.venv-infra (infra/bin/setup-tools.sh) and run as
subprocesses; a missing tool skips its tests with the tool's name.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INFRA_VENV_BIN = REPO / ".venv-infra" / "bin"
PROVIDER_MIRROR = Path("/opt/tf-plugins")
TERRAFORM_ENVS = ("dev", "prod")


def find_tool(name: str) -> str | None:
    candidate = INFRA_VENV_BIN / name
    if candidate.exists():
        return str(candidate)
    return shutil.which(name)


@pytest.fixture(scope="session")
def tool():
    """tool("checkov") -> path, or skip naming the missing tool."""

    def _tool(name: str) -> str:
        path = find_tool(name)
        if path is None:
            pytest.skip(f"{name} not installed (run infra/bin/setup-tools.sh)")
        return path

    return _tool


@pytest.fixture(scope="session")
def infra_python(tool) -> str:
    """Interpreter of .venv-infra (has helm-python-sdk); never the main venv."""
    python = INFRA_VENV_BIN / "python"
    if not python.exists():
        pytest.skip("helm-python-sdk not installed (run infra/bin/setup-tools.sh)")
    return str(python)


@pytest.fixture(scope="session")
def terraform_cli_config(tmp_path_factory) -> Path:
    if shutil.which("terraform") is None:
        pytest.skip("terraform not on PATH")
    if not (PROVIDER_MIRROR / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        pytest.skip(f"no hashicorp/aws provider mirror at {PROVIDER_MIRROR}")
    root = tmp_path_factory.mktemp("terraform")
    cache = root / "plugin-cache"
    cache.mkdir()
    config = root / "cli.tfrc"
    config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{ path = "{PROVIDER_MIRROR}" }}\n'
        "}\n"
        f'plugin_cache_dir = "{cache}"\n'
    )
    return config


@pytest.fixture
def terraform(terraform_cli_config, tmp_path):
    """Run terraform with a per-test data dir, so nothing lands in the repository."""
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(terraform_cli_config),
        "TF_DATA_DIR": str(tmp_path / "tfdata"),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }

    def _run(*args: str, cwd: Path, check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["terraform", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            pytest.fail(f"terraform {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    return _run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MOTO_SERVER = Path(__file__).with_name("moto_iam_server.py")
MOTO_ROOT = REPO / "tests" / "infra" / "moto_root"


def set_moto_auth(endpoint: str, no_auth_requests: float) -> None:
    """Let the next `no_auth_requests` requests through unauthenticated, then authorize
    every request against the caller's IAM policies (0 = enforce from now on)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=str(no_auth_requests).encode(),
                                     method="POST", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture(scope="session")
def moto_auth():
    """set_moto_auth(endpoint, n), for tests that switch IAM enforcement on and off."""
    return set_moto_auth


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto server on 127.0.0.1 for the session (tests/infra/moto_iam_server.py: moto's
    server with SageMaker resource ARNs for IAM); stopped by its own pid afterwards.

    It starts with INITIAL_NO_AUTH_ACTION_COUNT=inf, so nothing is authorized until a test
    turns enforcement on with set_moto_auth(endpoint, 0) (and back off when it is done)."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        pytest.skip("moto[server] not in this virtualenv")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "inf"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("moto_server exited at start")
                time.sleep(0.1)
        else:
            pytest.fail("moto_server did not answer within 10 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def moto_root_applied(terraform_cli_config, moto_endpoint, tmp_path_factory):
    """plan + apply of tests/infra/moto_root against moto, once per session:
    {"outputs": {...}, "endpoint", "run": terraform runner in moto_root, "state", "var"}."""
    tmp = tmp_path_factory.mktemp("moto-apply")
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(terraform_cli_config),
        "TF_DATA_DIR": str(tmp / "tfdata"),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }
    state = str(tmp / "terraform.tfstate")
    plan = str(tmp / "plan.bin")
    var = f"endpoint={moto_endpoint}"

    def run(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["terraform", *args], cwd=MOTO_ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        if result.returncode not in (0, 2):
            pytest.fail(f"terraform {args[0]} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        return result

    run("init", "-lockfile=readonly")
    run("plan", "-lock=false", f"-state={state}", "-var", var, f"-out={plan}")
    run("apply", "-lock=false", f"-state={state}", plan)
    outputs = json.loads(run("output", f"-state={state}", "-json").stdout)
    return {
        "outputs": {k: v["value"] for k, v in outputs.items()},
        "endpoint": moto_endpoint,
        "run": run,
        "state": state,
        "var": var,
        "tmp": tmp,
    }
