variable "name_prefix" {
  description = "mlops-{env}: the bucket is {name_prefix}-logs."
  type        = string
}

variable "trail_name" {
  description = "Name of the CloudTrail trail allowed to write under cloudtrail/."
  type        = string
}

variable "glacier_after_days" {
  description = "Days before log objects move to Glacier Flexible Retrieval."
  type        = number
  default     = 90
}

variable "expire_after_days" {
  description = "Days before log objects are deleted."
  type        = number
  default     = 400
}

variable "force_destroy" {
  description = "Let terraform destroy delete a non-empty bucket (dev only)."
  type        = bool
  default     = false
}
