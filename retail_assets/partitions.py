"""The weekly partition: one `shop_week` (YYYYWW) per landed file, added as files arrive."""

import dagster as dg

shop_week_partitions = dg.DynamicPartitionsDefinition(name="shop_week")
