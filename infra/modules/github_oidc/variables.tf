variable "name_prefix" {
  type = string
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows may assume the role."
  type        = string
}

variable "environments" {
  description = "GitHub environments whose jobs may assume the role (each on var.branch only)."
  type        = list(string)
  validation {
    condition     = length(var.environments) > 0 && alltrue([for e in var.environments : can(regex("^[A-Za-z0-9_-]+$", e))])
    error_message = "Name at least one environment, without wildcards."
  }
}

variable "branch" {
  description = "The only branch whose jobs may assume the role."
  type        = string
  default     = "main"
}

variable "allow_ecr_push" {
  description = "True only where CI builds and pushes images (dev/staging); prod deploys the images staging tested."
  type        = bool
}

variable "create_provider" {
  description = "The GitHub OIDC provider is one per account: create it in one environment, look it up in the others."
  type        = bool
  default     = true
}

variable "ecr_repository_arns" {
  type = list(string)
}

variable "cluster_arn" {
  type = string
}

variable "lake_bucket_arn" {
  description = "This environment's lake: CI writes model bundles and the registry index (promotion, rollback)."
  type        = string
}

variable "source_lake_bucket_arns" {
  description = "Lakes CI may read bundles and registry indexes from (prod promotes from staging)."
  type        = list(string)
  default     = []
}

variable "kms_key_arns" {
  description = "Keys of the lakes above (decrypt/encrypt through S3 only)."
  type        = list(string)
}

variable "model_package_group_arn" {
  type = string
}

variable "source_model_package_group_arns" {
  description = "Model package groups CI may read (prod imports the version staging validated)."
  type        = list(string)
  default     = []
}
