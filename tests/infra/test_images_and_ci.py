"""Dockerfiles pass hadolint; workflow files match the GitHub workflow schema and keep
their deployment promises (OIDC roles, no stored keys, rollback on a failed check)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKERFILES = [REPO / "serving" / "Dockerfile", REPO / "Dockerfile.pipeline"]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint(tool, dockerfile):
    result = subprocess.run([tool("hadolint"), str(dockerfile)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_image_is_non_root_with_healthcheck_and_revision_label(dockerfile):
    text = dockerfile.read_text()
    assert re.search(r"^USER 10001", text, re.M)
    assert "HEALTHCHECK" in text
    assert "ARG GIT_SHA" in text and 'org.opencontainers.image.revision="${GIT_SHA}"' in text
    assert text.count("FROM ") >= 3, "multi-stage build expected"


def test_api_image_has_no_pipeline_dependencies():
    text = (REPO / "serving" / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in text and "--extra" not in text
    # Of the pipeline package only the contract and the settings serving imports; and those are
    # exactly what serving's modules import from it (tests/test_layout.py holds the other side).
    copied = [line for line in text.splitlines() if line.startswith("COPY") and "retail_assets" in line]
    assert copied == [
        "COPY retail_assets/__init__.py retail_assets/settings.py retail_assets/aws_names.py "
        "retail_assets/aws_names.json ./retail_assets/",
        "COPY retail_assets/contract ./retail_assets/contract",
    ]
    assert 'CMD ["uvicorn", "serving.app:app", "--host", "0.0.0.0", "--port", "8000", "--no-access-log"]' in text


def test_pipeline_image_runs_the_code_location():
    text = (REPO / "Dockerfile.pipeline").read_text()
    assert "uv sync --frozen --no-dev --extra pipeline" in text
    assert '"code-server", "start"' in text and '"retail_assets.definitions"' in text


def test_workflows_match_the_github_schema(tool):
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_aws_access_only_through_oidc():
    for path in WORKFLOWS:
        text = path.read_text()
        assert "aws-access-key-id" not in text and "secrets.AWS" not in text, path
        workflow = yaml.safe_load(text)
        for job in workflow["jobs"].values():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("aws-actions/configure-aws-credentials"):
                    assert "role-to-assume" in step["with"]
                    assert "id-token" in str(workflow.get("permissions", {})) + str(job.get("permissions", {}))


def _main_jobs() -> dict:
    return yaml.safe_load((REPO / ".github" / "workflows" / "main.yml").read_text())["jobs"]


def _needs(job: dict) -> set[str]:
    needs = job.get("needs", [])
    return {needs} if isinstance(needs, str) else set(needs)


def _ancestors(jobs: dict, name: str) -> set[str]:
    seen: set[str] = set()
    todo = list(_needs(jobs[name]))
    while todo:
        parent = todo.pop()
        if parent not in seen:
            seen.add(parent)
            todo += _needs(jobs[parent])
    return seen


def test_main_job_graph_deploys_then_promotes_then_verifies_then_rolls_back():
    """prod: the image is deployed before the model is promoted, verification follows both,
    and each rollback comes after what it undoes and runs only when that thing changed."""
    jobs = _main_jobs()
    assert _needs(jobs["staging-baseline"]) == {"images"}
    assert "staging-baseline" in _ancestors(jobs, "pipeline")
    assert _needs(jobs["deploy-staging"]) == {"pipeline"}
    # staging too: the image first, then the model (the pipeline's register/promote asset)
    assert _needs(jobs["promote-staging"]) == {"deploy-staging"}
    assert "ml/registered_model" in yaml.safe_dump(jobs["promote-staging"])
    assert "ml/registered_model" not in yaml.safe_dump(jobs["pipeline"])
    assert {"deploy-staging", "promote-staging"} <= _ancestors(jobs, "verify-staging")
    # prod starts only from a verified staging
    assert "verify-staging" in _ancestors(jobs, "deploy-prod")
    # deploy -> promote -> verify
    assert "deploy-prod" in _needs(jobs["promote-prod"])
    assert {"deploy-prod", "promote-prod"} <= _ancestors(jobs, "verify-prod")
    assert "promote-prod" not in _ancestors(jobs, "deploy-prod")
    # rollbacks: after verification, model before release, each only when it changed
    model, release = jobs["rollback-prod-model"], jobs["rollback-prod-release"]
    assert {"promote-prod", "verify-prod"} <= _ancestors(jobs, "rollback-prod-model")
    assert {"deploy-prod", "verify-prod", "rollback-prod-model"} <= _ancestors(jobs, "rollback-prod-release")
    assert model["if"].startswith("always()") and "needs.promote-prod.outputs.changed == 'true'" in model["if"]
    assert "needs.verify-prod.result == 'failure'" in model["if"]
    assert release["if"].startswith("always()") and "needs.deploy-prod.outputs.deployed == 'true'" in release["if"]
    assert "needs.verify-prod.result == 'failure'" in release["if"]
    staging_release = jobs["rollback-staging-release"]
    assert "needs.deploy-staging.outputs.deployed == 'true'" in staging_release["if"]
    assert "helm rollback" in jobs["rollback-prod-release"]["steps"][-1]["run"]
    assert "helm rollback" not in str(model) and "registry rollback" not in str(release)
    # nothing downstream of a rollback: it is the end of the line
    for name in jobs:
        assert not _needs(jobs[name]) & {"rollback-prod-release", "rollback-staging-release"}
    # the deploy records the revision to return to before it upgrades
    for deploy in ("deploy-staging", "deploy-prod"):
        steps = [s.get("name", "") for s in jobs[deploy]["steps"]]
        assert steps.index("Release before the deploy") < steps.index("Deploy the API")
    # the human approval is on the prod deploy; what follows never waits for one
    assert jobs["deploy-prod"]["environment"] == "production"
    for name in ("promote-prod", "verify-prod", "rollback-prod-model", "rollback-prod-release"):
        assert jobs[name]["environment"] == "production-rollout", name
    pipeline = [s["name"] for s in jobs["pipeline"]["steps"] if "name" in s]
    order = [next(i for i, n in enumerate(pipeline) if n.startswith(p)) for p in ("Data validation", "Train", "Evaluate")]
    assert order == sorted(order)
    staging_model = jobs["rollback-staging-model"]
    assert {"promote-staging", "verify-staging"} <= _needs(staging_model)
    assert "needs.promote-staging.result == 'failure'" in staging_model["if"]


def test_every_registry_step_uses_the_retail_cli_with_a_deployment():
    jobs = _main_jobs()
    registry_steps = []
    for name, job in jobs.items():
        for step in job.get("steps", []):
            run = step.get("run", "")
            if "registry" in run or "index.json" in run:
                registry_steps.append((name, step))
                assert "retail registry" in run, (name, step.get("name"))
                assert step.get("env", {}).get("RETAIL_DEPLOYMENT") in ("dev", "prod"), (name, step.get("name"))
                assert "-e RETAIL_DEPLOYMENT" in run and "-e RETAIL_ENV=aws" in run, (name, step.get("name"))
                assert "index.json" not in run and "aws s3 cp" not in run, (name, step.get("name"))
                assert "--group" not in run and "MODEL_PACKAGE_GROUP" not in run, (name, step.get("name"))
    commands = " ".join(step["run"] for _, step in registry_steps)
    for command in ("retail registry gate", "retail registry import", "retail registry rollback"):
        assert command in commands
    promote = next(s for s in jobs["promote-prod"]["steps"] if "registry import" in s.get("run", ""))
    assert promote["env"]["RETAIL_DEPLOYMENT"] == "prod" and "--from-deployment dev --promote" in promote["run"]
    assert not (REPO / ".github" / "scripts" / "registry_gate.py").exists()


def test_every_job_has_a_timeout_and_actions_are_pinned_by_commit():
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        for name, job in workflow["jobs"].items():
            assert 0 < job.get("timeout-minutes", 0) <= 150, (path.name, name)
            for step in job.get("steps", []):
                if "uses" in step:
                    assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), (path.name, name, step["uses"])
        # Tools never go into the runner's system Python.
        for line in path.read_text().splitlines():
            if "pip install" in line:
                assert 'uv pip install --python "$RUNNER_TEMP/ci-venv/bin/python"' in line, (path.name, line)


def test_ci_tools_go_into_a_virtual_environment():
    jobs = _main_jobs()
    for name, job in jobs.items():
        runs = [s.get("run", "") for s in job.get("steps", [])]
        if any("python " in r or "aws " in r for r in runs):
            setup = next((r for r in runs if "uv venv" in r), None)
            assert setup and "-r .github/ci-requirements.txt" in setup and "GITHUB_PATH" in setup, name


def test_cluster_jobs_run_inside_the_vpc():
    """Whatever talks to a cluster runs on the actions-runner-controller runners of that
    cluster (private endpoint); the rest on GitHub-hosted runners."""
    for name, job in _main_jobs().items():
        text = yaml.safe_dump(job)
        if "update-kubeconfig" in text:
            env = "prod" if "mlops-prod-eks" in text else "dev"
            assert job["runs-on"] == f"mlops-{env}-deploy", name
        else:
            assert job["runs-on"] == "ubuntu-24.04", name


def test_pull_requests_lint_test_build_and_scan():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "pull-request.yml").read_text())
    text = (REPO / ".github" / "workflows" / "pull-request.yml").read_text()
    assert set(workflow["jobs"]) == {"lint", "test", "images"}
    assert "make test" in text and "aquasecurity/trivy-action" in text and 'exit-code: "1"' in text
