# One environment of the platform. envs/dev and envs/prod call this with their sizes;
# everything that differs between them is an input here.
# Every name the code also uses (bucket, model package group, job prefix, namespaces)
# comes from retail_assets/aws_names.json.
module "names" {
  source     = "../names"
  deployment = var.environment
}

# The environment CI promotes models from (prod imports what staging validated).
module "source_names" {
  source     = "../names"
  count      = var.promote_from == null ? 0 : 1
  deployment = var.promote_from
}

locals {
  partition               = data.aws_partition.current.partition
  account_id              = data.aws_caller_identity.current.account_id
  region                  = data.aws_region.current.name
  source_lake_bucket_arns = [for n in module.source_names : "arn:${local.partition}:s3:::${n.lake_bucket}"]
  source_group_arns = [
    for n in module.source_names : "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}:model-package-group/${n.model_package_group}"
  ]
  name_prefix  = module.names.name_prefix
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
  deployment        = var.environment
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
  source                          = "../github_oidc"
  name_prefix                     = local.name_prefix
  github_repository               = var.github_repository
  environments                    = var.ci_environments
  allow_ecr_push                  = var.ci_pushes_images
  source_model_package_group_arns = local.source_group_arns
  create_provider                 = var.create_github_oidc_provider
  ecr_repository_arns             = values(module.ecr.repository_arns)
  cluster_arn                     = "arn:${local.partition}:eks:${local.region}:${local.account_id}:cluster/${local.cluster_name}"
  lake_bucket_arn                 = module.lake.bucket_arn
  source_lake_bucket_arns         = local.source_lake_bucket_arns
  kms_key_arns                    = concat([module.kms.key_arn], var.source_kms_key_arns)
  model_package_group_arn         = module.sagemaker.model_package_group_arn
}

module "eks" {
  source              = "../eks"
  name_prefix         = local.name_prefix
  kubernetes_version  = var.kubernetes_version
  vpc_id              = module.network.vpc_id
  load_balancer_names = [local.api_lb_name]
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
  source     = "../sagemaker"
  deployment = var.environment
}

module "iam" {
  source                  = "../iam"
  name_prefix             = local.name_prefix
  deployment              = var.environment
  lake_bucket_arn         = module.lake.bucket_arn
  kms_key_arn             = module.kms.key_arn
  oidc_provider_arn       = module.eks.oidc_provider_arn
  oidc_issuer             = module.eks.oidc_issuer
  athena_workgroup_name   = module.analytics.workgroup_name
  glue_database_name      = module.analytics.glue_database_name
  pipeline_repository_arn = module.ecr.repository_arns["mlops/pipeline"]
}

# One trail per account (multi-region, every management event): the environment that
# owns the account's shared pieces creates it and records writes to every lake in it.
module "cloudtrail" {
  source           = "../cloudtrail"
  count            = var.create_cloudtrail ? 1 : 0
  name_prefix      = local.name_prefix
  trail_name       = local.trail_name
  log_bucket_name  = module.logs.bucket_name
  kms_key_arn      = module.kms.key_arn
  lake_bucket_arns = distinct(concat([module.lake.bucket_arn], var.trail_other_lake_bucket_arns))
}

module "monitoring" {
  source                 = "../monitoring"
  name_prefix            = local.name_prefix
  environment            = var.environment
  kms_key_arn            = module.kms.key_arn
  alert_emails           = var.alert_emails
  api_load_balancer_name = local.api_lb_name
  lake_bucket_name       = module.lake.bucket_name
  lake_metrics_filter_id = module.lake.request_metrics_filter_id
  alarm_on_alb           = var.alarm_on_alb
  min_accuracy           = var.min_accuracy
  monthly_budget_usd     = var.monthly_budget_usd
}
