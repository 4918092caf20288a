"""What dbt's documentation leaves undescribed: models and columns without a description.

    python -m retail_assets.reports.dbt_docs TARGET_DIR [--strict]

Reads `manifest.json` and `catalog.json` from the target directory of `dbt docs generate`
(`make docs`). A column counts as described when the model's YAML gives it a description;
the catalog (the warehouse's real columns) also finds columns the YAML never names. Prints
every gap; with `--strict`, exits 1 when there is one.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Coverage:
    models: int = 0
    columns: int = 0
    undescribed_models: list[str] = field(default_factory=list)
    undescribed_columns: dict[str, list[str]] = field(default_factory=dict)  # model -> columns

    @property
    def gaps(self) -> int:
        return len(self.undescribed_models) + sum(len(c) for c in self.undescribed_columns.values())


def coverage(manifest: dict, catalog: dict | None) -> Coverage:
    result = Coverage()
    tables = (catalog or {}).get("nodes", {})
    for uid, node in sorted(manifest["nodes"].items()):
        if node["resource_type"] != "model":
            continue
        result.models += 1
        if not node.get("description", "").strip():
            result.undescribed_models.append(node["name"])
        described = {name.lower() for name, c in node.get("columns", {}).items() if c.get("description", "").strip()}
        named = [name.lower() for name in node.get("columns", {})]
        real = [name.lower() for name in tables.get(uid, {}).get("columns", {})] or named
        result.columns += len(real)
        missing = [name for name in real if name not in described]
        if missing:
            result.undescribed_columns[node["name"]] = missing
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, help="dbt's target directory after `dbt docs generate`")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a model or column has no description")
    args = parser.parse_args(argv)
    manifest = json.loads((args.target / "manifest.json").read_text())
    catalog_path = args.target / "catalog.json"
    catalog = json.loads(catalog_path.read_text()) if catalog_path.exists() else None
    result = coverage(manifest, catalog)
    print(f"dbt docs: {result.models} models, {result.columns} columns"
          f"{'' if catalog else ' (no catalog.json: columns as the YAML names them)'}; {result.gaps} without a description")
    for name in result.undescribed_models:
        print(f"  model {name}: no description")
    for name, columns in result.undescribed_columns.items():
        print(f"  {name}: {len(columns)} columns without a description: {', '.join(columns)}")
    return 1 if args.strict and result.gaps else 0


if __name__ == "__main__":
    sys.exit(main())
