"""`retail registry list|promote|rollback|reject` on the home's registry."""

from __future__ import annotations

import json

from retail_assets.ml.registry import open_registry
from retail_assets.settings import get_settings


def registry_command(args) -> int:
    settings = get_settings()
    registry = open_registry(settings.ml_backend, settings.lake_uri,
                             model_package_group=settings.model_package_group, region=settings.aws_region)
    if args.action == "list":
        production = registry.production()
        for version, entry in sorted(registry.list_versions().items()):
            metrics = entry.get("metrics", {})
            mark = "*" if version == production else " "
            print(f"{mark} {version}  {entry['stage']:<10} {entry.get('model_name', ''):<20} "
                  f"accuracy {metrics.get('accuracy', float('nan')):.4f}  macro-F1 {metrics.get('macro_f1', float('nan')):.4f}  "
                  f"{entry.get('created_at', '')}")
        return 0
    if args.action == "promote":
        registry.promote(args.version, args.reason, actor="cli")
    elif args.action == "reject":
        registry.reject(args.version, args.reason, actor="cli")
    elif args.action == "rollback":
        restored = registry.rollback(args.reason, actor="cli")
        print(json.dumps({"production": restored}))
        return 0
    print(json.dumps({"production": registry.production()}))
    return 0
