variable "name_prefix" {
  type = string
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows may assume the role."
  type        = string
}

variable "allowed_subjects" {
  description = "OIDC sub claims allowed, relative to the repository, e.g. ref:refs/heads/main or environment:production."
  type        = list(string)
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
