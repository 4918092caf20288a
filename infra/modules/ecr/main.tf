# Immutable tags: a git-sha tag always names the same image, so a rollback to a tag is
# a rollback to exactly what was tested. Scan on push feeds the CI scan gate.
locals {
  tags = { Component = "ecr" }
}

resource "aws_ecr_repository" "repo" {
  for_each             = var.create ? toset(var.repositories) : toset([])
  name                 = each.value
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = local.tags
}

resource "aws_ecr_lifecycle_policy" "repo" {
  for_each   = aws_ecr_repository.repo
  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Drop untagged layers after 7 days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 7
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest ${var.keep_images} images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}

data "aws_ecr_repository" "existing" {
  for_each = var.create ? toset([]) : toset(var.repositories)
  name     = each.value
}

locals {
  repositories = var.create ? aws_ecr_repository.repo : data.aws_ecr_repository.existing
}
