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

variable "lake_bucket_arns" {
  description = "Lakes in the account whose writes are recorded as data events (who changed which object)."
  type        = list(string)
}

variable "log_retention_days" {
  type    = number
  default = 365
}
