variable "deployment" {
  description = "dev or prod."
  type        = string
}
