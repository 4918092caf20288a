variable "name_prefix" {
  description = "mlops-{env}."
  type        = string
}

variable "deployment" {
  description = "dev or prod: picks the names in retail_assets/aws_names.json."
  type        = string
}

variable "lake_bucket_arn" {
  type = string
}

variable "kms_key_arn" {
  type = string
}

variable "oidc_provider_arn" {
  description = "IAM OIDC provider of the EKS cluster (IRSA)."
  type        = string
}

variable "oidc_issuer" {
  description = "Issuer URL of the cluster's OIDC provider, with or without https://."
  type        = string
}

variable "api_service_account" {
  description = "namespace/name of the inference API's Kubernetes service account."
  type        = string
  default     = "retail-api/inference-api"
}

variable "dagster_service_accounts" {
  description = "namespace/name of the service accounts of Dagster user code and run pods."
  type        = list(string)
  default     = ["dagster/dagster"]
}

variable "athena_workgroup_name" {
  type = string
}

variable "glue_database_name" {
  type = string
}

variable "pipeline_repository_arn" {
  description = "ECR repository of the pipeline image, which SageMaker training jobs run."
  type        = string
}
