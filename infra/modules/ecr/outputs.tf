output "repository_urls" {
  value = { for name, repo in local.repositories : name => repo.repository_url }
}

output "repository_arns" {
  value = { for name, repo in local.repositories : name => repo.arn }
}
