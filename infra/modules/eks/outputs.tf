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
  value       = local.node_group_asg
}

output "cluster_autoscaler_role_arn" {
  value = aws_iam_role.cluster_autoscaler.arn
}
