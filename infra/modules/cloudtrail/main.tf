# The account's one trail (multi-region, global service events: one per account is enough
# and a second would bill every management event twice), with digest files (log file validation) encrypted with the platform
# key, mirrored to CloudWatch Logs so metric filters and alarms can act on it.
data "aws_partition" "current" {}

locals {
  tags = { Component = "audit" }
}

resource "aws_cloudwatch_log_group" "trail" {
  name              = "/aws/cloudtrail/${var.trail_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

data "aws_iam_policy_document" "trail_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "trail_logs" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.trail.arn}:*"]
  }
}

resource "aws_iam_role" "trail" {
  name               = "${var.name_prefix}-cloudtrail-logs"
  assume_role_policy = data.aws_iam_policy_document.trail_trust.json
  tags               = local.tags
}

resource "aws_iam_role_policy" "trail" {
  name   = "write-trail-log-group"
  role   = aws_iam_role.trail.id
  policy = data.aws_iam_policy_document.trail_logs.json
}

resource "aws_cloudtrail" "main" {
  #checkov:skip=CKV_AWS_252:no consumer for per-file SNS notifications; alerting goes through the CloudWatch Logs copy
  name                          = var.trail_name
  s3_bucket_name                = var.log_bucket_name
  s3_key_prefix                 = "cloudtrail"
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  kms_key_id                    = var.kms_key_arn
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.trail.arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.trail.arn

  event_selector {
    read_write_type           = "All"
    include_management_events = true
  }

  # Only writes: reads of a lake scanned by Athena would multiply the event bill.
  event_selector {
    read_write_type           = "WriteOnly"
    include_management_events = false
    data_resource {
      type   = "AWS::S3::Object"
      values = [for b in var.lake_bucket_arns : "${b}/"]
    }
  }

  tags = local.tags
}
