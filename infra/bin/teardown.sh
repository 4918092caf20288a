#!/usr/bin/env bash
# Removes one environment in dependency order:
#   1. Helm releases, so the AWS Load Balancer Controller deletes the ALB, its target
#      groups and security groups, and Dagster's PVC releases its EBS volume (terraform
#      knows none of these, and they would block the VPC and subnet deletion). prod's ALB
#      has deletion protection on: it is switched off first (through the release, so the
#      controller does not turn it back on, and on the ALB itself), or the controller
#      could never delete it;
#   2. the controllers themselves (CI runners, autoscaler, load balancer controller), once
#      nothing they manage is left;
#   3. every object version and delete marker of the environment's versioned buckets (lake
#      and logs): `terraform destroy` cannot delete a bucket that still holds versions;
#   4. terraform destroy of the environment (EKS, VPC, IAM, buckets, KMS schedule...).
# The state bucket (bootstrap-state.sh) is kept.
#
#   infra/bin/teardown.sh dev|prod [--yes]
# prod always asks for the environment name, and again for each bucket before deleting its
# data; --yes skips dev's questions only.
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

alb="mlops-$env-api"
alb_arn() {
  aws elbv2 describe-load-balancers --names "$alb" --region "$region" \
    --query 'LoadBalancers[0].LoadBalancerArn' --output text 2>/dev/null || true
}

echo "== 1/4 Helm releases on $cluster"
if aws eks describe-cluster --name "$cluster" --region "$region" >/dev/null 2>&1; then
  aws eks update-kubeconfig --name "$cluster" --region "$region" --alias "$cluster" >/dev/null
  arn=$(alb_arn)
  if [[ -n "$arn" && "$arn" != None ]]; then
    # The Ingress asks for deletion protection in prod; take it off in the release first
    # (the controller reconciles the attribute from the annotation), then on the ALB.
    if helm status inference-api --namespace retail-api --kube-context "$cluster" >/dev/null 2>&1; then
      helm upgrade inference-api "$root/../helm/inference-api" --namespace retail-api --kube-context "$cluster" \
        --reuse-values --set ingress.deletionProtection=false --wait --timeout 10m
    fi
    aws elbv2 modify-load-balancer-attributes --load-balancer-arn "$arn" --region "$region" \
      --attributes Key=deletion_protection.enabled,Value=false >/dev/null
  fi
  helm uninstall inference-api --namespace retail-api --kube-context "$cluster" --wait --ignore-not-found
  helm uninstall dagster --namespace dagster --kube-context "$cluster" --wait --ignore-not-found
  kubectl --context "$cluster" delete pvc --all --namespace dagster --ignore-not-found --wait=true
  # The ALB is deleted asynchronously by the controller; wait until it is gone.
  gone=false
  for _ in $(seq 1 60); do
    if ! aws elbv2 describe-load-balancers --names "$alb" --region "$region" >/dev/null 2>&1; then
      gone=true
      break
    fi
    sleep 10
  done
  if [[ "$gone" != true ]]; then
    echo "ALB $alb still exists after 10 minutes (deletion protection? controller logs: kubectl -n kube-system logs deploy/aws-load-balancer-controller); stopping before terraform destroy" >&2
    exit 1
  fi
  echo "== 2/4 controllers"
  helm uninstall "mlops-$env-deploy" --namespace arc-runners --kube-context "$cluster" --wait --ignore-not-found
  helm uninstall arc --namespace arc-systems --kube-context "$cluster" --wait --ignore-not-found
  helm uninstall cluster-platform --namespace kube-system --kube-context "$cluster" --wait --ignore-not-found
  helm uninstall aws-load-balancer-controller --namespace kube-system --kube-context "$cluster" --wait --ignore-not-found
else
  echo "cluster $cluster not found; skipping Kubernetes clean-up"
fi

echo "== 3/4 every version in the versioned buckets"
python=${PYTHON:-python3}
for bucket in "mlops-$env-retail" "mlops-$env-logs"; do
  if ! aws s3api head-bucket --bucket "$bucket" 2>/dev/null; then
    echo "$bucket: not found"
    continue
  fi
  if [[ "$env" == prod ]]; then
    read -r -p "Type 'delete $bucket' to delete every version of every object in it: " answer
    [[ "$answer" == "delete $bucket" ]] || { echo "aborted: $bucket kept, nothing destroyed" >&2; exit 1; }
  fi
  "$python" "$root/bin/empty_bucket.py" "$bucket" --region "$region"
done

echo "== 4/4 terraform destroy"
terraform -chdir="$root/envs/$env" init -input=false >/dev/null
terraform -chdir="$root/envs/$env" destroy -input=false ${assume_yes:+-auto-approve}
