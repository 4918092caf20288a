# Model alarms read the custom metrics the pipeline publishes (infra/README.md, "Metrics");
# a missing data point means "no run", not "bad model".
resource "aws_cloudwatch_metric_alarm" "validation_accuracy" {
  alarm_name          = "${var.name_prefix}-validation-accuracy-low"
  alarm_description   = "The newest trained model's validation accuracy is below ${var.min_accuracy}"
  namespace           = "Retail/Training"
  metric_name         = "ValidationAccuracy"
  dimensions          = { Environment = var.environment }
  statistic           = "Minimum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = var.min_accuracy
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "weekly_accuracy" {
  alarm_name          = "${var.name_prefix}-weekly-accuracy-low"
  alarm_description   = "Accuracy of the Production model on the latest labelled week is below ${var.min_accuracy}"
  namespace           = "Retail/Monitoring"
  metric_name         = "WeeklyAccuracy"
  dimensions          = { Environment = var.environment }
  statistic           = "Minimum"
  period              = 86400
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = var.min_accuracy
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "training_duration" {
  alarm_name          = "${var.name_prefix}-training-too-long"
  alarm_description   = "A training run took longer than ${var.max_training_minutes} minutes"
  namespace           = "Retail/Training"
  metric_name         = "TrainingDurationSeconds"
  dimensions          = { Environment = var.environment }
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.max_training_minutes * 60
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  tags                = local.tags
}

# ---- API alarms: on the ALB the Ingress creates, once it exists ------------------------

data "aws_lb" "api" {
  count = var.alarm_on_alb ? 1 : 0
  name  = var.api_load_balancer_name
}

resource "aws_cloudwatch_metric_alarm" "api_latency_p95" {
  count               = var.alarm_on_alb ? 1 : 0
  alarm_name          = "${var.name_prefix}-api-latency-p95"
  alarm_description   = "Inference API p95 latency above ${var.latency_p95_threshold_seconds}s for 5 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = data.aws_lb.api[0].arn_suffix }
  extended_statistic  = "p95"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.latency_p95_threshold_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "api_error_rate" {
  count               = var.alarm_on_alb ? 1 : 0
  alarm_name          = "${var.name_prefix}-api-error-rate"
  alarm_description   = "More than ${var.error_rate_threshold_percent}% of API requests answered 5xx for 5 minutes"
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.error_rate_threshold_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * errors / requests, 0)"
    label       = "5xx %"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = { LoadBalancer = data.aws_lb.api[0].arn_suffix }
      stat        = "Sum"
      period      = 60
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = { LoadBalancer = data.aws_lb.api[0].arn_suffix }
      stat        = "Sum"
      period      = 60
    }
  }

  tags = local.tags
}
