variable "repositories" {
  description = "Repository names (the brief fixes mlops/inference-api and mlops/pipeline)."
  type        = list(string)
  default     = ["mlops/inference-api", "mlops/pipeline"]
}

variable "kms_key_arn" {
  type = string
}

variable "keep_images" {
  description = "Tagged images kept per repository; older ones expire."
  type        = number
  default     = 50
}

variable "force_delete" {
  description = "Let terraform destroy delete repositories that still hold images (dev only)."
  type        = bool
  default     = false
}

variable "create" {
  description = "Repository names are per account and region: one environment creates them, the others look them up (the same image is promoted from staging to prod)."
  type        = bool
  default     = true
}
