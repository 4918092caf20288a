"""`retail registry list|show|promote|rollback|reject|gate|import` on a deployment's registry.

The registry is the deployment's own: local files for a local home, the SageMaker model
package group `mlops-<deployment>-price-sensitivity` on AWS (RETAIL_DEPLOYMENT), so CI names
a deployment, never a group. Every change goes through the registry interface and lands in
its one index and log.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from retail_assets.registry import ModelRegistry, open_registry
from retail_assets.registry.versions import gate, import_version
from retail_assets.settings import RetailSettings

READ_ONLY = ("list", "show", "log", "gate")


def add_registry_parser(sub: Any, home: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = sub.add_parser("registry", parents=[home], help="list, promote, roll back, reject, gate or import model versions")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("list", parents=[home], help="every version, its stage and headline metrics")
    a = actions.add_parser("show", parents=[home], help="one version's entry as JSON")
    a.add_argument("version")
    a = actions.add_parser("log", parents=[home], help="every stage change and promotion decision, one JSON line each")
    a.add_argument("--last", type=int, default=0, help="only the last N entries")
    for action in ("promote", "reject"):
        a = actions.add_parser(action, parents=[home])
        a.add_argument("version")
        a.add_argument("--reason", default=f"manual {action} from the CLI")
    a = actions.add_parser("rollback", parents=[home], help="make the previous Production version current again")
    a.add_argument("--reason", default="manual rollback from the CLI")
    a = actions.add_parser("gate", parents=[home],
                           help="print the Production version; exit 1 if it misses a minimum or there is none")
    a.add_argument("--min", action="append", default=[], metavar="METRIC=VALUE", dest="minimums")
    a = actions.add_parser("import", parents=[home],
                           help="copy a version from another deployment's registry into this one")
    a.add_argument("version")
    a.add_argument("--from-deployment", required=True, help="e.g. dev, when this deployment is prod")
    a.add_argument("--promote", action="store_true", help="make the imported version Production")
    a.add_argument("--reason", default="imported from the CLI")
    return p


def _registry(settings: RetailSettings) -> ModelRegistry:
    return open_registry(settings.ml_backend, settings.lake, model_package_group=settings.model_package_group,
                         region=settings.aws_region)


def _minimums(pairs: list[str]) -> dict[str, float]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            out[name] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name:
            raise ValueError(f"--min {pair!r}: expected METRIC=NUMBER, e.g. accuracy=0.9")
    return out


def registry_command(args: argparse.Namespace, settings: RetailSettings) -> int:
    if args.action in READ_ONLY and not settings.is_aws and not Path(settings.lake).is_dir():
        # A read-only command creates nothing: a home that was never built is an error.
        raise FileNotFoundError(f"no installation at {settings.home} (no lake there); run `retail run --home ...` first")
    registry = _registry(settings)
    if args.action == "list":
        production = registry.production()
        for version, entry in sorted(registry.list_versions().items()):
            metrics = entry.get("metrics", {})
            mark = "*" if version == production else " "
            print(f"{mark} {version}  {entry['stage']:<10} {entry.get('model_name', ''):<20} "
                  f"accuracy {metrics.get('accuracy', float('nan')):.4f}  macro-F1 {metrics.get('macro_f1', float('nan')):.4f}  "
                  f"{entry.get('created_at', '')}")
        return 0
    if args.action == "show":
        print(json.dumps({"version": args.version, **registry.get(args.version)}, indent=2))
        return 0
    if args.action == "log":
        entries = registry.read_log()
        for entry in entries[-args.last:] if args.last else entries:
            print(json.dumps(entry))
        return 0
    if args.action == "gate":
        minimums = _minimums(args.minimums)
        if registry.production() is None:
            print("the registry has no Production version", file=sys.stderr)
            return 1
        version, failures = gate(registry, minimums)
        if failures:
            print(f"{version} fails the gate: " + ", ".join(failures), file=sys.stderr)
            return 1
        print(version)
        return 0
    if args.action == "import":
        source_settings = settings.for_deployment(args.from_deployment)
        outcome = import_version(_registry(source_settings), source_settings.lake, registry, settings.lake,
                                 args.version, promote=args.promote, reason=args.reason, actor="cli")
        print(json.dumps(outcome))
        return 0
    if args.action == "promote":
        registry.promote(args.version, args.reason, actor="cli")
    elif args.action == "reject":
        registry.reject(args.version, args.reason, actor="cli")
    elif args.action == "rollback":
        registry.rollback(args.reason, actor="cli")
    print(json.dumps({"production": registry.production()}))
    return 0
