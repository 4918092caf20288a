variable "deployment" {
  description = "dev or prod: the bucket is the lake_bucket of retail_assets/aws_names.json (mlops-{deployment}-retail)."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed key for default bucket encryption."
  type        = string
}

variable "access_log_bucket" {
  description = "Bucket receiving S3 server access logs (under s3-access/)."
  type        = string
}

variable "artifacts_glacier_ir_after_days" {
  description = "Days before model bundles move to Glacier Instant Retrieval (still readable in milliseconds, so an old Production model keeps serving)."
  type        = number
  default     = 180
}

variable "logs_glacier_after_days" {
  description = "Days before pipeline logs under logs/ move to Glacier Flexible Retrieval."
  type        = number
  default     = 30
}

variable "logs_expire_after_days" {
  description = "Days before pipeline logs under logs/ are deleted."
  type        = number
  default     = 365
}

variable "noncurrent_expire_after_days" {
  description = "Days a superseded object version is kept (the undo window)."
  type        = number
  default     = 90
}

variable "force_destroy" {
  description = "Let terraform destroy delete a non-empty bucket (dev only)."
  type        = bool
  default     = false
}

variable "request_metrics_filter_id" {
  description = "Name of the bucket-wide request metrics configuration (the FilterId dimension in CloudWatch)."
  type        = string
  default     = "EntireBucket"
}

variable "request_metrics" {
  description = "Publish the bucket's request metrics (billed as custom metrics); off only where the API lacks them (moto)."
  type        = bool
  default     = true
}
