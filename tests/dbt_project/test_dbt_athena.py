"""With nothing but env defaults (no RETAIL_* variables, no AWS credentials) the project
parses, carries the Dagster asset keys, and its Athena SQL compiles offline to statements
Athena's dialect accepts: the full build and the incremental branch of every weekly model."""

from __future__ import annotations

import json
from pathlib import Path

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


# ---- the Glue table of raw, generated from the raw schema -------------------------------------

GLUE_TABLE = Path(__file__).resolve().parents[2] / "infra" / "modules" / "analytics" / "raw_transactions_table.json"


def test_glue_raw_table_is_the_generated_one_and_matches_the_raw_schema():
    import pyarrow as pa

    from retail_assets.contract.lake_keys import raw_key
    from retail_assets.ingest.glue import PARQUET_SERDE, raw_table
    from retail_assets.ingest.schema import RAW_SCHEMA

    table = json.loads(GLUE_TABLE.read_text())
    assert table == raw_table(), "regenerate: python -m retail_assets.ingest.glue > " + str(GLUE_TABLE)
    # Every raw column, in the file's order, with the Hive type of its Arrow type; SHOP_WEEK is the partition key.
    hive = {pa.int8(): "tinyint", pa.int32(): "int", pa.int64(): "bigint", pa.float64(): "double", pa.string(): "string"}
    expected = [{"name": f.name.lower(), "type": hive[f.type]} for f in RAW_SCHEMA if f.name != "SHOP_WEEK"]
    assert table["columns"] == expected
    assert table["partition_keys"] == [{"name": "shop_week", "type": hive[RAW_SCHEMA.field("SHOP_WEEK").type]}]
    assert table["serde"] == PARQUET_SERDE == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    assert table["input_format"].endswith("MapredParquetInputFormat")
    params = table["parameters"]
    assert params["projection.enabled"] == "true" and params["projection.shop_week.type"] == "integer"
    low, high = map(int, params["projection.shop_week.range"].split(","))
    assert low <= 200607 and 200819 <= high  # the real data's weeks lie inside the projected range
    # The projected location of a week is where ingestion writes it.
    assert table["location_template"].replace("${shop_week}", "200607") + "part-0.parquet" == raw_key(200607)


def test_terraform_creates_the_raw_table_from_the_generated_file():
    main = (GLUE_TABLE.parent / "main.tf").read_text()
    assert 'jsondecode(file("${path.module}/raw_transactions_table.json"))' in main
    assert 'resource "aws_glue_catalog_table" "raw_transactions"' in main
    assert "local.raw_table.serde" in main and "storage.location.template" in main
    # Athena's results are written with the platform key, and no client may bypass the workgroup.
    assert 'encryption_option = "SSE_KMS"' in main and "kms_key_arn       = var.kms_key_arn" in main
    assert "enforce_workgroup_configuration    = true" in main


def test_dbt_raw_table_macro_declares_the_generated_columns():
    """dbt's own DDL for the same table (run-operation create_raw_transactions_table) cannot drift either."""
    import re

    from retail_assets.ingest.glue import raw_table

    macro = (Path(__file__).resolve().parents[2] / "dbt_project" / "macros" / "create_raw_transactions_table.sql").read_text()
    body = macro[macro.index("create external table"):macro.index("partitioned by")]
    declared = [{"name": n, "type": t} for n, t in re.findall(r"^\s+(\w+) (\w+),?$", body, re.M)]
    table = raw_table()
    assert declared == table["columns"]
    assert re.search(r"partitioned by \((\w+) (\w+)\)", macro).groups() == ("shop_week", "int")


def test_silver_reads_only_columns_the_glue_table_has(athena_compile):
    sqlglot = pytest.importorskip("sqlglot", reason="sqlglot is not installed (needed to parse Athena SQL)")
    from sqlglot import exp

    from retail_assets.ingest.glue import raw_table

    table = raw_table()
    known = {c["name"] for c in table["columns"] + table["partition_keys"]}
    stg = (athena_compile / "compiled" / "retail" / "models" / "staging" / "stg_transactions.sql").read_text()
    ctes = {cte.alias: cte.this for cte in sqlglot.parse_one(stg, read="athena").find_all(exp.CTE)}
    # `source` is select * from the Glue table; the CTE reading `source` names every column it takes.
    assert [t.name for t in ctes["source"].find_all(exp.Table)] == ["raw_transactions"]
    (reader,) = [c for c in ctes.values() if any(t.name == "source" for t in c.find_all(exp.Table))]
    used = {c.name.lower() for c in reader.find_all(exp.Column)}
    assert used == known, (used - known, known - used)
