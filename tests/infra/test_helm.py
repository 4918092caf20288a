"""The inference-api chart renders (helm-python-sdk, no helm binary) with its own defaults
alone (any cluster: no AWS account, IRSA or ALB) and with the AWS values of dev and prod;
it lints clean; every manifest validates strictly against Kubernetes 1.30 (the oldest API
the chart supports) and 1.35 (the cluster version); checkov finds nothing in them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "inference-api"
RENDER = Path(__file__).with_name("render_chart.py")
NAMESPACE = "retail-api"
# What CI passes with --set at install (see .github/workflows/main.yml).
INSTALL_VALUES = {
    "aws": {"accountId": "111122223333"},
    "image": {"tag": "0123abcd"},
    "ingress": {
        "host": "api.example.com",
        "certificateArn": "arn:aws:acm:ap-southeast-1:111122223333:certificate/example",
    },
}
# value set -> (values files, --set values): the defaults with nothing at all, and the AWS values.
VALUE_SETS = {"default": ([], {}), "dev": (["values-dev.yaml"], INSTALL_VALUES),
              "prod": (["values-prod.yaml"], INSTALL_VALUES)}
AWS_SETS = ["dev", "prod"]


def render(python: str, values_files: list[str], set_values: dict, lint: bool = False) -> subprocess.CompletedProcess:
    args = [python, str(RENDER), str(CHART), "--namespace", NAMESPACE, *(["--lint"] if lint else [])]
    for name in values_files:
        args += ["-f", str(CHART / name)]
    args += ["--set-json", json.dumps(set_values)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def rendered(infra_python, tmp_path_factory) -> dict[str, dict]:
    """{value set: {"dir": manifests written one per file, "objects": {kind: object}}}."""
    out = {}
    for name, (files, set_values) in VALUE_SETS.items():
        result = render(infra_python, files, set_values)
        assert result.returncode == 0, result.stderr
        manifests = json.loads(result.stdout)["manifests"]
        target = tmp_path_factory.mktemp(f"chart-{name}")
        objects = {}
        for template, text in manifests.items():
            for doc in yaml.safe_load_all(text):
                if doc:
                    objects[doc["kind"]] = doc
            (target / Path(template).name).write_text(text)
        out[name] = {"dir": target, "objects": objects}
    return out


def test_renders_every_resource(rendered):
    for name, result in rendered.items():
        assert set(result["objects"]) == {
            "ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler",
            "PodDisruptionBudget", "ServiceAccount", "NetworkPolicy", *(["Ingress"] if name in AWS_SETS else []),
        }, name


def test_defaults_stand_alone_without_aws(rendered):
    """No account, no IRSA, no ALB, no EKS node pool: the lake is a folder volume, read locally."""
    objects = rendered["default"]["objects"]
    assert "annotations" not in objects["ServiceAccount"]["metadata"]
    config = objects["ConfigMap"]["data"]
    assert (config["RETAIL_ENV"], config["RETAIL_LAKE"]) == ("local", "/lake")
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert container["image"] == f"mlops/inference-api:{chart['appVersion']}"  # no registry: an image the cluster has
    assert {"name": "lake", "mountPath": "/lake", "readOnly": True} in container["volumeMounts"]
    assert "nodeSelector" not in pod


def test_lint_is_clean_with_the_defaults_and_the_aws_values(infra_python):
    for name, (files, set_values) in VALUE_SETS.items():
        result = render(infra_python, files, set_values, lint=True)
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)["lint"]
        assert report["total_charts_linted"] == 1 and not report["errors"], (name, report)
        assert all(m["severity"] < 2 for m in report["messages"]), (name, report["messages"])


@pytest.mark.parametrize("kube_version", ["1.30.0", "1.35.0"])
@pytest.mark.parametrize("value_set", list(VALUE_SETS))
def test_manifests_validate_strictly(rendered, tool, value_set, kube_version):
    files = sorted(str(p) for p in rendered[value_set]["dir"].glob("*.yaml"))
    result = subprocess.run(
        [tool("kubernetes-validate"), "--strict", "--quiet", "-k", kube_version, *files],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("value_set", list(VALUE_SETS))
def test_hpa_spans_two_to_ten_replicas_on_cpu(rendered, value_set):
    hpa = rendered[value_set]["objects"]["HorizontalPodAutoscaler"]["spec"]
    assert 2 <= hpa["minReplicas"] <= hpa["maxReplicas"] <= 10
    assert hpa["metrics"][0]["resource"]["name"] == "cpu"
    deployment = rendered[value_set]["objects"]["Deployment"]["spec"]
    assert "replicas" not in deployment, "the HPA owns the replica count"


def test_prod_allows_ten_replicas(rendered):
    hpa = rendered["prod"]["objects"]["HorizontalPodAutoscaler"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 10)
    assert rendered["default"]["objects"]["HorizontalPodAutoscaler"]["spec"]["minReplicas"] == 2


@pytest.mark.parametrize("value_set", list(VALUE_SETS))
def test_probes_security_and_shutdown(rendered, value_set):
    pod = rendered[value_set]["objects"]["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["ports"][0]["containerPort"] == 8000
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] >= 10000
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert container["resources"]["requests"] and container["resources"]["limits"]
    # Graceful shutdown: the preStop pause fits inside the grace period.
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][1])
    assert 0 < pause < pod["terminationGracePeriodSeconds"]


@pytest.mark.parametrize("value_set", AWS_SETS)
def test_irsa_annotation_and_model_location(rendered, value_set):
    objects = rendered[value_set]["objects"]
    env = "prod" if value_set == "prod" else "dev"
    sa = objects["ServiceAccount"]
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == (
        f"arn:aws:iam::111122223333:role/mlops-{env}-inference-api"
    )
    assert objects["Deployment"]["spec"]["template"]["spec"]["serviceAccountName"] == sa["metadata"]["name"]
    config = objects["ConfigMap"]["data"]
    assert config["RETAIL_ENV"] == "aws"
    assert config["RETAIL_LAKE"] == f"s3://mlops-{env}-retail" and "RETAIL_REGISTRY_URI" not in config


@pytest.mark.parametrize("value_set", AWS_SETS)
def test_ingress_is_an_https_alb_checking_readiness(rendered, value_set):
    ingress = rendered[value_set]["objects"]["Ingress"]
    notes = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert notes["alb.ingress.kubernetes.io/certificate-arn"].startswith("arn:aws:acm:")
    assert '"HTTPS": 443' in notes["alb.ingress.kubernetes.io/listen-ports"]
    assert notes["alb.ingress.kubernetes.io/healthcheck-path"] == "/ready"
    env = "prod" if value_set == "prod" else "dev"
    assert notes["alb.ingress.kubernetes.io/load-balancer-name"] == f"mlops-{env}-api"


def test_aws_install_without_account_fails_with_a_message(infra_python):
    values = {k: v for k, v in INSTALL_VALUES.items() if k != "aws"}
    result = render(infra_python, ["values-dev.yaml"], values)
    assert result.returncode == 1
    assert "aws.accountId is required" in result.stderr


@pytest.mark.parametrize("value_set", list(VALUE_SETS))
def test_checkov_passes_rendered_manifests(rendered, tool, value_set):
    result = subprocess.run(
        [tool("checkov"), "-d", str(rendered[value_set]["dir"]), "--framework", "kubernetes",
         "--skip-download", "-o", "json"],
        capture_output=True, text=True, timeout=300,
    )
    report = json.loads(result.stdout)
    failed = [(c["check_id"], c["resource"]) for c in report["results"].get("failed_checks", [])]
    assert result.returncode == 0 and not failed, failed
    assert report["summary"]["passed"] > 50, report["summary"]
    skipped = {c["check_id"] for c in report["results"].get("skipped_checks", [])}
    assert skipped <= {"CKV_K8S_43"}, skipped


def test_dagster_values_run_user_code_and_runs_on_spot():
    for name in ("values.yaml", "values-prod.yaml"):
        values = yaml.safe_load((REPO / "helm" / "dagster" / name).read_text())
        (deployment,) = values["dagster-user-deployments"]["deployments"]
        assert deployment["codeServerArgs"] == ["-m", "retail_assets.definitions"]
        assert deployment["image"]["repository"].endswith("mlops/pipeline")
        assert deployment["env"]["RETAIL_ENV"] == "aws"
    values = yaml.safe_load((REPO / "helm" / "dagster" / "values.yaml").read_text())
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    pod = values["runLauncher"]["config"]["k8sRunLauncher"]["runK8sConfig"]["podSpecConfig"]
    assert pod["nodeSelector"] == {"workload": "batch"}
    assert {"key": "workload", "operator": "Equal", "value": "batch", "effect": "NoSchedule"} in pod["tolerations"]
    assert values["serviceAccount"]["name"] == values["global"]["serviceAccountName"] == "dagster"
    # Runs take their resources from runK8sConfig, not from the code server's container.
    for name in ("values.yaml", "values-prod.yaml"):
        values = yaml.safe_load((REPO / "helm" / "dagster" / name).read_text())
        (deployment,) = values["dagster-user-deployments"]["deployments"]
        assert deployment["includeConfigInLaunchedRuns"]["enabled"] is False, name
        assert "RETAIL_TRAINING_IMAGE" in deployment["env"], name
        env_vars = values["runLauncher"]["config"]["k8sRunLauncher"]["envVars"]
        assert {v.split("=", 1)[0] for v in env_vars} == set(deployment["env"]), name


# ---- cluster-platform: default StorageClass and the Cluster Autoscaler -------------------

PLATFORM_CHART = REPO / "helm" / "cluster-platform"
PLATFORM_VALUES = {"clusterName": "mlops-dev-eks", "aws": {"accountId": "111122223333"},
                   "storageClass": {"kmsKeyArn": "arn:aws:kms:ap-southeast-1:111122223333:key/example"}}


@pytest.fixture(scope="module")
def platform_chart(infra_python, tmp_path_factory) -> dict:
    args = [infra_python, str(RENDER), str(PLATFORM_CHART), "--namespace", "kube-system",
            "--release", "cluster-platform", "--set-json", json.dumps(PLATFORM_VALUES)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    target = tmp_path_factory.mktemp("chart-platform")
    objects: dict[tuple[str, str], dict] = {}
    for template, text in json.loads(result.stdout)["manifests"].items():
        for doc in yaml.safe_load_all(text):
            if doc:
                objects[(doc["kind"], doc["metadata"]["name"])] = doc
        (target / Path(template).name).write_text(text)
    return {"dir": target, "objects": objects}


def test_default_storage_class_is_encrypted_gp3(platform_chart):
    (sc,) = [o for (kind, _), o in platform_chart["objects"].items() if kind == "StorageClass"]
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert sc["provisioner"] == "ebs.csi.aws.com"
    assert sc["parameters"]["type"] == "gp3" and sc["parameters"]["encrypted"] == "true"
    assert sc["parameters"]["kmsKeyId"] == PLATFORM_VALUES["storageClass"]["kmsKeyArn"]
    assert sc["volumeBindingMode"] == "WaitForFirstConsumer"


def test_cluster_autoscaler_discovers_this_clusters_groups_with_irsa(platform_chart):
    objects = platform_chart["objects"]
    deployment = objects[("Deployment", "cluster-autoscaler")]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    args = container["command"]
    assert "--cloud-provider=aws" in args
    assert ("--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,"
            "k8s.io/cluster-autoscaler/mlops-dev-eks") in args
    assert container["image"].split(":")[-1].startswith("v1.35."), "autoscaler minor = cluster minor"
    sa = objects[("ServiceAccount", "cluster-autoscaler")]
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == (
        "arn:aws:iam::111122223333:role/mlops-dev-eks-cluster-autoscaler")
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "cluster-autoscaler"
    rules = objects[("ClusterRole", "cluster-autoscaler")]["rules"]
    assert not any("*" in r["verbs"] or "*" in r["resources"] for r in rules)
    assert not any("secrets" in r["resources"] for r in rules)


def test_platform_chart_requires_the_cluster_name(infra_python):
    values = {k: v for k, v in PLATFORM_VALUES.items() if k != "clusterName"}
    result = subprocess.run([infra_python, str(RENDER), str(PLATFORM_CHART), "--namespace", "kube-system",
                             "--set-json", json.dumps(values)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "clusterName is required" in result.stderr


@pytest.mark.parametrize("kube_version", ["1.30.0", "1.35.0"])
def test_platform_manifests_validate_strictly(platform_chart, tool, kube_version):
    files = sorted(str(p) for p in platform_chart["dir"].glob("*.yaml"))
    result = subprocess.run([tool("kubernetes-validate"), "--strict", "--quiet", "-k", kube_version, *files],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_passes_platform_manifests(platform_chart, tool):
    result = subprocess.run(
        [tool("checkov"), "-d", str(platform_chart["dir"]), "--framework", "kubernetes", "--skip-download", "-o", "json"],
        capture_output=True, text=True, timeout=300,
    )
    report = json.loads(result.stdout)
    failed = [(c["check_id"], c["resource"]) for c in report["results"].get("failed_checks", [])]
    assert result.returncode == 0 and not failed, failed
    skipped = {c["check_id"] for c in report["results"].get("skipped_checks", [])}
    assert skipped <= {"CKV_K8S_43", "CKV_K8S_38"}, skipped
    assert report["summary"]["passed"] > 100, report["summary"]


def test_runner_scale_sets_run_inside_each_cluster():
    """actions-runner-controller values: one runner scale set per cluster, named as the
    main workflow's runs-on, scaling from zero on the on-demand group."""
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "main.yml").read_text())
    labels = {job["runs-on"] for job in workflow["jobs"].values()} - {"ubuntu-24.04"}
    found = set()
    for env in ("dev", "prod"):
        values = yaml.safe_load((REPO / "helm" / "arc" / f"runners-{env}.yaml").read_text())
        assert values["runnerScaleSetName"] == f"mlops-{env}-deploy"
        assert values["minRunners"] == 0 and 1 <= values["maxRunners"] <= 4
        assert values["githubConfigSecret"] == "arc-github-app"
        pod = values["template"]["spec"]
        assert pod["nodeSelector"] == {"workload": "api"}
        assert pod["securityContext"]["runAsNonRoot"] is True
        found.add(values["runnerScaleSetName"])
    assert found == labels
