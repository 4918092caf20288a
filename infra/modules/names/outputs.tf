output "name_prefix" {
  value = local.resolved.name_prefix
}

output "lake_bucket" {
  value = local.resolved.lake_bucket
}

output "model_package_group" {
  value = local.resolved.model_package_group
}

output "feature_group" {
  value = local.resolved.feature_group
}

output "training_job_prefix" {
  description = "SageMaker training jobs are named <prefix><timestamp>-<suffix>."
  value       = local.raw.training_job_prefix
}

output "cloudwatch_namespaces" {
  value = local.raw.cloudwatch_namespaces
}

output "lake_prefixes" {
  description = "Lake key prefixes (no trailing slash) that IAM grants are scoped to."
  value       = local.raw.lake_prefixes
}
