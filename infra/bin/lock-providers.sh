#!/usr/bin/env bash
# Records the AWS provider's checksums for every platform people and CI run Terraform on,
# in each root's .terraform.lock.hcl (then commit them). Needs the Terraform registry:
# the offline mirror in /opt/tf-plugins holds linux_amd64 only, so there the lock files
# carry that platform's h1: hash alone and `terraform init` on a Mac would refuse them.
#
#   infra/bin/lock-providers.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
platforms=(-platform=linux_amd64 -platform=linux_arm64 -platform=darwin_amd64 -platform=darwin_arm64)
for root in infra/envs/dev infra/envs/prod tests/infra/moto_root; do
  echo "== $root"
  terraform -chdir="$repo/$root" providers lock "${platforms[@]}"
done
