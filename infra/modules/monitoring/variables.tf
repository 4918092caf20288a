variable "name_prefix" {
  type = string
}

variable "environment" {
  description = "Value of the Environment dimension the pipeline publishes its metrics with."
  type        = string
}

variable "kms_key_arn" {
  type = string
}

variable "alert_emails" {
  description = "Addresses subscribed to the alert topic (each must confirm)."
  type        = list(string)
  default     = []
}

variable "api_load_balancer_name" {
  description = "Name the inference API Ingress gives its ALB (alb.ingress.kubernetes.io/load-balancer-name)."
  type        = string
}

variable "alarm_on_alb" {
  description = "Create the ALB alarms. The ALB exists only after the first Helm install, so this starts false."
  type        = bool
  default     = false
}

variable "latency_p95_threshold_seconds" {
  description = "The brief's target: p95 at most 200 ms (the CI post-deploy gate uses the same figure)."
  type        = number
  default     = 0.2
}

variable "error_rate_threshold_percent" {
  type    = number
  default = 1
}

variable "min_accuracy" {
  description = "Alarm when validation or weekly accuracy falls below this."
  type        = number
  default     = 0.5
}

variable "max_training_minutes" {
  type    = number
  default = 60
}

variable "monthly_budget_usd" {
  type = number
}

variable "lake_bucket_name" {
  description = "The lake, whose request metrics the S3 throughput widget shows."
  type        = string
}

variable "lake_metrics_filter_id" {
  description = "FilterId of the lake's bucket-wide request metrics configuration."
  type        = string
}
