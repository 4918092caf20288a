"""Write the install-time values of the Dagster release for one environment (YAML on
stdout), so that the code location and every run it launches get the same image and
settings:

    dagster_install_values.py --env dev --account 111122223333 --tag <git sha> > dagster-install.yaml
    helm upgrade --install dagster dagster/dagster -f helm/dagster/values.yaml \
        [-f helm/dagster/values-prod.yaml] -f dagster-install.yaml

It reads helm/dagster/values.yaml (and values-prod.yaml for prod) and fills in the pipeline
image (also RETAIL_TRAINING_IMAGE: SageMaker training jobs run the same image), the
SageMaker execution role and the IRSA role, Terraform's names for the environment. Helm
replaces lists whole, so the deployments list and the run launcher's envVars are written
out in full. Needs PyYAML.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
VALUES = REPO / "helm" / "dagster"
REGION = "ap-southeast-1"


def deep_merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        out[key] = deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def chart_values(env: str) -> dict:
    values = yaml.safe_load((VALUES / "values.yaml").read_text())
    if env == "prod":
        values = deep_merge(values, yaml.safe_load((VALUES / "values-prod.yaml").read_text()))
    return values


def install_values(env: str, account: str, tag: str, region: str = REGION) -> dict:
    values = chart_values(env)
    registry = f"{account}.dkr.ecr.{region}.amazonaws.com"
    image = f"{registry}/mlops/pipeline:{tag}"
    filled = {
        "RETAIL_TRAINING_IMAGE": image,
        "RETAIL_SAGEMAKER_ROLE_ARN": f"arn:aws:iam::{account}:role/mlops-{env}-sagemaker-execution",
    }
    deployments = copy.deepcopy(values["dagster-user-deployments"]["deployments"])
    for deployment in deployments:
        deployment["image"] = {**deployment["image"], "repository": f"{registry}/mlops/pipeline", "tag": tag}
        deployment["env"] = {**deployment.get("env", {}), **filled}
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    env_vars = []
    for item in launcher.get("envVars", []):
        key = item.split("=", 1)[0]
        env_vars.append(f"{key}={filled[key]}" if key in filled else item)
    missing = [k for k in filled if not any(v.startswith(f"{k}=") for v in env_vars)]
    env_vars += [f"{k}={filled[k]}" for k in missing]
    return {
        "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": f"arn:aws:iam::{account}:role/mlops-{env}-dagster"}},
        "dagster-user-deployments": {"deployments": deployments},
        "runLauncher": {"config": {"k8sRunLauncher": {"envVars": env_vars}}},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True, choices=["dev", "prod"])
    parser.add_argument("--account", required=True)
    parser.add_argument("--tag", required=True, help="git sha of the pipeline image")
    parser.add_argument("--region", default=REGION)
    args = parser.parse_args(argv)
    yaml.safe_dump(install_values(args.env, args.account, args.tag, args.region), sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
