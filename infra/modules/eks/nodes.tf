# Two managed node groups: on-demand for the latency-bound API (and cluster add-ons),
# spot for interruptible Dagster runs and batch scoring. The spot group is tainted so
# only pods that tolerate interruption land there.
data "aws_iam_policy_document" "node_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name               = "${local.cluster_name}-node"
  assume_role_policy = data.aws_iam_policy_document.node_trust.json
  tags               = local.tags
}

# The CNI policy is not here: the vpc-cni add-on gets it through IRSA.
resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset([
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
  ])
  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

data "aws_default_tags" "current" {}

locals {
  node_groups = {
    api = merge(var.api_node_group, {
      capacity_type = "ON_DEMAND"
      labels        = { workload = "api" }
      taints        = []
    })
    batch = merge(var.batch_node_group, {
      capacity_type = "SPOT"
      labels        = { workload = "batch" }
      taints        = [{ key = "workload", value = "batch", effect = "NO_SCHEDULE" }]
    })
  }
  # default_tags do not reach instances and volumes launched by the ASG; the launch
  # template carries them so cost allocation sees the nodes.
  instance_tags = merge(data.aws_default_tags.current.tags, local.tags)
}

resource "aws_launch_template" "node" {
  for_each    = local.node_groups
  name_prefix = "${local.cluster_name}-${each.key}-"

  # IMDSv2 only, one hop: pods cannot borrow the node role and must use IRSA.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = 50
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.instance_tags, { Name = "${local.cluster_name}-${each.key}" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(local.instance_tags, { Name = "${local.cluster_name}-${each.key}" })
  }

  tags = local.tags
}

resource "aws_eks_node_group" "api" {
  cluster_name    = aws_eks_cluster.main.name
  node_group_name = "${local.cluster_name}-api"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.private_subnet_ids
  ami_type        = "AL2023_x86_64_STANDARD"
  capacity_type   = local.node_groups.api.capacity_type
  instance_types  = local.node_groups.api.instance_types
  labels          = local.node_groups.api.labels

  scaling_config {
    min_size     = local.node_groups.api.min_size
    desired_size = local.node_groups.api.desired_size
    max_size     = local.node_groups.api.max_size
  }

  update_config {
    max_unavailable = 1
  }

  launch_template {
    id      = aws_launch_template.node["api"].id
    version = aws_launch_template.node["api"].latest_version
  }

  # The off-hours schedule (and any autoscaler) moves desired_size; terraform must not
  # undo that on the next apply.
  lifecycle {
    ignore_changes = [scaling_config[0].desired_size]
  }

  tags       = local.tags
  depends_on = [aws_iam_role_policy_attachment.node, aws_eks_addon.vpc_cni]
}

resource "aws_eks_node_group" "batch" {
  cluster_name    = aws_eks_cluster.main.name
  node_group_name = "${local.cluster_name}-batch"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.private_subnet_ids
  ami_type        = "AL2023_x86_64_STANDARD"
  capacity_type   = local.node_groups.batch.capacity_type
  # Several instance types widen the spot pools and cut interruptions.
  instance_types = local.node_groups.batch.instance_types
  labels         = local.node_groups.batch.labels

  dynamic "taint" {
    for_each = local.node_groups.batch.taints
    content {
      key    = taint.value.key
      value  = taint.value.value
      effect = taint.value.effect
    }
  }

  scaling_config {
    min_size     = local.node_groups.batch.min_size
    desired_size = local.node_groups.batch.desired_size
    max_size     = local.node_groups.batch.max_size
  }

  update_config {
    max_unavailable_percentage = 50
  }

  launch_template {
    id      = aws_launch_template.node["batch"].id
    version = aws_launch_template.node["batch"].latest_version
  }

  lifecycle {
    ignore_changes = [scaling_config[0].desired_size]
  }

  tags       = local.tags
  depends_on = [aws_iam_role_policy_attachment.node, aws_eks_addon.vpc_cni]
}
