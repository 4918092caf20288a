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

# The raw layer as Athena reads it (the dbt source raw.transactions). Columns, SerDe and
# partition projection come from raw_transactions_table.json, generated from the raw schema
# (python -m retail_assets.ingest.glue; tests/dbt_project/test_dbt_athena.py compares them).
# Projection computes the shop_week partitions, so a week is queryable once its Parquet
# file is written. The objects are SSE-KMS (the lake's default key); Athena decrypts them
# with the reader's kms:Decrypt, and writes results with the same key (the workgroup above).
locals {
  raw_table = jsondecode(file("${path.module}/raw_transactions_table.json"))
}

resource "aws_glue_catalog_table" "raw_transactions" {
  name          = local.raw_table.name
  database_name = aws_glue_catalog_database.retail.name
  description   = "Validated weekly transactions (retail/raw/shop_week=YYYYWW/part-0.parquet)"
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(local.raw_table.parameters, {
    "storage.location.template" = "s3://${var.lake_bucket_name}/${local.raw_table.location_template}"
  })

  dynamic "partition_keys" {
    for_each = local.raw_table.partition_keys
    content {
      name = partition_keys.value.name
      type = partition_keys.value.type
    }
  }

  storage_descriptor {
    location      = "s3://${var.lake_bucket_name}/${local.raw_table.location}"
    input_format  = local.raw_table.input_format
    output_format = local.raw_table.output_format

    ser_de_info {
      serialization_library = local.raw_table.serde
      parameters            = local.raw_table.serde_parameters
    }

    dynamic "columns" {
      for_each = local.raw_table.columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}
