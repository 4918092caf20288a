variable "deployment" {
  description = "dev or prod (RETAIL_DEPLOYMENT in the code); a test root may use another word."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.deployment))
    error_message = "deployment is a short lower-case word such as dev or prod."
  }
}
