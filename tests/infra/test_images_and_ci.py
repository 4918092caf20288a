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
    assert "uv sync --frozen --no-dev" in text
    assert "--extra" not in text and "retail_assets" not in text.replace("# ", "")
    assert 'CMD ["uvicorn", "serving.app:app", "--host", "0.0.0.0", "--port", "8000"]' in text


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


def test_main_pipeline_order_and_rollback():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "main.yml").read_text())
    jobs = workflow["jobs"]
    assert jobs["pipeline"]["needs"] == "images"
    assert jobs["deploy-staging"]["needs"] == "pipeline"
    assert jobs["promote-prod"]["needs"] == "deploy-staging"
    assert jobs["promote-prod"]["environment"] == "production"
    stages = [s["name"] for s in jobs["pipeline"]["steps"] if "name" in s]
    order = [next(i for i, n in enumerate(stages) if n.startswith(p)) for p in ("Data validation", "Train", "Evaluate", "Register")]
    assert order == sorted(order)
    for job in ("deploy-staging", "promote-prod"):
        rollback = [s for s in jobs[job]["steps"] if s.get("name", "").startswith("Roll back")]
        assert rollback and rollback[0]["if"].startswith("failure()")
        assert "helm rollback" in rollback[0]["run"] and "retail registry rollback" in rollback[0]["run"]


def test_pull_requests_lint_test_build_and_scan():
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "pull-request.yml").read_text())
    text = (REPO / ".github" / "workflows" / "pull-request.yml").read_text()
    assert set(workflow["jobs"]) == {"lint", "test", "images"}
    assert "make test" in text and "aquasecurity/trivy-action" in text and 'exit-code: "1"' in text
