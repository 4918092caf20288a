"""Run the dbt project against throwaway lakes: everything dbt writes goes under tmp."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"


def dbt_executable() -> str:
    beside_python = Path(sys.executable).with_name("dbt")
    found = str(beside_python) if beside_python.exists() else shutil.which("dbt")
    if not found:
        pytest.skip("dbt is not installed in this environment")
    return found


@dataclass
class DbtRun:
    returncode: int
    output: str
    target_path: Path

    def results(self) -> dict[str, dict]:
        """unique_id -> run result (status, failures, message) from run_results.json."""
        data = json.loads((self.target_path / "run_results.json").read_text())
        return {r["unique_id"]: r for r in data["results"]}

    def statuses(self, prefix: str) -> dict[str, str]:
        return {uid: r["status"] for uid, r in self.results().items() if uid.startswith(prefix)}


def run_dbt(args: list[str], work: Path, env: dict[str, str] | None = None) -> DbtRun:
    """`dbt <args>` on the project, with target and logs under `work`."""
    target_path = work / "target"
    command = [
        dbt_executable(),
        *args,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(target_path),
        "--log-path", str(work / "logs"),
    ]
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RETAIL_", "DBT_"))},
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(env or {}),
    }
    proc = subprocess.run(command, env=full_env, capture_output=True, text=True, timeout=300)
    return DbtRun(proc.returncode, proc.stdout + proc.stderr, target_path)


def build_lake(lake: Path, work: Path, *args: str, command: str = "build") -> DbtRun:
    """`dbt build --target local [args]` with the lake and the DuckDB warehouse under `work`
    (the same warehouse on every call with the same `work`: later calls are incremental)."""
    return run_dbt(
        [command, "--target", "local", *args],
        work,
        {"RETAIL_LAKE": str(lake), "RETAIL_DUCKDB_PATH": str(work / "warehouse.duckdb")},
    )


def warehouse_table(work: Path, name: str) -> list[dict]:
    """Every row of a model's warehouse table, in a stable order."""
    duckdb = pytest.importorskip("duckdb")
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        table = con.sql(f'select * from main."{name}"').to_arrow_table()
    return sorted(table.to_pylist(), key=lambda row: [str(v) for v in row.values()])


def files_read(sql: str, work: Path) -> tuple[list[str], int, object]:
    """Run `sql` in a fresh DuckDB with profiling: (files its Parquet scans opened, bytes
    read, the query's first value)."""
    duckdb = pytest.importorskip("duckdb")
    profile = work / "profile.json"
    with duckdb.connect() as con:
        con.execute("pragma enable_profiling = 'json'")
        con.execute(f"pragma profiling_output = '{profile}'")
        value = con.sql(sql).fetchall()[0][0]  # fetched to the end: the profile is written then
        con.execute("pragma disable_profiling")
    tree = json.loads(profile.read_text())
    files: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        info = node.get("extra_info") or {}
        if "Total Files Read" in info:
            names = info.get("Filename(s)", "")
            files += [f.strip() for f in names.split(",") if f.strip()]
            assert len(files) == int(info["Total Files Read"]) or not names, info
        stack += node.get("children", [])
    return sorted(files), int(tree.get("total_bytes_read", 0)), value
