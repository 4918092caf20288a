"""Terraform: formatting, env roots that validate, and the lake/KMS/IAM modules applied
for real against moto and inspected with boto3."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_ENVS = ("dev", "prod")
INFRA = REPO / "infra"
MOTO_ROOT = REPO / "tests" / "infra" / "moto_root"


def test_terraform_files_are_formatted(terraform_cli_config):
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", str(INFRA), str(MOTO_ROOT)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("env", TERRAFORM_ENVS)
def test_env_root_validates(terraform, env):
    root = INFRA / "envs" / env
    # readonly: the committed lock file must already match the mirror; nothing is written.
    terraform("init", "-backend=false", "-lockfile=readonly", cwd=root)
    result = terraform("validate", "-json", cwd=root)
    report = json.loads(result.stdout)
    assert report["valid"], report["diagnostics"]
    assert report["warning_count"] == 0, report["diagnostics"]


@pytest.mark.parametrize("env", TERRAFORM_ENVS)
def test_backend_is_s3_with_native_locking(env):
    backend = (INFRA / "envs" / env / "backend.tf").read_text()
    assert 'backend "s3"' in backend
    assert "use_lockfile = true" in backend
    assert f'key          = "envs/{env}/terraform.tfstate"' in backend
    assert "dynamodb_table" not in backend


@pytest.mark.parametrize("env", TERRAFORM_ENVS)
def test_provider_tags_everything(env):
    providers = (INFRA / "envs" / env / "providers.tf").read_text()
    assert 'region = "ap-southeast-1"' in providers
    for tag in ("Project", "Environment", "Component", "Owner", "CostCenter"):
        assert f"{tag} " in providers, f"default_tags lacks {tag}"


@pytest.fixture(scope="module")
def applied_lake(moto_root_applied):
    """moto_root as applied for the session (conftest), plus a second plan that shows what
    does not converge."""
    run, state, var = moto_root_applied["run"], moto_root_applied["state"], moto_root_applied["var"]
    replan = str(moto_root_applied["tmp"] / "replan.bin")
    run("plan", "-lock=false", f"-state={state}", "-var", var, f"-out={replan}")
    changes = json.loads(run("show", "-json", replan).stdout).get("resource_changes", [])
    return {**moto_root_applied, "replan_changes": changes}


def _client(applied, service):
    return boto3.client(
        service,
        endpoint_url=applied["endpoint"],
        region_name="ap-southeast-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_lake_bucket_is_kms_encrypted_versioned_and_private(applied_lake):
    s3 = _client(applied_lake, "s3")
    bucket = applied_lake["outputs"]["bucket_name"]
    assert bucket == "mlops-test-retail"

    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    default = rule["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms"
    assert default["KMSMasterKeyID"] == applied_lake["outputs"]["kms_key_arn"]

    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"

    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }


def test_lake_bucket_policy_denies_plain_http(applied_lake):
    s3 = _client(applied_lake, "s3")
    policy = json.loads(s3.get_bucket_policy(Bucket=applied_lake["outputs"]["bucket_name"])["Policy"])
    deny_http = [
        s
        for s in policy["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
    ]
    assert deny_http, policy


def test_lake_lifecycle_tiers_raw_and_archives_artifacts_and_logs(applied_lake):
    s3 = _client(applied_lake, "s3")
    rules = s3.get_bucket_lifecycle_configuration(Bucket=applied_lake["outputs"]["bucket_name"])["Rules"]
    by_prefix = {r.get("Filter", {}).get("Prefix", ""): r for r in rules}
    assert by_prefix["retail/raw/"]["Transitions"][0]["StorageClass"] == "INTELLIGENT_TIERING"
    assert by_prefix["retail/artifacts/models/"]["Transitions"][0]["StorageClass"] == "GLACIER_IR"
    assert by_prefix["logs/"]["Transitions"][0]["StorageClass"] == "GLACIER"


def test_lake_access_is_logged_to_the_log_bucket(applied_lake):
    s3 = _client(applied_lake, "s3")
    logging = s3.get_bucket_logging(Bucket=applied_lake["outputs"]["bucket_name"])["LoggingEnabled"]
    assert logging["TargetBucket"] == applied_lake["outputs"]["log_bucket_name"]


def test_kms_key_rotates(applied_lake):
    kms = _client(applied_lake, "kms")
    key_id = applied_lake["outputs"]["kms_key_arn"].rsplit("/", 1)[1]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True


def _inline_policy(iam, role_arn: str) -> dict:
    role = role_arn.rsplit("/", 1)[1]
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    return iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]


def test_api_role_only_reads_model_artifacts(applied_lake):
    iam = _client(applied_lake, "iam")
    policy = _inline_policy(iam, applied_lake["outputs"]["api_role_arn"])
    actions = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        acts = statement["Action"]
        actions.update([acts] if isinstance(acts, str) else acts)
        resources = statement["Resource"]
        for resource in [resources] if isinstance(resources, str) else resources:
            assert "retail/artifacts/" in resource or resource.endswith(":::mlops-test-retail") or ":kms:" in resource
    assert actions == {"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "kms:Decrypt"}

    trust = iam.get_role(RoleName="mlops-test-inference-api")["Role"]["AssumeRolePolicyDocument"]
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    assert condition["oidc.eks.ap-southeast-1.amazonaws.com/id/TESTCLUSTER:sub"] == (
        "system:serviceaccount:retail-api:inference-api"
    )


def test_dagster_role_can_submit_sagemaker_training_and_query_athena(applied_lake):
    iam = _client(applied_lake, "iam")
    policy = _inline_policy(iam, applied_lake["outputs"]["dagster_role_arn"])
    actions = set()
    for statement in policy["Statement"]:
        acts = statement["Action"]
        actions.update([acts] if isinstance(acts, str) else acts)
    assert {"s3:PutObject", "athena:StartQueryExecution", "glue:CreateTable", "sagemaker:CreateTrainingJob", "iam:PassRole"} <= actions
    assert not any(a.endswith(":*") for a in actions)


# Attributes moto 5.2 accepts but does not store, so they always show as changed: the KMS
# rotation period, S3 EventBridge notifications and the partitioned access-log key format.
MOTO_UNSTORED = {"rotation_period_in_days", "eventbridge", "target_object_key_format"}


def test_modules_converge_apart_from_moto_gaps(applied_lake):
    drift = {}
    for change in applied_lake["replan_changes"]:
        actions = change["change"]["actions"]
        if actions == ["no-op"] or actions == ["read"]:
            continue
        assert actions == ["update"], f"{change['address']} would be {actions}"
        before, after = change["change"]["before"], change["change"]["after"]
        drift[change["address"]] = {k for k in after if before.get(k) != after.get(k)}
    unexplained = {addr: attrs - MOTO_UNSTORED for addr, attrs in drift.items() if attrs - MOTO_UNSTORED}
    assert not unexplained, unexplained


PLAN_PROVIDER = """
provider "aws" {{
  region                      = "ap-southeast-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  endpoints {{
    ec2 = "{endpoint}"
    ecr = "{endpoint}"
    iam = "{endpoint}"
    sts = "{endpoint}"
  }}
  default_tags {{
    tags = {{ Project = "retail-price-sensitivity", Environment = "{env}", Component = "platform", Owner = var.owner, CostCenter = var.cost_center }}
  }}
}}
"""


@pytest.mark.parametrize("env", TERRAFORM_ENVS)
def test_whole_env_plans(terraform, moto_endpoint, tmp_path, env):
    """The env root's module wiring plans end to end (counts and for_each known at plan
    time, data sources resolvable): a copy of envs/<env> with the provider pointed at moto."""
    if env == "prod":
        # prod looks up the repositories dev owns.
        ecr = boto3.client("ecr", endpoint_url=moto_endpoint, region_name="ap-southeast-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        for name in ("mlops/inference-api", "mlops/pipeline"):
            try:
                ecr.create_repository(repositoryName=name)
            except ecr.exceptions.RepositoryAlreadyExistsException:
                pass
    source = INFRA / "envs" / env
    root = tmp_path / env
    root.mkdir()
    modules = os.path.relpath(INFRA / "modules" / "platform", root)
    (root / "main.tf").write_text((source / "main.tf").read_text().replace("../../modules/platform", modules))
    for name in ("variables.tf", "versions.tf"):
        (root / name).write_text((source / name).read_text())
    (root / "provider.tf").write_text(PLAN_PROVIDER.format(endpoint=moto_endpoint, env=env))
    args = ["-var", "owner=mlops", "-var", "cost_center=test", "-var", "github_repository=org/repo",
            "-var", 'public_access_cidrs=["203.0.113.0/24"]']
    if env == "prod":
        # Looked up in a real account; created here since moto starts empty.
        args += ["-var", "create_github_oidc_provider=true",
                 "-var", "staging_kms_key_arn=arn:aws:kms:ap-southeast-1:123456789012:key/test"]
    terraform("init", cwd=root)
    plan = terraform("plan", "-lock=false", "-no-color", *args, cwd=root)
    out = plan.stdout
    assert "0 to change, 0 to destroy" in out
    assert "aws_eks_node_group.batch" in out
    # Off-hours scale-down exists in dev only.
    assert ("aws_autoscaling_schedule.stop" in out) == (env == "dev")
    # Node autoscaling with scale from zero: the batch ASG carries its label and taint.
    tag = 'module.platform.module.eks.aws_autoscaling_group_tag.node_template["batch|k8s.io/cluster-autoscaler/node-template/'
    assert tag + 'label/workload"]' in out and tag + 'taint/workload"]' in out
    assert '"batch:NoSchedule"' in out
    assert "module.platform.module.eks.aws_iam_role.cluster_autoscaler" in out
    # Resource metrics for the HPA, S3 request metrics for the dashboard.
    assert "module.platform.module.eks.aws_eks_addon.metrics_server" in out
    assert "module.platform.module.lake.aws_s3_bucket_metric.lake[0]" in out
    # One CloudTrail per account: dev's.
    assert ("aws_cloudtrail.main" in out) == (env == "dev")


# ---- names shared with the code, the CI role, the controllers' policies ---------------

def test_code_and_terraform_read_one_names_file():
    """retail_assets/aws_names.json is what infra/modules/names decodes; the lake keys and
    the training-job names the code builds agree with the prefixes IAM grants."""
    from retail_assets import aws_names
    from retail_assets.contract import lake_keys
    from retail_assets.ml.sagemaker_training import job_name

    names = (INFRA / "modules" / "names" / "main.tf").read_text()
    assert 'file("${path.module}/../../../retail_assets/aws_names.json")' in names
    assert job_name().startswith(aws_names.training_job_prefix())
    assert aws_names.lake_prefix("training") == lake_keys.TRAINING
    assert aws_names.lake_prefix("checkpoints").startswith(lake_keys.TRAINING + "/")
    assert aws_names.lake_prefix("models") == lake_keys.MODELS
    assert aws_names.lake_prefix("registry") == lake_keys.REGISTRY
    assert aws_names.lake_prefix("features") == lake_keys.FEATURES
    assert aws_names.lake_prefix("gold") == lake_keys.GOLD
    assert aws_names.name("lake_bucket", "prod") == "mlops-prod-retail"
    from retail_assets.feature_store import feature_group_name

    for deployment in ("dev", "prod"):
        lake = f"s3://{aws_names.name('lake_bucket', deployment)}"
        assert feature_group_name(lake) == aws_names.name("feature_group", deployment)


def test_prod_ci_role_cannot_push_images_and_trusts_repo_branch_and_environment(applied_lake):
    """moto_root's CI role is built as prod's: pull only, and a sub claim pinned to the
    repository, main and the listed environments."""
    iam = _client(applied_lake, "iam")
    role = applied_lake["outputs"]["ci_role_arn"].rsplit("/", 1)[1]
    policy = _inline_policy(iam, applied_lake["outputs"]["ci_role_arn"])
    actions = set()
    for statement in policy["Statement"]:
        acts = statement["Action"]
        actions.update([acts] if isinstance(acts, str) else acts)
    assert "ecr:BatchGetImage" in actions
    assert not {"ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"} & actions
    (statement,) = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]["Statement"]
    subjects = statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
    assert sorted([subjects] if isinstance(subjects, str) else subjects) == [
        "repo:org/repo:environment:production-rollout:ref:refs/heads/main",
        "repo:org/repo:environment:production:ref:refs/heads/main",
    ]
    assert "StringLike" not in statement["Condition"], "no wildcard subjects"


def _policy_statements(infra_python: str, path: Path, name: str) -> list[dict]:
    """The statements of data.aws_iam_policy_document.<name> in a .tf file, via the HCL
    parser checkov brings (in .venv-infra)."""
    script = (
        "import hcl2, json, sys\n"
        "doc = hcl2.load(open(sys.argv[1]))\n"
        "for block in doc['data']:\n"
        "    if sys.argv[2] in block.get('aws_iam_policy_document', {}):\n"
        "        print(json.dumps(block['aws_iam_policy_document'][sys.argv[2]]['statement']))\n"
    )
    result = subprocess.run([infra_python, "-c", script, str(path), name], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _flat(value) -> list:
    out = []
    for v in value if isinstance(value, list) else [value]:
        out += _flat(v) if isinstance(v, list) else [v]
    return out


READ_ONLY = ("Describe", "Get", "List")


def test_lb_controller_writes_are_scoped_and_vpc_condition_can_match(infra_python):
    statements = _policy_statements(infra_python, INFRA / "modules" / "eks" / "lb_controller.tf", "lb_controller")
    for st in statements:
        actions = _flat(st["actions"])
        resources = _flat(st["resources"])
        conditions = st.get("condition", [])
        writes = [a for a in actions if not a.split(":", 1)[1].startswith(READ_ONLY)]
        if writes and "*" in resources:
            assert conditions, f"{st['sid']}: write actions on * without a condition"
        for c in conditions:
            test, values = _flat(c["test"])[0], _flat(c["values"])
            if test.startswith("String") and not test.endswith("Like"):
                assert not any("*" in v for v in values), f"{st['sid']}: {test} never matches a wildcard"
    vpc = next(st for st in statements if _flat(st["sid"]) == ["OpenPathToPods"])
    (condition,) = vpc["condition"]
    assert _flat(condition["variable"]) == ["ec2:Vpc"] and _flat(condition["test"])[0] in ("ArnEquals", "ArnLike")


def test_cluster_autoscaler_may_only_scale_this_clusters_groups(infra_python):
    statements = _policy_statements(infra_python, INFRA / "modules" / "eks" / "autoscaler.tf", "cluster_autoscaler")
    scale = next(st for st in statements if _flat(st["sid"]) == ["ScaleOwnGroups"])
    assert set(_flat(scale["actions"])) == {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}
    (condition,) = scale["condition"]
    assert _flat(condition["variable"]) == ["aws:ResourceTag/${local.autoscaler_tag}/${local.cluster_name}"]
    for st in statements:
        writes = [a for a in _flat(st["actions"]) if not a.split(":", 1)[1].startswith(READ_ONLY)]
        assert not writes or st is scale, st
