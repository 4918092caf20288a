# Node autoscaling with the Cluster Autoscaler (helm/cluster-platform runs it with this
# role). It discovers the managed node groups' Auto Scaling groups by the tags EKS puts on
# them (k8s.io/cluster-autoscaler/enabled, k8s.io/cluster-autoscaler/<cluster>) and
# scales them between their min and max.
#
# Scale from zero: the spot batch group rests at 0 nodes, so there is no node to read its
# labels and taints from when a Dagster run pod is Pending. The autoscaler reads them from
# node-template tags on the ASG instead (and from eks:DescribeNodegroup as a fallback);
# EKS does not copy node-group labels or taints to the ASG, so they are tagged here.
locals {
  autoscaler_tag = "k8s.io/cluster-autoscaler"
  node_template_tags = merge([
    for group, cfg in local.node_groups : merge(
      { for k, v in cfg.labels : "${group}|${local.autoscaler_tag}/node-template/label/${k}" => v },
      { "${group}|${local.autoscaler_tag}/node-template/label/eks.amazonaws.com/capacityType" = cfg.capacity_type },
      { for t in cfg.taints : "${group}|${local.autoscaler_tag}/node-template/taint/${t.key}" => "${t.value}:${local.taint_effects[t.effect]}" },
      { "${group}|${local.autoscaler_tag}/node-template/resources/ephemeral-storage" = "50Gi" },
    )
  ]...)
  taint_effects = { NO_SCHEDULE = "NoSchedule", NO_EXECUTE = "NoExecute", PREFER_NO_SCHEDULE = "PreferNoSchedule" }
  node_group_asg = {
    api   = aws_eks_node_group.api.resources[0].autoscaling_groups[0].name
    batch = aws_eks_node_group.batch.resources[0].autoscaling_groups[0].name
  }
}

resource "aws_autoscaling_group_tag" "node_template" {
  for_each               = local.node_template_tags
  autoscaling_group_name = local.node_group_asg[split("|", each.key)[0]]
  tag {
    key                 = split("|", each.key)[1]
    value               = each.value
    propagate_at_launch = false
  }
}

data "aws_iam_policy_document" "cluster_autoscaler" {
  #checkov:skip=CKV_AWS_356:Describe calls of Auto Scaling and EC2 have no resource-level permissions; the two write actions are conditioned on this cluster's ASG tag
  #checkov:skip=CKV_AWS_111:SetDesiredCapacity/TerminateInstanceInAutoScalingGroup are limited to ASGs tagged k8s.io/cluster-autoscaler/<cluster>=owned
  statement {
    sid = "Discover"
    actions = [
      "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
      "autoscaling:DescribeTags", "ec2:DescribeImages", "ec2:DescribeInstanceTypes",
      "ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceTypesFromInstanceRequirements",
    ]
    resources = ["*"]
  }
  statement {
    sid       = "NodeGroupTemplates"
    actions   = ["eks:DescribeNodegroup"]
    resources = ["arn:${local.partition}:eks:*:*:nodegroup/${local.cluster_name}/*/*"]
  }
  statement {
    sid       = "ScaleOwnGroups"
    actions   = ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/${local.autoscaler_tag}/${local.cluster_name}"
      values   = ["owned"]
    }
  }
}

resource "aws_iam_role" "cluster_autoscaler" {
  name               = "${local.cluster_name}-cluster-autoscaler"
  assume_role_policy = data.aws_iam_policy_document.irsa_trust["cluster_autoscaler"].json
  tags               = local.tags
}

resource "aws_iam_role_policy" "cluster_autoscaler" {
  name   = "cluster-autoscaler"
  role   = aws_iam_role.cluster_autoscaler.id
  policy = data.aws_iam_policy_document.cluster_autoscaler.json
}
