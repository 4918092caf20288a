#!/usr/bin/env bash
# Removes one environment in dependency order:
#   1. Helm releases, so the AWS Load Balancer Controller deletes the ALB, its target
#      groups and security groups, and Dagster's PVC releases its EBS volume (terraform
#      knows none of these, and they would block the VPC and subnet deletion);
#   2. the load balancer controller itself, once nothing it manages is left;
#   3. the lake's object versions when the environment allows force-destroy (dev);
#   4. terraform destroy of the environment (EKS, VPC, IAM, buckets, KMS schedule...).
# The state bucket (bootstrap-state.sh) is kept.
#
#   infra/bin/teardown.sh dev|prod [--yes]
# prod asks for the environment name to be typed back, and its lake bucket must be emptied
# by hand first (force_destroy is off there on purpose).
set -euo pipefail

env=${1:?usage: teardown.sh dev|prod [--yes]}
[[ "$env" == dev || "$env" == prod ]] || { echo "unknown environment: $env" >&2; exit 2; }
assume_yes=${2:-}
region=ap-southeast-1
cluster="mlops-$env-eks"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# dev owns the account's ECR repositories (envs/prod looks them up): removing dev while
# prod runs would delete the images prod pulls.
if [[ "$env" == dev ]] && aws eks describe-cluster --name mlops-prod-eks --region "$region" >/dev/null 2>&1; then
  echo "prod is still up and uses dev's ECR repositories; tear prod down first" >&2
  exit 1
fi

if [[ "$assume_yes" != "--yes" || "$env" == prod ]]; then
  read -r -p "Type '$env' to destroy the $env environment: " answer
  [[ "$answer" == "$env" ]] || { echo "aborted" >&2; exit 1; }
fi

echo "== 1/4 Helm releases on $cluster"
if aws eks describe-cluster --name "$cluster" --region "$region" >/dev/null 2>&1; then
  aws eks update-kubeconfig --name "$cluster" --region "$region" --alias "$cluster" >/dev/null
  helm uninstall inference-api --namespace retail-api --kube-context "$cluster" --wait --ignore-not-found
  helm uninstall dagster --namespace dagster --kube-context "$cluster" --wait --ignore-not-found
  kubectl --context "$cluster" delete pvc --all --namespace dagster --ignore-not-found --wait=true
  # The ALB is deleted asynchronously by the controller; wait until it is gone.
  for _ in $(seq 1 60); do
    if ! aws elbv2 describe-load-balancers --names "mlops-$env-api" --region "$region" >/dev/null 2>&1; then
      break
    fi
    sleep 10
  done
  echo "== 2/4 load balancer controller"
  helm uninstall aws-load-balancer-controller --namespace kube-system --kube-context "$cluster" --wait --ignore-not-found
else
  echo "cluster $cluster not found; skipping Kubernetes clean-up"
fi

echo "== 3/4 lake object versions"
if [[ "$env" == dev ]]; then
  bucket="mlops-$env-retail"
  if aws s3api head-bucket --bucket "$bucket" 2>/dev/null; then
    # force_destroy deletes versions too, but emptying first keeps destroy within its timeout.
    aws s3 rm "s3://$bucket" --recursive --only-show-errors
  fi
else
  echo "prod: the lake is not emptied by this script (force_destroy is off)"
fi

echo "== 4/4 terraform destroy"
terraform -chdir="$root/envs/$env" init -input=false >/dev/null
terraform -chdir="$root/envs/$env" destroy -input=false ${assume_yes:+-auto-approve}
