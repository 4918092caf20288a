output "platform" {
  description = "Names and ARNs the Helm values and CI need."
  value = {
    lake_bucket                  = module.platform.lake_bucket
    registry_index_uri           = module.platform.registry_index_uri
    ecr_repository_urls          = module.platform.ecr_repository_urls
    cluster_name                 = module.platform.cluster_name
    api_role_arn                 = module.platform.api_role_arn
    dagster_role_arn             = module.platform.dagster_role_arn
    sagemaker_execution_role_arn = module.platform.sagemaker_execution_role_arn
    lb_controller_role_arn       = module.platform.lb_controller_role_arn
    cluster_autoscaler_role_arn  = module.platform.cluster_autoscaler_role_arn
    ci_role_arn                  = module.platform.ci_role_arn
    athena_workgroup             = module.platform.athena_workgroup
    glue_database                = module.platform.glue_database
    model_package_group          = module.platform.model_package_group
    api_load_balancer_name       = module.platform.api_load_balancer_name
    kms_key_arn                  = module.platform.kms_key_arn
  }
}
