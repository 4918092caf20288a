# dev doubles as the staging environment of CI: small, single NAT, spot-heavy, and off
# outside Singapore working hours.
module "platform" {
  source = "../../modules/platform"

  environment        = "dev"
  vpc_cidr           = "10.40.0.0/16"
  availability_zones = ["ap-southeast-1a", "ap-southeast-1b"]
  single_nat_gateway = true

  public_access_cidrs = var.public_access_cidrs
  admin_role_arns     = var.admin_role_arns

  api_node_group = {
    instance_types = ["t3.large"]
    min_size       = 1
    desired_size   = 2
    max_size       = 4
  }
  batch_node_group = {
    instance_types = ["m6i.xlarge", "m5.xlarge", "m6a.xlarge", "m5a.xlarge"]
    min_size       = 0
    desired_size   = 0
    max_size       = 4
  }
  off_hours = {
    enabled    = true
    stop_cron  = "0 20 * * MON-FRI"
    start_cron = "0 8 * * MON-FRI"
    time_zone  = "Asia/Singapore"
  }

  github_repository = var.github_repository
  # Only jobs of the "staging" GitHub environment on main (pull requests never get AWS
  # access); staging builds and pushes the images.
  ci_environments             = ["staging"]
  ci_pushes_images            = true
  create_github_oidc_provider = true
  create_ecr_repositories     = true
  # The account's one CloudTrail; it records writes to prod's lake too.
  create_cloudtrail            = true
  trail_other_lake_bucket_arns = ["arn:aws:s3:::mlops-prod-retail"]

  athena_bytes_scanned_cutoff = 10737418240 # 10 GiB
  alert_emails                = var.alert_emails
  alarm_on_alb                = var.alarm_on_alb
  monthly_budget_usd          = 300
  kms_deletion_window_in_days = 7
  force_destroy               = true
}
