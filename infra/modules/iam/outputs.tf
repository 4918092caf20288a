output "api_role_arn" {
  value = aws_iam_role.api.arn
}

output "dagster_role_arn" {
  value = aws_iam_role.dagster.arn
}

output "sagemaker_execution_role_arn" {
  value = aws_iam_role.sagemaker.arn
}
