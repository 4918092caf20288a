"""features/*: the feature store — the offline training table and the online product table.

Both are read from dbt's gold tables in the lake (the same keys whichever warehouse built
them) and stored by LakeTableIOManager under retail/features/.
"""


import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from retail_assets.defs.features.resources import OnlineFeatureStore
from retail_assets.resources import LakeResource
from retail_assets.warehouse import read_gold_table


@dg.asset(
    key=["features", "training_table"],
    group_name="features",
    deps=[dg.AssetKey(["gold", "fct_baskets"])],
    io_manager_key="lake_io_manager",
    kinds={"parquet"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Offline store: one row per basket with point-in-time features and its label.",
)
def training_table(context: dg.AssetExecutionContext, lake: LakeResource) -> pa.Table:
    table = read_gold_table(lake.uri, "fct_baskets")
    table = table.sort_by([("shop_week", "ascending"), ("basket_id", "ascending")])
    labels = table.column("label").value_counts().to_pylist()
    weeks = pc.unique(table.column("shop_week")).to_pylist()
    context.add_output_metadata({
        "baskets": table.num_rows,
        "weeks": len(weeks),
        "first_week": min(weeks) if weeks else 0,
        "last_week": max(weeks) if weeks else 0,
        "labels": dg.MetadataValue.json({d["values"]: d["counts"] for d in labels}),
    })
    return table


@dg.asset(
    key=["features", "online_product_features"],
    group_name="features",
    deps=[dg.AssetKey(["gold", "product_features_latest"])],
    io_manager_key="lake_io_manager",
    kinds={"parquet", "sagemaker"},
    automation_condition=dg.AutomationCondition.eager(),
    description="Online store: latest statistics per product, carried inside every model bundle "
                "(and, on AWS, put into a SageMaker Feature Store feature group).",
)
def online_product_features(context: dg.AssetExecutionContext, lake: LakeResource,
                            feature_store: OnlineFeatureStore) -> pa.Table:
    table = read_gold_table(lake.uri, "product_features_latest").sort_by("prod_code")
    context.add_output_metadata({"products": table.num_rows, **feature_store.publish(table)})
    return table
