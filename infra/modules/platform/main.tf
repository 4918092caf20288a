# One environment of the platform. envs/dev and envs/prod call this with their sizes;
# everything that differs between them is an input here.
locals {
  name_prefix  = "mlops-${var.environment}"
  cluster_name = "${local.name_prefix}-eks"
  trail_name   = "${local.name_prefix}-trail"
  # The inference API Ingress pins its ALB to this name (helm values), so the dashboard
  # and alarms can find it.
  api_lb_name = "${local.name_prefix}-api"
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

module "kms" {
  source                  = "../kms"
  name_prefix             = local.name_prefix
  deletion_window_in_days = var.kms_deletion_window_in_days
}

module "logs" {
  source        = "../log_bucket"
  name_prefix   = local.name_prefix
  trail_name    = local.trail_name
  force_destroy = var.force_destroy
}

module "lake" {
  source            = "../data_lake"
  name_prefix       = local.name_prefix
  kms_key_arn       = module.kms.key_arn
  access_log_bucket = module.logs.bucket_name
  force_destroy     = var.force_destroy
}

module "network" {
  source              = "../network"
  name_prefix         = local.name_prefix
  cidr_block          = var.vpc_cidr
  availability_zones  = var.availability_zones
  single_nat_gateway  = var.single_nat_gateway
  cluster_name        = local.cluster_name
  flow_log_bucket_arn = module.logs.bucket_arn
}

module "ecr" {
  source       = "../ecr"
  create       = var.create_ecr_repositories
  kms_key_arn  = module.kms.key_arn
  force_delete = var.force_destroy
}

module "ci" {
  source                  = "../github_oidc"
  name_prefix             = local.name_prefix
  github_repository       = var.github_repository
  allowed_subjects        = var.ci_allowed_subjects
  create_provider         = var.create_github_oidc_provider
  ecr_repository_arns     = values(module.ecr.repository_arns)
  cluster_arn             = "arn:${data.aws_partition.current.partition}:eks:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:cluster/${local.cluster_name}"
  lake_bucket_arn         = module.lake.bucket_arn
  source_lake_bucket_arns = var.source_lake_bucket_arns
  kms_key_arns            = concat([module.kms.key_arn], var.source_kms_key_arns)
  model_package_group_arn = module.sagemaker.model_package_group_arn
}

module "eks" {
  source              = "../eks"
  name_prefix         = local.name_prefix
  kubernetes_version  = var.kubernetes_version
  vpc_id              = module.network.vpc_id
  private_subnet_ids  = module.network.private_subnet_ids
  kms_key_arn         = module.kms.key_arn
  public_access_cidrs = var.public_access_cidrs
  api_node_group      = var.api_node_group
  batch_node_group    = var.batch_node_group
  off_hours           = var.off_hours
  admin_role_arns     = var.admin_role_arns
  deployer_role_arns  = [module.ci.role_arn]
}

module "analytics" {
  source                         = "../analytics"
  name_prefix                    = local.name_prefix
  lake_bucket_name               = module.lake.bucket_name
  kms_key_arn                    = module.kms.key_arn
  bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff
}

module "sagemaker" {
  source      = "../sagemaker"
  name_prefix = local.name_prefix
}

module "iam" {
  source                   = "../iam"
  name_prefix              = local.name_prefix
  lake_bucket_arn          = module.lake.bucket_arn
  kms_key_arn              = module.kms.key_arn
  oidc_provider_arn        = module.eks.oidc_provider_arn
  oidc_issuer              = module.eks.oidc_issuer
  athena_workgroup_name    = module.analytics.workgroup_name
  glue_database_name       = module.analytics.glue_database_name
  model_package_group_name = module.sagemaker.model_package_group_name
  pipeline_repository_arn  = module.ecr.repository_arns["mlops/pipeline"]
}

module "cloudtrail" {
  source          = "../cloudtrail"
  name_prefix     = local.name_prefix
  trail_name      = local.trail_name
  log_bucket_name = module.logs.bucket_name
  kms_key_arn     = module.kms.key_arn
  lake_bucket_arn = module.lake.bucket_arn
}

module "monitoring" {
  source                 = "../monitoring"
  name_prefix            = local.name_prefix
  environment            = var.environment
  kms_key_arn            = module.kms.key_arn
  alert_emails           = var.alert_emails
  api_load_balancer_name = local.api_lb_name
  alarm_on_alb           = var.alarm_on_alb
  min_accuracy           = var.min_accuracy
  monthly_budget_usd     = var.monthly_budget_usd
}
