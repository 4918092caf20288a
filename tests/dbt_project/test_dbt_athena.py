"""With nothing but env defaults (no RETAIL_* variables, no AWS credentials) the project
parses, carries the Dagster asset keys, and its Athena SQL compiles offline to statements
Athena's dialect accepts."""

from __future__ import annotations

import json

import pytest
from dbt_runner import run_dbt


@pytest.fixture(scope="module")
def athena_compile(tmp_path_factory):
    work = tmp_path_factory.mktemp("dbt_athena")
    # --no-populate-cache: no schema listing; --no-introspect: no query is ever sent.
    run = run_dbt(
        ["compile", "--target", "athena", "--no-populate-cache", "--no-introspect"],
        work,
        {"AWS_EC2_METADATA_DISABLED": "true"},
    )
    assert run.returncode == 0, run.output[-3000:]
    return work / "target"


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
    sqlglot = pytest.importorskip("sqlglot", reason="sqlglot is not installed (needed to parse Athena SQL)")
    from sqlglot import exp

    compiled = sorted((athena_compile / "compiled" / "retail").rglob("*.sql"))
    assert len(compiled) > 50  # models and data tests
    for path in compiled:
        sql = path.read_text()
        assert "read_parquet" not in sql and "regexp_full_match" not in sql, path
        for statement in sqlglot.parse(sql, read="athena"):
            unknown = {f.name for f in statement.find_all(exp.Anonymous)}
            assert not unknown, f"{path.name}: functions Athena's dialect does not know: {unknown}"


def test_silver_reads_the_glue_table_and_puts_partition_columns_last(athena_compile):
    sqlglot = pytest.importorskip("sqlglot", reason="sqlglot is not installed (needed to parse Athena SQL)")
    from sqlglot import exp

    stg = next((athena_compile / "compiled").rglob("stg_transactions.sql")).read_text()
    assert '"awsdatacatalog"."mlops_dev_retail"."raw_transactions"' in stg
    renamed = next(c for c in sqlglot.parse_one(stg, read="athena").find_all(exp.CTE) if c.alias == "renamed")
    assert renamed.this.named_selects[-2:] == ["shop_week", "store_region"]  # CTAS partition columns go last
