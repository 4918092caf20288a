"""The weekly partition: one `shop_week` (YYYYWW) per landed file, added as files arrive."""

import dagster as dg

SHOP_WEEK = "shop_week"  # the dynamic partitions' name, as the instance stores them
shop_week_partitions = dg.DynamicPartitionsDefinition(name=SHOP_WEEK)
