# The control plane: private subnets only, secrets envelope-encrypted with the platform
# key, every control-plane log type kept, authentication through EKS access entries (no
# aws-auth ConfigMap to drift).
data "aws_partition" "current" {}

locals {
  cluster_name = "${var.name_prefix}-eks"
  partition    = data.aws_partition.current.partition
  tags         = { Component = "eks" }
}

data "aws_iam_policy_document" "cluster_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name               = "${local.cluster_name}-cluster"
  assume_role_policy = data.aws_iam_policy_document.cluster_trust.json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

# Created before the cluster so it is encrypted and has a retention (EKS would create
# an unencrypted, never-expiring one otherwise).
resource "aws_cloudwatch_log_group" "cluster" {
  name              = "/aws/eks/${local.cluster_name}/cluster"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

resource "aws_eks_cluster" "main" {
  #checkov:skip=CKV_AWS_39:the public endpoint is on only when operator CIDRs are given (bootstrap, break-glass), IAM-authenticated; CI runners reach the private endpoint from inside the VPC
  name     = local.cluster_name
  version  = var.kubernetes_version
  role_arn = aws_iam_role.cluster.arn

  enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  vpc_config {
    subnet_ids              = var.private_subnet_ids
    endpoint_private_access = true
    endpoint_public_access  = length(var.public_access_cidrs) > 0
    public_access_cidrs     = length(var.public_access_cidrs) > 0 ? var.public_access_cidrs : null
  }

  encryption_config {
    provider {
      key_arn = var.kms_key_arn
    }
    resources = ["secrets"]
  }

  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = true
  }

  tags = local.tags

  depends_on = [aws_iam_role_policy_attachment.cluster, aws_cloudwatch_log_group.cluster]
}

data "aws_iam_policy_document" "cluster_kms" {
  statement {
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "cluster_kms" {
  name   = "secrets-encryption"
  role   = aws_iam_role.cluster.id
  policy = data.aws_iam_policy_document.cluster_kms.json
}

# IRSA: pods exchange their projected service-account token for role credentials.
# IAM trusts EKS issuers through its own CA list, so no thumbprint is pinned here.
resource "aws_iam_openid_connect_provider" "cluster" {
  url            = aws_eks_cluster.main.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]
  tags           = local.tags
}

resource "aws_eks_access_entry" "admin" {
  for_each      = toset(var.admin_role_arns)
  cluster_name  = aws_eks_cluster.main.name
  principal_arn = each.value
}

resource "aws_eks_access_policy_association" "admin" {
  for_each      = toset(var.admin_role_arns)
  cluster_name  = aws_eks_cluster.main.name
  principal_arn = each.value
  policy_arn    = "arn:${local.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
  access_scope {
    type = "cluster"
  }
  depends_on = [aws_eks_access_entry.admin]
}

resource "aws_eks_access_entry" "deployer" {
  count         = length(var.deployer_role_arns)
  cluster_name  = aws_eks_cluster.main.name
  principal_arn = var.deployer_role_arns[count.index]
}

# Namespace admin only: CI can helm upgrade/rollback the API and Dagster releases, but
# cannot touch cluster-scoped objects or other namespaces.
resource "aws_eks_access_policy_association" "deployer" {
  count         = length(var.deployer_role_arns)
  cluster_name  = aws_eks_cluster.main.name
  principal_arn = var.deployer_role_arns[count.index]
  policy_arn    = "arn:${local.partition}:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"
  access_scope {
    type       = "namespace"
    namespaces = var.deploy_namespaces
  }
  depends_on = [aws_eks_access_entry.deployer]
}
