# IRSA roles of the cluster's own plumbing (CNI, EBS CSI); workload roles live in the
# iam module.
locals {
  oidc_issuer = trimprefix(aws_eks_cluster.main.identity[0].oidc[0].issuer, "https://")
}

data "aws_iam_policy_document" "irsa_trust" {
  for_each = {
    vpc_cni            = "kube-system:aws-node"
    ebs_csi            = "kube-system:ebs-csi-controller-sa"
    lb_controller      = "kube-system:aws-load-balancer-controller"
    cluster_autoscaler = "kube-system:cluster-autoscaler"
  }
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.cluster.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${each.value}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "vpc_cni" {
  name               = "${local.cluster_name}-vpc-cni"
  assume_role_policy = data.aws_iam_policy_document.irsa_trust["vpc_cni"].json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "vpc_cni" {
  role       = aws_iam_role.vpc_cni.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKS_CNI_Policy"
}

resource "aws_iam_role" "ebs_csi" {
  name               = "${local.cluster_name}-ebs-csi"
  assume_role_policy = data.aws_iam_policy_document.irsa_trust["ebs_csi"].json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "ebs_csi" {
  role       = aws_iam_role.ebs_csi.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
}

resource "aws_eks_addon" "vpc_cni" {
  cluster_name             = aws_eks_cluster.main.name
  addon_name               = "vpc-cni"
  service_account_role_arn = aws_iam_role.vpc_cni.arn
  # Turns on the network policy agent that enforces the charts' NetworkPolicies.
  configuration_values = jsonencode({ enableNetworkPolicy = "true" })
  tags                 = local.tags
}

resource "aws_eks_addon" "kube_proxy" {
  cluster_name = aws_eks_cluster.main.name
  addon_name   = "kube-proxy"
  tags         = local.tags
}

# CoreDNS and the EBS CSI controller need nodes to schedule on.
resource "aws_eks_addon" "coredns" {
  cluster_name = aws_eks_cluster.main.name
  addon_name   = "coredns"
  tags         = local.tags
  depends_on   = [aws_eks_node_group.api]
}

# Dagster's PostgreSQL keeps its data on an EBS volume.
resource "aws_eks_addon" "ebs_csi" {
  cluster_name             = aws_eks_cluster.main.name
  addon_name               = "aws-ebs-csi-driver"
  service_account_role_arn = aws_iam_role.ebs_csi.arn
  tags                     = local.tags
  depends_on               = [aws_eks_node_group.api]
}

# Resource metrics (CPU, memory) for the inference API's HorizontalPodAutoscaler and
# `kubectl top`: the metrics-server EKS community add-on, on the on-demand group.
resource "aws_eks_addon" "metrics_server" {
  cluster_name = aws_eks_cluster.main.name
  addon_name   = "metrics-server"
  configuration_values = jsonencode({
    nodeSelector = { workload = "api" }
  })
  tags       = local.tags
  depends_on = [aws_eks_node_group.api]
}
