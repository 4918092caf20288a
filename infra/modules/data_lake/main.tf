# The lake bucket holds every layer of contracts.md section 2 under retail/, plus
# Dagster compute logs under logs/ and Athena results under athena-results/.
locals {
  tags = { Component = "data-lake" }
}

module "names" {
  source     = "../names"
  deployment = var.deployment
}

resource "aws_s3_bucket" "lake" {
  #checkov:skip=CKV_AWS_144:single-region by design (data residency); versioning and noncurrent retention cover recovery
  bucket        = module.names.lake_bucket
  force_destroy = var.force_destroy
  tags          = local.tags
}

resource "aws_s3_bucket_ownership_controls" "lake" {
  bucket = aws_s3_bucket.lake.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "lake" {
  bucket                  = aws_s3_bucket.lake.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "lake" {
  bucket = aws_s3_bucket.lake.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    # S3 Bucket Keys cut KMS request charges for the many small Parquet writes.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "lake" {
  bucket        = aws_s3_bucket.lake.id
  target_bucket = var.access_log_bucket
  target_prefix = "s3-access/"
  # Partitioned keys (account/region/bucket/date) keep the logs queryable by Athena.
  target_object_key_format {
    partitioned_prefix {
      partition_date_source = "EventTime"
    }
  }
}

# CloudWatch request metrics (AllRequests, GetRequests, PutRequests, BytesDownloaded,
# BytesUploaded, 4xx/5xx, latencies) for the whole bucket, per minute: the dashboard's
# "S3 throughput" widget reads them under FilterId = EntireBucket.
resource "aws_s3_bucket_metric" "lake" {
  count  = var.request_metrics ? 1 : 0
  bucket = aws_s3_bucket.lake.id
  name   = var.request_metrics_filter_id
}

# EventBridge notifications let a future sensor react to landing/ writes without polling.
resource "aws_s3_bucket_notification" "lake" {
  bucket      = aws_s3_bucket.lake.id
  eventbridge = true
}

resource "aws_s3_bucket_lifecycle_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id
  # Lifecycle transitions on a versioned bucket need versioning in place first.
  depends_on = [aws_s3_bucket_versioning.lake]

  rule {
    id     = "raw-intelligent-tiering"
    status = "Enabled"
    filter {
      prefix = "retail/raw/"
    }
    transition {
      days          = 0
      storage_class = "INTELLIGENT_TIERING"
    }
  }

  rule {
    id     = "old-artifacts-glacier-ir"
    status = "Enabled"
    filter {
      prefix = "retail/artifacts/models/"
    }
    transition {
      days          = var.artifacts_glacier_ir_after_days
      storage_class = "GLACIER_IR"
    }
  }

  rule {
    id     = "logs-glacier-then-expire"
    status = "Enabled"
    filter {
      prefix = "logs/"
    }
    transition {
      days          = var.logs_glacier_after_days
      storage_class = "GLACIER"
    }
    expiration {
      days = var.logs_expire_after_days
    }
  }

  rule {
    id     = "noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_transition {
      noncurrent_days = 30
      storage_class   = "GLACIER"
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_expire_after_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "lake" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.lake.arn, "${aws_s3_bucket.lake.arn}/*"]
    # {"AWS": "*"} is IAM's equivalent of "*" (everyone, anonymous included).
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyOldTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.lake.arn, "${aws_s3_bucket.lake.arn}/*"]
    # {"AWS": "*"} is IAM's equivalent of "*" (everyone, anonymous included).
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "lake" {
  bucket = aws_s3_bucket.lake.id
  policy = data.aws_iam_policy_document.lake.json
  # S3 answers OperationAborted to concurrent bucket-configuration writes; serialise them.
  depends_on = [aws_s3_bucket_public_access_block.lake]
}
