# dbt-athena runs in this workgroup; enforcing its configuration means no client can
# write unencrypted results elsewhere or skip the scan limit.
locals {
  tags = { Component = "analytics" }
}

resource "aws_athena_workgroup" "main" {
  # Named as dbt_project/profiles.yml expects (mlops-<env>-retail).
  name          = "${var.name_prefix}-retail"
  force_destroy = true # query history only; results live in the lake bucket

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${var.lake_bucket_name}/athena-results/"
      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }

  tags = local.tags
}

# Glue database names allow no hyphens: mlops-dev -> mlops_dev_retail.
resource "aws_glue_catalog_database" "retail" {
  name         = "${replace(var.name_prefix, "-", "_")}_retail"
  description  = "dbt silver and gold models of the retail lake"
  location_uri = "s3://${var.lake_bucket_name}/retail/"
  tags         = local.tags
}
