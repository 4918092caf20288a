output "bucket_name" {
  description = "Taken from the bucket policy so that users (S3 access logging checks the target's policy) wait for it."
  value       = aws_s3_bucket_policy.logs.bucket
}

output "bucket_arn" {
  value = aws_s3_bucket.logs.arn
}
