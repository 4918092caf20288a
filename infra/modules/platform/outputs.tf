# What the Helm values and CI need (see helm/README.md).
output "lake_bucket" {
  value = module.lake.bucket_name
}

output "registry_index_uri" {
  value = module.lake.registry_index_uri
}

output "kms_key_arn" {
  value = module.kms.key_arn
}

output "ecr_repository_urls" {
  value = module.ecr.repository_urls
}

output "cluster_name" {
  value = module.eks.cluster_name
}

output "api_role_arn" {
  value = module.iam.api_role_arn
}

output "dagster_role_arn" {
  value = module.iam.dagster_role_arn
}

output "sagemaker_execution_role_arn" {
  value = module.iam.sagemaker_execution_role_arn
}

output "lb_controller_role_arn" {
  value = module.eks.lb_controller_role_arn
}

output "ci_role_arn" {
  value = module.ci.role_arn
}

output "athena_workgroup" {
  value = module.analytics.workgroup_name
}

output "glue_database" {
  value = module.analytics.glue_database_name
}

output "model_package_group" {
  value = module.sagemaker.model_package_group_name
}

output "api_load_balancer_name" {
  value = local.api_lb_name
}

output "alerts_topic_arn" {
  value = module.monitoring.alerts_topic_arn
}

output "cluster_autoscaler_role_arn" {
  value = module.eks.cluster_autoscaler_role_arn
}

output "node_group_asgs" {
  value = module.eks.node_group_asgs
}
