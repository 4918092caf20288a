terraform {
  # 1.11 for the S3 backend's native lock file (use_lockfile).
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}
