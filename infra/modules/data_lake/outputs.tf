output "bucket_name" {
  value = aws_s3_bucket.lake.id
}

output "bucket_arn" {
  value = aws_s3_bucket.lake.arn
}

output "registry_index_uri" {
  description = "The registry index the API polls (it finds it from RETAIL_LAKE)."
  value       = "s3://${aws_s3_bucket.lake.id}/${module.names.lake_prefixes.registry}/index.json"
}

output "request_metrics_filter_id" {
  value = var.request_metrics_filter_id
}
