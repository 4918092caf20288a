variable "name_prefix" {
  type = string
}

variable "trail_name" {
  description = "Must match the name the log bucket policy admits."
  type        = string
}

variable "log_bucket_name" {
  type = string
}

variable "kms_key_arn" {
  type = string
}

variable "lake_bucket_arn" {
  description = "Writes to the lake are recorded as data events (who changed which object)."
  type        = string
}

variable "log_retention_days" {
  type    = number
  default = 365
}
