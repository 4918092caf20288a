"""The scripts the main workflow runs: the post-deploy ALB gate's verdicts, and the
Dagster install values that give launched runs the same image and settings as the code
location (not its container limits)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / ".github" / "scripts"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


verify_alb = _load("verify_alb")
install = _load("dagster_install_values")


def stats(requests=1000, target_5xx=0, elb_5xx=0, p95=0.12):
    return verify_alb.WindowStats(requests=requests, target_5xx=target_5xx, elb_5xx=elb_5xx, p95_seconds=p95)


def test_a_healthy_window_passes():
    assert verify_alb.judge(stats(), max_p95_ms=200, max_5xx_percent=1, min_requests=50) == []


@pytest.mark.parametrize("window, words", [
    (stats(p95=0.201), "p95 201 ms > 200 ms"),
    (stats(target_5xx=8, elb_5xx=3), "5xx 1.10 % > 1.00 %"),
    (stats(requests=10, p95=0.05), "only 10 requests in the window"),
    (stats(requests=0, p95=None), "no TargetResponseTime p95"),
])
def test_each_broken_limit_is_named(window, words):
    problems = verify_alb.judge(window, max_p95_ms=200, max_5xx_percent=1, min_requests=50)
    assert any(words in p for p in problems), problems


def test_alb_5xx_count_against_the_budget_too():
    """5xx answered by the ALB itself (no healthy target) count as errors."""
    assert verify_alb.judge(stats(elb_5xx=20), 200, 1, 50)
    assert stats(requests=200, target_5xx=1, elb_5xx=1).error_percent == pytest.approx(1.0)


def test_window_is_one_period_of_whole_minutes():
    assert verify_alb.window_period(600) == 600
    assert verify_alb.window_period(601) == 660
    assert verify_alb.window_period(5) == 60


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_install_values_give_runs_the_code_location_settings(env):
    values = install.install_values(env, "111122223333", "0123abcd")
    image = "111122223333.dkr.ecr.ap-southeast-1.amazonaws.com/mlops/pipeline:0123abcd"
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert f"{deployment['image']['repository']}:{deployment['image']['tag']}" == image
    assert deployment["env"]["RETAIL_TRAINING_IMAGE"] == image
    role = f"arn:aws:iam::111122223333:role/mlops-{env}-sagemaker-execution"
    assert deployment["env"]["RETAIL_SAGEMAKER_ROLE_ARN"] == role
    assert deployment["env"]["RETAIL_DEPLOYMENT"] == env
    assert "RETAIL_MODEL_PACKAGE_GROUP" not in deployment["env"], "the group derives from RETAIL_DEPLOYMENT"
    # The code server's own limits stay out of the runs.
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is False
    run_env = dict(v.split("=", 1) for v in values["runLauncher"]["config"]["k8sRunLauncher"]["envVars"])
    assert {k: run_env[k] for k in deployment["env"]} == {k: str(v) for k, v in deployment["env"].items()}
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"] == (
        f"arn:aws:iam::111122223333:role/mlops-{env}-dagster")


def test_runs_get_the_batch_node_resources():
    values = yaml.safe_load((REPO / "helm" / "dagster" / "values.yaml").read_text())
    run = values["runLauncher"]["config"]["k8sRunLauncher"]["runK8sConfig"]
    limits = run["containerConfig"]["resources"]["limits"]
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert limits["memory"] != deployment["resources"]["limits"]["memory"]
    assert int(limits["memory"].removesuffix("Gi")) >= 8
