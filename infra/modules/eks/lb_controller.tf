# IRSA role of the AWS Load Balancer Controller, which turns the inference API's Ingress
# into an ALB. The ALB, its target groups and security groups do not exist when this is
# applied, so their ARNs cannot be listed. Every mutating statement is instead bound by
# name pattern and/or by tag: the ALB has a fixed name (var.load_balancer_names, set by the
# Ingress), the controller names target groups k8s-<namespace>-<service>-<hash>, and it
# tags everything it creates elbv2.k8s.aws/cluster = this cluster. That is narrower than
# the controller's published policy (any cluster, listeners and rules on "*").
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  cluster_tag = "elbv2.k8s.aws/cluster"
  elb         = "arn:${local.partition}:elasticloadbalancing:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  ec2         = "arn:${local.partition}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}"
  albs        = [for n in var.load_balancer_names : "${local.elb}:loadbalancer/app/${n}/*"]
  listeners   = [for n in var.load_balancer_names : "${local.elb}:listener/app/${n}/*/*"]
  rules       = [for n in var.load_balancer_names : "${local.elb}:listener-rule/app/${n}/*/*/*"]
  targets     = ["${local.elb}:targetgroup/k8s-*/*"]
}

data "aws_iam_policy_document" "lb_controller" {
  #checkov:skip=CKV_AWS_111:ALB/target-group/SG ARNs are created at run time; writes are conditioned on this cluster's tag
  #checkov:skip=CKV_AWS_356:same reason; read-only Describe* calls have no resource-level permissions
  #checkov:skip=CKV_AWS_109:the controller must tag and untag resources it owns; tag writes are conditioned on the cluster tag
  statement {
    sid       = "ServiceLinkedRole"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["elasticloadbalancing.amazonaws.com"]
    }
  }

  statement {
    sid = "Describe"
    actions = [
      "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
      "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
      "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
      "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:DescribeRouteTables",
      "ec2:GetSecurityGroupsForVpc",
      "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
      "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
      "elasticloadbalancing:DescribeListenerAttributes", "elasticloadbalancing:DescribeSSLPolicies",
      "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth",
      "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTrustStores",
      "acm:ListCertificates", "acm:DescribeCertificate",
      "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "shield:GetSubscriptionState",
    ]
    resources = ["*"]
  }

  statement {
    # CreateSecurityGroup is authorized on the VPC and on the new group; the new group
    # must carry this cluster's tag.
    sid       = "CreateSecurityGroupInVpc"
    actions   = ["ec2:CreateSecurityGroup"]
    resources = ["${local.ec2}:vpc/${var.vpc_id}"]
  }

  statement {
    sid       = "CreateTaggedSecurityGroup"
    actions   = ["ec2:CreateSecurityGroup"]
    resources = ["${local.ec2}:security-group/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.cluster_tag}"
      values   = [local.cluster_name]
    }
  }

  statement {
    sid       = "TagNewSecurityGroup"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.ec2}:security-group/*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["CreateSecurityGroup"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.cluster_tag}"
      values   = [local.cluster_name]
    }
  }

  statement {
    sid = "ManageOwnSecurityGroups"
    actions = [
      "ec2:CreateTags", "ec2:DeleteTags", "ec2:AuthorizeSecurityGroupIngress",
      "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup",
    ]
    resources = ["${local.ec2}:security-group/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.cluster_tag}"
      values   = [local.cluster_name]
    }
  }

  # Node security groups are not tagged by the controller; it opens the ALB -> pod path
  # on them, so ingress rule changes are allowed on groups of this VPC only. ec2:Vpc is
  # an ARN: compared exactly (the earlier StringEquals against a wildcard never matched).
  statement {
    sid       = "OpenPathToPods"
    actions   = ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]
    resources = ["${local.ec2}:security-group/*"]
    condition {
      test     = "ArnEquals"
      variable = "ec2:Vpc"
      values   = ["${local.ec2}:vpc/${var.vpc_id}"]
    }
  }

  statement {
    sid       = "CreateLoadBalancers"
    actions   = ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"]
    resources = concat(local.albs, local.targets)
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/${local.cluster_tag}"
      values   = [local.cluster_name]
    }
  }

  statement {
    # Listeners and rules of the named ALB only (the controller does not tag them on
    # every version, so the name is what binds them).
    sid = "ListenersAndRules"
    actions = [
      "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
      "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule",
      "elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule",
      "elasticloadbalancing:SetRulePriorities", "elasticloadbalancing:AddListenerCertificates",
      "elasticloadbalancing:RemoveListenerCertificates", "elasticloadbalancing:ModifyListenerAttributes",
    ]
    resources = concat(local.albs, local.listeners, local.rules)
  }

  statement {
    sid = "ManageOwnLoadBalancers"
    actions = [
      "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
      "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
      "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
      "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
      "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags",
    ]
    resources = concat(local.albs, local.targets)
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.cluster_tag}"
      values   = [local.cluster_name]
    }
  }

  statement {
    sid       = "TagOnCreate"
    actions   = ["elasticloadbalancing:AddTags"]
    resources = concat(local.albs, local.targets, local.listeners, local.rules)
    condition {
      test     = "StringEquals"
      variable = "elasticloadbalancing:CreateAction"
      values   = ["CreateTargetGroup", "CreateLoadBalancer", "CreateListener", "CreateRule"]
    }
  }

  statement {
    sid       = "Targets"
    actions   = ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"]
    resources = local.targets
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.cluster_tag}"
      values   = [local.cluster_name]
    }
  }
}

resource "aws_iam_role" "lb_controller" {
  name               = "${local.cluster_name}-lb-controller"
  assume_role_policy = data.aws_iam_policy_document.irsa_trust["lb_controller"].json
  tags               = local.tags
}

resource "aws_iam_role_policy" "lb_controller" {
  name   = "aws-load-balancer-controller"
  role   = aws_iam_role.lb_controller.id
  policy = data.aws_iam_policy_document.lb_controller.json
}
