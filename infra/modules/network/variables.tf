variable "name_prefix" {
  type = string
}

variable "cidr_block" {
  description = "VPC CIDR; /16 leaves room for EKS pod IPs from the VPC CNI."
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "Zone names to spread subnets over (2 or more), pinned so a new AWS zone never reshapes the VPC."
  type        = list(string)
  validation {
    condition     = length(var.availability_zones) >= 2
    error_message = "EKS needs subnets in at least two availability zones."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all AZs (cheaper, not AZ-fault-tolerant); false gives one per AZ."
  type        = bool
  default     = true
}

variable "cluster_name" {
  description = "EKS cluster name, for the subnet discovery tags of the load balancer controller."
  type        = string
}

variable "flow_log_bucket_arn" {
  description = "Bucket receiving VPC flow logs under vpc-flow/."
  type        = string
}
