output "cluster_name" {
  value = aws_eks_cluster.main.name
}

output "cluster_endpoint" {
  value = aws_eks_cluster.main.endpoint
}

output "oidc_provider_arn" {
  value = aws_iam_openid_connect_provider.cluster.arn
}

output "oidc_issuer" {
  value = aws_eks_cluster.main.identity[0].oidc[0].issuer
}

output "lb_controller_role_arn" {
  value = aws_iam_role.lb_controller.arn
}

output "node_group_asgs" {
  description = "Auto Scaling groups behind the node groups (what the off-hours schedule acts on)."
  value = {
    api   = aws_eks_node_group.api.resources[0].autoscaling_groups[0].name
    batch = aws_eks_node_group.batch.resources[0].autoscaling_groups[0].name
  }
}
