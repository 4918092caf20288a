# The dashboard finds the ALB by its fixed name with SEARCH, so it works before the ALB
# exists and survives the ALB being recreated.
locals {
  lb    = var.api_load_balancer_name
  alb   = "{AWS/ApplicationELB,LoadBalancer}"
  env   = var.environment
  width = 12

  widgets = [
    {
      type = "metric", x = 0, y = 0, width = local.width, height = 6
      properties = {
        title  = "API latency (p50 / p95, seconds)"
        region = data.aws_region.current.name
        view   = "timeSeries"
        metrics = [
          [{ expression = "SEARCH('${local.alb} MetricName=\"TargetResponseTime\" \"${local.lb}\"', 'p50', 60)", id = "p50", label = "p50" }],
          [{ expression = "SEARCH('${local.alb} MetricName=\"TargetResponseTime\" \"${local.lb}\"', 'p95', 60)", id = "p95", label = "p95" }],
        ]
      }
    },
    {
      type = "metric", x = local.width, y = 0, width = local.width, height = 6
      properties = {
        title  = "API error rate (% 5xx) and QPS"
        region = data.aws_region.current.name
        view   = "timeSeries"
        metrics = [
          [{ expression = "SEARCH('${local.alb} MetricName=\"HTTPCode_Target_5XX_Count\" \"${local.lb}\"', 'Sum', 60)", id = "e", visible = false }],
          [{ expression = "SEARCH('${local.alb} MetricName=\"RequestCount\" \"${local.lb}\"', 'Sum', 60)", id = "r", visible = false }],
          [{ expression = "100 * SUM(e) / SUM(r)", id = "rate", label = "5xx %" }],
          [{ expression = "SUM(r) / 60", id = "qps", label = "QPS", yAxis = "right" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 6, width = local.width, height = 6
      properties = {
        title   = "Training duration (seconds)"
        region  = data.aws_region.current.name
        view    = "timeSeries"
        stat    = "Maximum"
        period  = 3600
        metrics = [["Retail/Training", "TrainingDurationSeconds", "Environment", local.env]]
      }
    },
    {
      type = "metric", x = local.width, y = 6, width = local.width, height = 6
      properties = {
        title  = "Model accuracy by week"
        region = data.aws_region.current.name
        view   = "bar"
        metrics = [
          [{ expression = "SEARCH('{Retail/Monitoring,Environment,ShopWeek} MetricName=\"WeeklyAccuracy\" Environment=\"${local.env}\"', 'Average', 604800)", id = "weekly" }],
          ["Retail/Training", "ValidationAccuracy", "Environment", local.env, { stat = "Maximum", period = 604800, label = "validation (at training)" }],
        ]
      }
    },
    {
      type = "metric", x = 0, y = 12, width = local.width * 2, height = 6
      properties = {
        title  = "S3 lake throughput (bytes and requests per minute)"
        region = data.aws_region.current.name
        view   = "timeSeries"
        stat   = "Sum"
        period = 60
        metrics = [
          ["AWS/S3", "BytesDownloaded", "BucketName", var.lake_bucket_name, "FilterId", var.lake_metrics_filter_id, { label = "bytes read" }],
          ["AWS/S3", "BytesUploaded", "BucketName", var.lake_bucket_name, "FilterId", var.lake_metrics_filter_id, { label = "bytes written" }],
          ["AWS/S3", "GetRequests", "BucketName", var.lake_bucket_name, "FilterId", var.lake_metrics_filter_id, { label = "GET", yAxis = "right" }],
          ["AWS/S3", "PutRequests", "BucketName", var.lake_bucket_name, "FilterId", var.lake_metrics_filter_id, { label = "PUT", yAxis = "right" }],
        ]
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = "${var.name_prefix}-overview"
  dashboard_body = jsonencode({ widgets = local.widgets })
}
