"""Dagster on EKS, checked offline: the values for the official Dagster chart configure a
K8sRunLauncher that dagster-k8s itself accepts, and the Kubernetes Job it would launch for a
run is a valid Job on the spot group with the IRSA service account, the pipeline image, the
run's resources and a TTL.

The official chart cannot be fetched here (no chart repository), so the part of it that
matters is restated: its instance ConfigMap turns `runLauncher.config.k8sRunLauncher`
(camelCase values) into the `run_launcher` section of dagster.yaml (snake_case). What is then
checked is dagster-k8s's own: `K8sRunLauncher.config_type()` validates the section, and
`construct_dagster_k8s_job` builds the V1Job from it (kubernetes models: an unknown field of
runK8sConfig fails there), which kubernetes-validate then checks strictly.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
NAMESPACE = "dagster"
ACCOUNT, TAG = "111122223333", "0123abcd"


def _install_values_module():
    path = REPO / ".github" / "scripts" / "dagster_install_values.py"
    spec = importlib.util.spec_from_file_location("dagster_install_values", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def release_values(env: str) -> dict:
    """What `helm upgrade --install dagster ... -f values.yaml [-f values-prod.yaml] -f install.yaml` sees."""
    script = _install_values_module()
    return script.deep_merge(script.chart_values(env), script.install_values(env, ACCOUNT, TAG))


# The chart's values -> dagster.yaml keys of the K8sRunLauncher (the chart's instance template).
LAUNCHER_KEYS = {
    "imagePullPolicy": "image_pull_policy", "loadInclusterConfig": "load_incluster_config",
    "envConfigMaps": "env_config_maps", "envSecrets": "env_secrets", "envVars": "env_vars",
    "volumeMounts": "volume_mounts", "volumes": "volumes", "labels": "labels", "resources": "resources",
    "schedulerName": "scheduler_name", "securityContext": "security_context",
    "failPodOnRunFailure": "fail_pod_on_run_failure", "jobNamespace": "job_namespace",
}
RUN_K8S_KEYS = {"containerConfig": "container_config", "podSpecConfig": "pod_spec_config",
                "podTemplateSpecMetadata": "pod_template_spec_metadata", "jobSpecConfig": "job_spec_config",
                "jobMetadata": "job_metadata"}


def instance_run_launcher(values: dict, release: str = "dagster") -> dict:
    launcher = values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    source = launcher["config"]["k8sRunLauncher"]
    unknown = set(source) - set(LAUNCHER_KEYS) - {"runK8sConfig"}
    assert not unknown, f"values the chart would not pass to the launcher: {unknown}"
    config = {LAUNCHER_KEYS[k]: v for k, v in source.items() if k in LAUNCHER_KEYS}
    config.setdefault("job_namespace", NAMESPACE)
    config["service_account_name"] = values["global"]["serviceAccountName"]
    config["dagster_home"] = "/opt/dagster/dagster_home"
    config["instance_config_map"] = f"{release}-instance"
    config["postgres_password_secret"] = values["postgresql"]["existingSecret"]
    # The chart adds its own env ConfigMap to the user's.
    config["env_config_maps"] = [f"{release}-pipeline-env", *config.get("env_config_maps", [])]
    if "runK8sConfig" in source:
        config["run_k8s_config"] = {RUN_K8S_KEYS[k]: v for k, v in source["runK8sConfig"].items()}
    return {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": config}


@pytest.fixture(params=["dev", "prod"])
def env(request) -> str:
    return request.param


def test_run_launcher_config_is_valid_for_dagster_k8s(env):
    from dagster._config import process_config
    from dagster_k8s import K8sRunLauncher

    section = instance_run_launcher(release_values(env))
    result = process_config(K8sRunLauncher.config_type(), section["config"])
    assert result.success, [e.message for e in result.errors]
    config = result.value
    assert config["service_account_name"] == "dagster" and config["load_incluster_config"] is True
    env_vars = dict(v.split("=", 1) for v in config["env_vars"])
    assert env_vars["RETAIL_ENV"] == "aws" and env_vars["RETAIL_DEPLOYMENT"] == env
    assert env_vars["RETAIL_TRAINING_IMAGE"] == f"{ACCOUNT}.dkr.ecr.ap-southeast-1.amazonaws.com/mlops/pipeline:{TAG}"
    assert env_vars["RETAIL_SAGEMAKER_ROLE_ARN"] == f"arn:aws:iam::{ACCOUNT}:role/mlops-{env}-sagemaker-execution"


def test_a_launched_run_is_a_valid_job_on_spot_with_irsa_resources_and_ttl(env, tool, tmp_path):
    from dagster._config import process_config
    from dagster_k8s import K8sRunLauncher
    from dagster_k8s.job import DagsterK8sJobConfig, UserDefinedDagsterK8sConfig, construct_dagster_k8s_job
    from kubernetes.client import ApiClient

    values = release_values(env)
    config = process_config(K8sRunLauncher.config_type(), instance_run_launcher(values)["config"]).value
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    image = f"{deployment['image']['repository']}:{deployment['image']['tag']}"  # runs take the code location's
    job_config = DagsterK8sJobConfig(
        job_image=image, dagster_home=config["dagster_home"], image_pull_policy=config["image_pull_policy"],
        image_pull_secrets=[], service_account_name=config["service_account_name"],
        instance_config_map=config["instance_config_map"], postgres_password_secret=config["postgres_password_secret"],
        env_config_maps=config["env_config_maps"], env_secrets=config["env_secrets"], env_vars=config["env_vars"],
        volume_mounts=config["volume_mounts"], volumes=config["volumes"], labels={}, resources={},
        scheduler_name=None, security_context={},
    )
    user = UserDefinedDagsterK8sConfig.from_dict(config["run_k8s_config"])
    job = construct_dagster_k8s_job(job_config, ["dagster", "api", "execute_run", "{}"], "dagster-run-0123",
                                    user_defined_k8s_config=user, component="run_worker")
    manifest = ApiClient().sanitize_for_serialization(job)
    manifest.update(apiVersion="batch/v1", kind="Job")
    manifest["metadata"]["namespace"] = NAMESPACE

    spec = manifest["spec"]
    assert spec["ttlSecondsAfterFinished"] == 86400 and spec["backoffLimit"] == 0
    pod = spec["template"]["spec"]
    assert pod["serviceAccountName"] == "dagster"  # IRSA: the role of values' serviceAccount annotation
    role = values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert role == f"arn:aws:iam::{ACCOUNT}:role/mlops-{env}-dagster"
    assert pod["nodeSelector"] == {"workload": "batch"}
    assert {"key": "workload", "operator": "Equal", "value": "batch", "effect": "NoSchedule"} in pod["tolerations"]
    (container,) = pod["containers"]
    assert container["image"] == f"{ACCOUNT}.dkr.ecr.ap-southeast-1.amazonaws.com/mlops/pipeline:{TAG}"
    assert container["resources"] == {"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"cpu": "3500m", "memory": "13Gi"}}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    env_names = {e["name"] for e in container["env"]}
    assert {"RETAIL_ENV", "RETAIL_DEPLOYMENT", "RETAIL_TRAINING_IMAGE", "DAGSTER_HOME"} <= env_names

    path = tmp_path / "run-job.yaml"
    path.write_text(yaml.safe_dump(manifest))
    result = subprocess.run([tool("kubernetes-validate"), "--strict", "--quiet", "-k", "1.35.0", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr + json.dumps(manifest)[:2000]


def test_user_code_deployment_serves_the_code_location_without_leaking_into_runs(env):
    values = release_values(env)
    user_code = values["dagster-user-deployments"]
    assert user_code["enabled"] and user_code["enableSubchart"] and user_code["serviceAccount"]["create"] is False
    (deployment,) = user_code["deployments"]
    assert deployment["codeServerArgs"] == ["-m", "retail_assets.definitions"] and deployment["port"] == 3030
    assert deployment["image"]["tag"] == TAG and deployment["image"]["pullPolicy"] == "Always"
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is False
    # The code location and its runs see the same settings.
    launcher_env = dict(v.split("=", 1) for v in values["runLauncher"]["config"]["k8sRunLauncher"]["envVars"])
    assert launcher_env == {k: str(v) for k, v in deployment["env"].items()}
