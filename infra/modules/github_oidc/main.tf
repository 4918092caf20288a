# CI gets AWS access only by exchanging its GitHub OIDC token for this role: no stored
# keys. The trust is pinned to one repository, one branch and the listed GitHub
# environments, all three in the `sub` claim: the repository's OIDC subject template is
# set to include_claim_keys = ["repo", "context", "ref"] (docs/aws.md), which makes a job
# bound to environment E on main present
#   repo:<owner>/<name>:environment:E:ref:refs/heads/main
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  provider_url = "token.actions.githubusercontent.com"
  provider_arn = var.create_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn
  tags         = { Component = "ci" }
  subjects     = [for e in var.environments : "repo:${var.github_repository}:environment:${e}:ref:refs/heads/${var.branch}"]
  # Every CI job pulls the pipeline image (it runs the registry CLI); only the environment
  # that builds images pushes them.
  ecr_pull = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages"]
  ecr_push = ["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:DescribeImageScanFindings"]
  group    = var.model_package_group_arn
  packages = "${replace(var.model_package_group_arn, "model-package-group", "model-package")}/*"
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
      values   = local.subjects
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
    sid       = var.allow_ecr_push ? "EcrPushPull" : "EcrPull"
    actions   = var.allow_ecr_push ? concat(local.ecr_pull, local.ecr_push) : local.ecr_pull
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
  # `retail registry gate|promote|rollback|import` on this environment's group.
  statement {
    sid = "ModelRegistry"
    actions = [
      "sagemaker:DescribeModelPackageGroup", "sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage",
      "sagemaker:UpdateModelPackage", "sagemaker:ListModelPackages", "sagemaker:AddTags",
    ]
    resources = [local.group, local.packages]
  }
  dynamic "statement" {
    # `retail registry import VERSION --from-deployment dev` reads the source registry.
    for_each = length(var.source_model_package_group_arns) > 0 ? [1] : []
    content {
      sid     = "SourceModelRegistryRead"
      actions = ["sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"]
      resources = flatten([for g in var.source_model_package_group_arns : [
        g, "${replace(g, "model-package-group", "model-package")}/*",
      ]])
    }
  }
  statement {
    # The post-deploy gate reads the ALB's p95 latency and 5xx rate. Neither call has a
    # resource type; both are read-only.
    sid       = "VerifyDeployment"
    actions   = ["cloudwatch:GetMetricData", "elasticloadbalancing:DescribeLoadBalancers"]
    resources = ["*"]
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
