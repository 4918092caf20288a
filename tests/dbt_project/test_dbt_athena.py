"""With nothing but env defaults (no RETAIL_* variables, no AWS credentials) the project
parses, carries the Dagster asset keys, and its Athena SQL compiles offline to statements
Athena's dialect accepts: the full build and the incremental branch of every weekly model."""

from __future__ import annotations

import json

import pytest
from dbt_runner import run_dbt


WEEKLY_MODELS = {  # model -> Hive partition keys, which Athena wants last in the select
    "stg_transactions": ["shop_week", "store_region"],
    "int_product_weekly": ["shop_week"],
    "int_category_weekly": ["shop_week"],
    "product_features_pit": ["as_of_week"],
    "fct_baskets": ["shop_week"],
}


def _compile(work, *extra: str):
    # --no-populate-cache: no schema listing; --no-introspect: no query is ever sent.
    run = run_dbt(
        ["compile", "--target", "athena", "--no-populate-cache", "--no-introspect", *extra],
        work,
        {"AWS_EC2_METADATA_DISABLED": "true"},
    )
    assert run.returncode == 0, run.output[-3000:]
    return work / "target"


@pytest.fixture(scope="module")
def athena_compile(tmp_path_factory):
    return _compile(tmp_path_factory.mktemp("dbt_athena"))


@pytest.fixture(scope="module")
def athena_compile_incremental(tmp_path_factory):
    """The SQL of an incremental run that builds week 200741 after week 200740 changed."""
    return _compile(tmp_path_factory.mktemp("dbt_athena_incremental"), "--select", "resource_type:model",
                    "--vars", "{compile_incremental: true, shop_weeks: [200740, 200741]}")


def _parse_all(target):
    sqlglot = pytest.importorskip("sqlglot", reason="sqlglot is not installed (needed to parse Athena SQL)")
    from sqlglot import exp

    compiled = sorted((target / "compiled" / "retail").rglob("*.sql"))
    for path in compiled:
        sql = path.read_text()
        assert "read_parquet" not in sql and "regexp_full_match" not in sql, path
        for statement in sqlglot.parse(sql, read="athena"):
            unknown = {f.name for f in statement.find_all(exp.Anonymous)}
            assert not unknown, f"{path.name}: functions Athena's dialect does not know: {unknown}"
    return compiled


def test_manifest_carries_the_dagster_asset_keys(athena_compile):
    manifest = json.loads((athena_compile / "manifest.json").read_text())
    nodes = [*manifest["nodes"].values(), *manifest["sources"].values()]
    keys = {
        n["name"]: (n["config"]["meta"]["dagster"]["asset_key"], n["meta"]["dagster"].get("group"))
        for n in nodes
        if n["resource_type"] in ("model", "source")
    }
    assert keys["transactions"] == (["raw", "transactions"], None)
    assert keys["stg_transactions"] == (["silver", "transactions"], "silver")
    for name in ("fct_baskets", "product_features_pit", "product_features_latest"):
        assert keys[name] == (["gold", name], "gold")


def test_athena_sql_parses_as_athena(athena_compile):
    assert len(_parse_all(athena_compile)) > 50  # models and data tests


def test_incremental_athena_sql_parses_and_reads_only_the_weeks_it_builds(athena_compile_incremental):
    _parse_all(athena_compile_incremental)
    compiled = athena_compile_incremental / "compiled" / "retail" / "models"
    stg = (compiled / "staging" / "stg_transactions.sql").read_text()
    assert "where SHOP_WEEK in (200740, 200741)" in stg  # a literal list: partition pruning
    fct = (compiled / "marts" / "fct_baskets.sql").read_text()
    assert "where shop_week in (200740, 200741)" in fct


def _output_columns(statement) -> list[str]:
    """The select list a model ends with, following `select *` back through its CTEs."""
    from sqlglot import exp

    ctes = {cte.alias: cte.this for cte in statement.find_all(exp.CTE)}
    select = statement
    while select.named_selects == ["*"]:
        source = select.args.get("from_") or select.args["from"]  # sqlglot renamed the key
        select = ctes[source.this.name]
    return select.named_selects


def test_weekly_models_write_under_the_partition_limit(athena_compile):
    sqlglot = pytest.importorskip("sqlglot", reason="sqlglot is not installed (needed to parse Athena SQL)")
    manifest = json.loads((athena_compile / "manifest.json").read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for name, keys in WEEKLY_MODELS.items():
        config = models[name]["config"]
        assert config["materialized"] == "incremental" and config["incremental_strategy"] == "insert_overwrite"
        assert config["partitioned_by"] == keys
        # Batches of at most 100 partitions per statement, even on a first or full build.
        assert config["force_batch"] is True and config["partitions_limit"] <= 100
        sql = next((athena_compile / "compiled" / "retail" / "models").glob(f"*/{name}.sql")).read_text()
        assert _output_columns(sqlglot.parse_one(sql, read="athena"))[-len(keys):] == keys, name
    assert models["product_features_latest"]["config"]["materialized"] == "table"


def test_silver_reads_the_glue_table_and_puts_partition_columns_last(athena_compile):
    sqlglot = pytest.importorskip("sqlglot", reason="sqlglot is not installed (needed to parse Athena SQL)")
    from sqlglot import exp

    stg = (athena_compile / "compiled" / "retail" / "models" / "staging" / "stg_transactions.sql").read_text()
    assert '"awsdatacatalog"."mlops_dev_retail"."raw_transactions"' in stg
    renamed = next(c for c in sqlglot.parse_one(stg, read="athena").find_all(exp.CTE) if c.alias == "renamed")
    assert renamed.this.named_selects[-2:] == ["shop_week", "store_region"]  # CTAS partition columns go last
