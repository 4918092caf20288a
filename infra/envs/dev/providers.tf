provider "aws" {
  region = "ap-southeast-1"

  # Every taggable resource gets these; modules override Component with their own.
  default_tags {
    tags = {
      Project     = "retail-price-sensitivity"
      Environment = "dev"
      Component   = "platform"
      Owner       = var.owner
      CostCenter  = var.cost_center
    }
  }
}
