# CI gets AWS access only by exchanging its GitHub OIDC token for this role: no stored
# keys. The trust is pinned to one repository and to the listed refs/environments.
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  provider_url = "token.actions.githubusercontent.com"
  provider_arn = var.create_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn
  tags         = { Component = "ci" }
}

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_provider ? 1 : 0
  url            = "https://${local.provider_url}"
  client_id_list = ["sts.amazonaws.com"]
  tags           = local.tags
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_provider ? 0 : 1
  url   = "https://${local.provider_url}"
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.provider_url}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.provider_url}:sub"
      values   = [for s in var.allowed_subjects : "repo:${var.github_repository}:${s}"]
    }
  }
}

data "aws_iam_policy_document" "ci" {
  statement {
    # GetAuthorizationToken has no resource type; IAM only accepts "*" for it.
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid = "EcrPushPull"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
      "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
      "ecr:DescribeImages", "ecr:DescribeImageScanFindings",
    ]
    resources = var.ecr_repository_arns
  }
  statement {
    sid       = "FindCluster"
    actions   = ["eks:DescribeCluster"]
    resources = [var.cluster_arn]
  }
  statement {
    sid     = "ModelArtifactsWrite"
    actions = ["s3:GetObject", "s3:PutObject"]
    resources = [
      "${var.lake_bucket_arn}/retail/artifacts/models/*",
      "${var.lake_bucket_arn}/retail/artifacts/registry/*",
    ]
  }
  dynamic "statement" {
    for_each = length(var.source_lake_bucket_arns) > 0 ? [1] : []
    content {
      sid     = "ModelArtifactsReadSource"
      actions = ["s3:GetObject"]
      resources = flatten([for b in var.source_lake_bucket_arns : [
        "${b}/retail/artifacts/models/*",
        "${b}/retail/artifacts/registry/*",
      ]])
    }
  }
  statement {
    sid       = "ModelArtifactsList"
    actions   = ["s3:ListBucket"]
    resources = concat([var.lake_bucket_arn], var.source_lake_bucket_arns)
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["retail/artifacts/*"]
    }
  }
  statement {
    sid       = "LakeKms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = var.kms_key_arns
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${data.aws_region.current.name}.amazonaws.com"]
    }
  }
  statement {
    sid       = "ModelRegistryStatus"
    actions   = ["sagemaker:DescribeModelPackage", "sagemaker:UpdateModelPackage", "sagemaker:ListModelPackages"]
    resources = [var.model_package_group_arn, "${replace(var.model_package_group_arn, "model-package-group", "model-package")}/*"]
  }
}

resource "aws_iam_role" "ci" {
  name                 = "${var.name_prefix}-github-ci"
  description          = "Assumed by GitHub Actions through OIDC"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
  tags                 = local.tags
}

resource "aws_iam_role_policy" "ci" {
  name   = "build-deploy"
  role   = aws_iam_role.ci.id
  policy = data.aws_iam_policy_document.ci.json
}
