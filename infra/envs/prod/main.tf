# prod: three AZs with a NAT gateway each, on-demand API capacity for 10 replicas, no
# off-hours schedule, and data kept on destroy.
module "platform" {
  source = "../../modules/platform"

  environment        = "prod"
  vpc_cidr           = "10.50.0.0/16"
  availability_zones = ["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"]
  single_nat_gateway = false

  public_access_cidrs = var.public_access_cidrs
  admin_role_arns     = var.admin_role_arns

  api_node_group = {
    instance_types = ["m6i.large"]
    min_size       = 3
    desired_size   = 3
    max_size       = 6
  }
  batch_node_group = {
    instance_types = ["m6i.xlarge", "m5.xlarge", "m6a.xlarge", "m5a.xlarge"]
    min_size       = 0
    desired_size   = 0
    max_size       = 6
  }
  off_hours = {
    enabled    = false
    stop_cron  = "0 20 * * MON-FRI"
    start_cron = "0 8 * * MON-FRI"
    time_zone  = "Asia/Singapore"
  }

  github_repository = var.github_repository
  # "production" (required reviewers) gates the deploy; the promote / verify / rollback
  # jobs that follow in the same run use "production-rollout" (main only, no reviewers) so
  # that a rollback never waits for a human (docs/aws.md).
  ci_environments  = ["production", "production-rollout"]
  ci_pushes_images = false
  # dev created the account's GitHub OIDC provider (same account assumed; set true if not).
  create_github_oidc_provider = var.create_github_oidc_provider
  promote_from                = "dev"
  # Same account as dev: dev owns the ECR repositories and prod deploys the very image
  # that passed staging.
  create_ecr_repositories = false
  source_kms_key_arns     = [var.staging_kms_key_arn]
  # dev created the account's one CloudTrail (set true with one account per environment).
  create_cloudtrail = var.create_cloudtrail

  athena_bytes_scanned_cutoff = 107374182400 # 100 GiB
  alert_emails                = var.alert_emails
  alarm_on_alb                = var.alarm_on_alb
  monthly_budget_usd          = 900
  kms_deletion_window_in_days = 30
  force_destroy               = false
}
