# Test root: the lake, KMS, log-bucket, SageMaker registry, IAM and CI-role modules applied
# against a local moto server. Only the provider's endpoints differ from a real
# environment. The names (bucket, group, job prefix) come from retail_assets/aws_names.json
# with deployment "test".
terraform {
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

variable "endpoint" {
  description = "URL of the moto server, e.g. http://127.0.0.1:5000"
  type        = string
}

provider "aws" {
  region                      = "ap-southeast-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {
    iam       = var.endpoint
    kms       = var.endpoint
    s3        = var.endpoint
    sagemaker = var.endpoint
    sts       = var.endpoint
  }

  default_tags {
    tags = {
      Project     = "retail-price-sensitivity"
      Environment = "test"
      Component   = "platform"
      Owner       = "mlops"
      CostCenter  = "test"
    }
  }
}

module "names" {
  source     = "../../../infra/modules/names"
  deployment = "test"
}

locals {
  name_prefix = module.names.name_prefix
}

module "kms" {
  source                  = "../../../infra/modules/kms"
  name_prefix             = local.name_prefix
  deletion_window_in_days = 7
}

module "logs" {
  source        = "../../../infra/modules/log_bucket"
  name_prefix   = local.name_prefix
  trail_name    = "${local.name_prefix}-trail"
  force_destroy = true
}

module "lake" {
  source            = "../../../infra/modules/data_lake"
  deployment        = "test"
  kms_key_arn       = module.kms.key_arn
  access_log_bucket = module.logs.bucket_name
  force_destroy     = true
  # moto has no PutBucketMetricsConfiguration.
  request_metrics = false
}

# Stands in for the EKS cluster's OIDC provider so the IRSA trust policies are real.
resource "aws_iam_openid_connect_provider" "cluster" {
  url            = "https://oidc.eks.ap-southeast-1.amazonaws.com/id/TESTCLUSTER"
  client_id_list = ["sts.amazonaws.com"]
}

module "registry" {
  source     = "../../../infra/modules/sagemaker"
  deployment = "test"
}

module "iam" {
  source                  = "../../../infra/modules/iam"
  name_prefix             = local.name_prefix
  deployment              = "test"
  lake_bucket_arn         = module.lake.bucket_arn
  kms_key_arn             = module.kms.key_arn
  oidc_provider_arn       = aws_iam_openid_connect_provider.cluster.arn
  oidc_issuer             = aws_iam_openid_connect_provider.cluster.url
  athena_workgroup_name   = "${local.name_prefix}-retail"
  glue_database_name      = "mlops_test_retail"
  pipeline_repository_arn = "arn:aws:ecr:ap-southeast-1:123456789012:repository/mlops/pipeline"
}

# The CI role as prod has it: no image push, registry changes on its own group.
module "ci" {
  source                  = "../../../infra/modules/github_oidc"
  name_prefix             = local.name_prefix
  github_repository       = "org/repo"
  environments            = ["production", "production-rollout"]
  allow_ecr_push          = false
  create_provider         = true
  ecr_repository_arns     = ["arn:aws:ecr:ap-southeast-1:123456789012:repository/mlops/pipeline"]
  cluster_arn             = "arn:aws:eks:ap-southeast-1:123456789012:cluster/${local.name_prefix}-eks"
  lake_bucket_arn         = module.lake.bucket_arn
  kms_key_arns            = [module.kms.key_arn]
  model_package_group_arn = module.registry.model_package_group_arn
}

output "bucket_name" {
  value = module.lake.bucket_name
}

output "log_bucket_name" {
  value = module.logs.bucket_name
}

output "kms_key_arn" {
  value = module.kms.key_arn
}

output "api_role_arn" {
  value = module.iam.api_role_arn
}

output "dagster_role_arn" {
  value = module.iam.dagster_role_arn
}

output "sagemaker_role_arn" {
  value = module.iam.sagemaker_execution_role_arn
}

output "ci_role_arn" {
  value = module.ci.role_arn
}

output "model_package_group" {
  value = module.registry.model_package_group_name
}

output "training_job_prefix" {
  value = module.names.training_job_prefix
}
