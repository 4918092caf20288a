variable "name_prefix" {
  type = string
}

variable "kubernetes_version" {
  description = "EKS control-plane version. The Helm chart is validated against the 1.30 API and this version."
  type        = string
  default     = "1.35"
}

variable "vpc_id" {
  type = string
}

variable "load_balancer_names" {
  description = "Names of the ALBs the Load Balancer Controller may create and manage (the Ingress pins them)."
  type        = list(string)
}

variable "private_subnet_ids" {
  type = list(string)
}

variable "kms_key_arn" {
  description = "Encrypts Kubernetes secrets and the control-plane log group."
  type        = string
}

variable "public_access_cidrs" {
  description = "Operator CIDRs allowed to the public API endpoint (bootstrap, break-glass); empty turns the public endpoint off. CI never uses it: its runners are pods in the VPC on the private endpoint. Never 0.0.0.0/0."
  type        = list(string)
  validation {
    condition     = !contains(var.public_access_cidrs, "0.0.0.0/0")
    error_message = "Give the operator CIDRs explicitly; 0.0.0.0/0 is refused."
  }
}

variable "api_node_group" {
  description = "On-demand group: inference API, cluster add-ons and the Dagster webserver/daemon."
  type = object({
    instance_types = list(string)
    min_size       = number
    desired_size   = number
    max_size       = number
  })
}

variable "batch_node_group" {
  description = "Spot group, tainted for Dagster run pods and batch jobs only."
  type = object({
    instance_types = list(string)
    min_size       = number
    desired_size   = number
    max_size       = number
  })
}

variable "off_hours" {
  description = "Scale both node groups to zero outside working hours (cron in time_zone)."
  type = object({
    enabled    = bool
    stop_cron  = string
    start_cron = string
    time_zone  = string
  })
  default = {
    enabled    = false
    stop_cron  = "0 20 * * MON-FRI"
    start_cron = "0 8 * * MON-FRI"
    time_zone  = "Asia/Singapore"
  }
}

variable "admin_role_arns" {
  description = "IAM roles given cluster-admin through EKS access entries."
  type        = list(string)
  default     = []
}

variable "deployer_role_arns" {
  description = "CI roles allowed to deploy (namespace admin in deploy_namespaces). A list, not a nullable string, so the count is known at plan time while the role ARN is not."
  type        = list(string)
  default     = []
}

variable "deploy_namespaces" {
  type    = list(string)
  default = ["retail-api", "dagster"]
}

variable "log_retention_days" {
  type    = number
  default = 365
}
