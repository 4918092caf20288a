"""Render a Helm chart offline with helm-python-sdk (Helm's Go SDK, no helm binary).

Run with the infra tools' interpreter (.venv-infra/bin/python), which has the SDK:

    render_chart.py CHART --namespace NS [-f values.yaml ...] [--set-json '{"a": {"b": 1}}'] [--lint]

Prints JSON {"manifests": {template path: rendered text}} on stdout (with --lint also
"lint": what `helm lint --strict` reports with the same values); a render error
exits 1 with Helm's message on stderr (so tests can assert on `required` failures).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import helm_python
import yaml


def deep_merge(base: dict, override: dict) -> dict:
    """Later values files win key by key, as `helm -f a.yaml -f b.yaml` does."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("chart", type=Path)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--release", default="inference-api")
    parser.add_argument("-f", "--values", action="append", default=[], type=Path)
    parser.add_argument("--set-json", default="{}")
    parser.add_argument("--lint", action="store_true")
    args = parser.parse_args(argv)

    values: dict = {}
    for path in args.values:
        values = deep_merge(values, yaml.safe_load(path.read_text()) or {})
    values = deep_merge(values, json.loads(args.set_json))

    try:
        with helm_python.Chart.load(args.chart) as chart:
            manifests = chart.render(values, name=args.release, namespace=args.namespace, is_install=True)
    except helm_python.HelmError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    out: dict = {"manifests": manifests}
    if args.lint:
        out["lint"] = helm_python.lint(args.chart, values, strict=True, namespace=args.namespace)
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
