# Off-hours scale-down: both node groups go to zero in the evening and come back in the
# morning (weekends stay down, since the stop runs Friday evening and the start only on
# weekdays). Scheduled actions act on the node groups' Auto Scaling groups directly. The
# stop sets max to 0 too: with max left up, the Cluster Autoscaler would see the API's
# Pending pods and bring the nodes straight back. Dagster runs and CI runner pods started
# off hours wait until the morning start.
locals {
  scheduled_groups = var.off_hours.enabled ? {
    api   = { asg = local.node_group_asg.api, cfg = var.api_node_group }
    batch = { asg = local.node_group_asg.batch, cfg = var.batch_node_group }
  } : {}
}

resource "aws_autoscaling_schedule" "stop" {
  for_each               = local.scheduled_groups
  scheduled_action_name  = "${local.cluster_name}-${each.key}-off-hours-stop"
  autoscaling_group_name = each.value.asg
  recurrence             = var.off_hours.stop_cron
  time_zone              = var.off_hours.time_zone
  min_size               = 0
  desired_capacity       = 0
  max_size               = 0
}

resource "aws_autoscaling_schedule" "start" {
  for_each               = local.scheduled_groups
  scheduled_action_name  = "${local.cluster_name}-${each.key}-off-hours-start"
  autoscaling_group_name = each.value.asg
  recurrence             = var.off_hours.start_cron
  time_zone              = var.off_hours.time_zone
  min_size               = each.value.cfg.min_size
  desired_capacity       = each.value.cfg.desired_size
  max_size               = each.value.cfg.max_size
}
