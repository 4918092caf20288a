# Inputs only the operator knows; see terraform.tfvars.example.
variable "owner" {
  description = "Team or person answerable for this environment (Owner tag)."
  type        = string
}

variable "cost_center" {
  description = "CostCenter tag for cost allocation."
  type        = string
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose Actions deploy here."
  type        = string
}

variable "public_access_cidrs" {
  description = "Operator CIDRs allowed to the public EKS endpoint (bootstrap, break-glass); [] turns it off. CI reaches the private endpoint from runners in the VPC."
  type        = list(string)
}

variable "admin_role_arns" {
  description = "IAM roles given cluster-admin on EKS."
  type        = list(string)
  default     = []
}

variable "alert_emails" {
  type    = list(string)
  default = []
}

variable "alarm_on_alb" {
  description = "Set true once the inference API's ALB exists (after the first Helm install)."
  type        = bool
  default     = false
}

variable "staging_kms_key_arn" {
  description = "KMS key of the dev (staging) lake, which prod CI reads promoted bundles from (terraform output in envs/dev)."
  type        = string
}

variable "create_github_oidc_provider" {
  description = "False when dev already created the account's GitHub OIDC provider."
  type        = bool
  default     = false
}

variable "create_cloudtrail" {
  description = "False when dev already created the account's CloudTrail (one trail per account)."
  type        = bool
  default     = false
}
