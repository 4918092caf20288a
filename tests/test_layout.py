"""The structure the architecture asks for, checked from the source: no import cycle among the
project's modules (lazy imports included), a contract that imports neither the web service nor
Dagster, a serving runtime without the pipeline's libraries, the environment written by the
settings module only, and every lake key defined once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("retail_assets", "serving")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _project_imports(module: str) -> set[str]:
    return {name for name in _imports(MODULES[module]) if name in MODULES and name != module}


def test_no_import_cycle_among_the_projects_modules():
    graph = {module: _project_imports(module) for module in MODULES}
    # Tarjan's strongly connected components: any component larger than one module is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    assert cycles == []


def _third_party(module: str) -> set[str]:
    return {name.split(".")[0] for name in _imports(MODULES[module])}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("retail_assets.contract")))
def test_the_contract_imports_neither_the_web_service_nor_dagster(module):
    assert not _third_party(module) & {"fastapi", "starlette", "dagster", "dagster_dbt", "serving", "sklearn", "pandas"}
    assert not {n for n in _imports(MODULES[module]) if n.startswith("retail_assets.")
                and not n.startswith(("retail_assets.contract", "retail_assets.settings", "retail_assets.aws_names"))}


def test_serving_depends_on_the_contract_not_on_the_pipeline():
    serving = [m for m in MODULES if m.startswith("serving")]
    for module in serving:
        assert not _third_party(module) & {"dagster", "dagster_dbt", "dbt", "sklearn", "pandas", "sagemaker", "xgboost"}
        pipeline = {n for n in _imports(MODULES[module]) if n.startswith("retail_assets.")
                    and not n.startswith(("retail_assets.contract", "retail_assets.settings", "retail_assets.aws_names"))}
        assert not pipeline, f"{module} imports {pipeline}"


def test_training_code_does_not_import_the_web_service():
    for module in MODULES:
        if module.startswith("retail_assets"):
            assert "serving" not in _third_party(module), module


ENVIRON_WRITE = re.compile(r"os\.environ(\[[^]]+\]\s*=|\.(update|setdefault|pop|clear)\()|os\.putenv|os\.unsetenv")


def test_only_the_settings_module_writes_the_environment():
    writers = [str(path.relative_to(ROOT)) for module, path in MODULES.items()
               if ENVIRON_WRITE.search(path.read_text()) and module != "retail_assets.settings"]
    assert writers == []


def test_every_lake_key_is_defined_once():
    """Outside lake_keys, no module spells a lake prefix as a string literal."""
    spelled = []
    for module, path in MODULES.items():
        if module == "retail_assets.contract.lake_keys":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    re.match(r"retail/(landing|raw|quarantine|silver|gold|features|artifacts)", node.value):
                spelled.append(f"{path.relative_to(ROOT)}: {node.value!r}")
    assert spelled == []
