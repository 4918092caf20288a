"""Reading dbt's gold relations back into Arrow, by the names dbt itself recorded."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa


def relation_name(manifest_path: Path, model: str) -> str:
    """`"schema"."table"` of the relation dbt builds for `model`.

    The database part is left out on purpose: in DuckDB it is the file's stem, which differs
    between homes, while schema and alias come from the project and are the same everywhere.
    """
    nodes = json.loads(Path(manifest_path).read_text())["nodes"]
    for node in nodes.values():
        if node.get("resource_type") == "model" and node.get("name") == model:
            return f'"{node["schema"]}"."{node.get("alias") or node["name"]}"'
    raise KeyError(f"dbt model {model!r} is not in {manifest_path}")


def read_duckdb_relation(database: Path, relation: str) -> pa.Table:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(f"select * from {relation}").to_arrow_table()
