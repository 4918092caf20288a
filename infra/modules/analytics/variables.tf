variable "name_prefix" {
  type = string
}

variable "lake_bucket_name" {
  type = string
}

variable "kms_key_arn" {
  type = string
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Athena cancels a query past this many bytes scanned (cost guard)."
  type        = number
  default     = 10737418240 # 10 GiB
}
