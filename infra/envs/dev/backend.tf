# State bucket made once by infra/bin/bootstrap-state.sh. The lock is a .tflock object
# next to the state (S3 conditional writes), so no DynamoDB table is needed.
terraform {
  backend "s3" {
    bucket       = "mlops-terraform-state-apse1"
    key          = "envs/dev/terraform.tfstate"
    region       = "ap-southeast-1"
    encrypt      = true
    use_lockfile = true
  }
}
