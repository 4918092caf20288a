output "bucket_name" {
  value = aws_s3_bucket.lake.id
}

output "bucket_arn" {
  value = aws_s3_bucket.lake.arn
}

output "registry_index_uri" {
  description = "What the API reads (RETAIL_REGISTRY_URI)."
  value       = "s3://${aws_s3_bucket.lake.id}/retail/artifacts/registry/index.json"
}
