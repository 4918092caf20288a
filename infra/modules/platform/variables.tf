variable "environment" {
  description = "dev or prod; names are mlops-{environment}-{component}."
  type        = string
}

variable "vpc_cidr" {
  type = string
}

variable "availability_zones" {
  type = list(string)
}

variable "single_nat_gateway" {
  type = bool
}

variable "kubernetes_version" {
  type    = string
  default = "1.35"
}

variable "public_access_cidrs" {
  description = "Operator CIDRs allowed to the public EKS endpoint ([] = private only; CI runs inside the VPC)."
  type        = list(string)
}

variable "api_node_group" {
  type = object({
    instance_types = list(string)
    min_size       = number
    desired_size   = number
    max_size       = number
  })
}

variable "batch_node_group" {
  type = object({
    instance_types = list(string)
    min_size       = number
    desired_size   = number
    max_size       = number
  })
}

variable "off_hours" {
  type = object({
    enabled    = bool
    stop_cron  = string
    start_cron = string
    time_zone  = string
  })
}

variable "admin_role_arns" {
  type    = list(string)
  default = []
}

variable "github_repository" {
  type = string
}

variable "ci_environments" {
  description = "GitHub environments (on main) whose jobs may assume this environment's CI role."
  type        = list(string)
}

variable "ci_pushes_images" {
  description = "Whether this environment's CI role may push to ECR (staging builds; prod only pulls)."
  type        = bool
}

variable "create_cloudtrail" {
  description = "CloudTrail is one per account: true in the environment that owns the account's shared resources."
  type        = bool
}

variable "trail_other_lake_bucket_arns" {
  description = "Lakes of the other environments in this account, whose writes the one trail records."
  type        = list(string)
  default     = []
}

variable "create_github_oidc_provider" {
  type    = bool
  default = true
}

variable "promote_from" {
  description = "Deployment (dev) whose registry and lake this environment's CI imports models from; null for none."
  type        = string
  default     = null
}

variable "source_kms_key_arns" {
  type    = list(string)
  default = []
}

variable "athena_bytes_scanned_cutoff" {
  type = number
}

variable "alert_emails" {
  type    = list(string)
  default = []
}

variable "alarm_on_alb" {
  type    = bool
  default = false
}

variable "monthly_budget_usd" {
  type = number
}

variable "min_accuracy" {
  type    = number
  default = 0.5
}

variable "kms_deletion_window_in_days" {
  type = number
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete non-empty buckets and repositories (dev only)."
  type        = bool
  default     = false
}

variable "create_ecr_repositories" {
  description = "True in the environment that owns the account's ECR repositories (dev); others look them up."
  type        = bool
  default     = true
}
