"""`retail`: the platform's command line (sample, run, score, evaluate, serve, registry)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from retail_assets.settings import get_settings, use_home


def _home(args) -> None:
    if getattr(args, "home", None):
        use_home(args.home)
    else:
        use_home(get_settings().home)


def cmd_sample(args) -> int:
    from retail_assets.sample import write_sample_weeks

    paths = write_sample_weeks(Path(args.out), weeks=args.weeks, seed=args.seed, header=args.header,
                               baskets_per_week=args.baskets, gzip=args.gzip)
    print(f"wrote {len(paths)} weekly files to {args.out} ({paths[0].name} .. {paths[-1].name})")
    return 0


def cmd_run(args) -> int:
    from retail_assets.definitions import defs
    from retail_assets.pipeline import run_pipeline
    from retail_assets.summary import print_summary

    landing = Path(args.landing)
    if not landing.is_dir():
        raise FileNotFoundError(f"--landing {landing}: no such folder")
    _home(args)
    settings = get_settings()
    report = run_pipeline(landing, settings, defs())
    print_summary(report, settings)
    if not report.ok:
        print("\nFAILED:", file=sys.stderr)
        for line in report.refused:
            print(f"  refused file  {line}", file=sys.stderr)
        for line in report.failed_steps:
            print(f"  failed step   {line}", file=sys.stderr)
        for line in report.failed_checks:
            print(f"  failed check  {line}", file=sys.stderr)
        return 1
    return 0


def _bundle(args):
    from retail_assets.scoring import open_bundle

    _home(args)
    return open_bundle(args.bundle, get_settings().subprocess_env()["RETAIL_REGISTRY_URI"])


def cmd_score(args) -> int:
    import pyarrow.parquet as pq

    from retail_assets.scoring import read_weekly_files, score

    bundle = _bundle(args)
    table = score(bundle, read_weekly_files([Path(p) for p in args.input]))
    pq.write_table(table, args.output)
    print(f"scored {table.num_rows} baskets with {bundle.version} ({bundle.model_name}) -> {args.output}", file=sys.stderr)
    return 0


def cmd_evaluate(args) -> int:
    from retail_assets.scoring import evaluate, read_weekly_files

    bundle = _bundle(args)
    print(json.dumps(evaluate(bundle, read_weekly_files([Path(p) for p in args.input]))))
    return 0


def cmd_serve(args) -> int:
    import uvicorn

    _home(args)
    print(f"serving the Production model of {get_settings().home} on http://{args.host}:{args.port}", file=sys.stderr)
    uvicorn.run("serving.app:app", host=args.host, port=args.port, workers=args.workers, log_level="info")
    return 0


def cmd_registry(args) -> int:
    from retail_assets.ml.registry_cli import registry_command

    _home(args)
    return registry_command(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="retail", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="write synthetic weekly files in the dunnhumby format")
    p.add_argument("--weeks", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--header", choices=["seg", "cust"], default="seg")
    p.add_argument("--baskets", type=int, default=300, help="baskets per week")
    p.add_argument("--gzip", action="store_true", help="write .csv.gz")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("run", help="materialize the whole graph for every weekly file in a folder")
    p.add_argument("--landing", required=True)
    p.add_argument("--home", help="holds lake, warehouse, registry, Dagster storage (default $RETAIL_HOME or ./.retail)")
    p.set_defaults(func=cmd_run)

    for name, func, helptext in (("score", cmd_score, "basket-level predictions to Parquet"),
                                 ("evaluate", cmd_evaluate, "metrics on labelled weekly files, one JSON line")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--bundle", required=True, help="a bundle directory/URI, or 'production'")
        p.add_argument("--input", nargs="+", required=True)
        p.add_argument("--home")
        if name == "score":
            p.add_argument("--output", required=True)
        p.set_defaults(func=func)

    p = sub.add_parser("serve", help="the inference API on the Production bundle")
    p.add_argument("--home")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("registry", help="list, promote, roll back or reject model versions")
    p.add_argument("--home")
    rsub = p.add_subparsers(dest="action", required=True)
    rsub.add_parser("list")
    for action in ("promote", "reject"):
        a = rsub.add_parser(action)
        a.add_argument("version")
        a.add_argument("--reason", default=f"manual {action} from the CLI")
    a = rsub.add_parser("rollback")
    a.add_argument("--reason", default="manual rollback from the CLI")
    p.set_defaults(func=cmd_registry)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as exc:  # a clear one-line error for users; tracebacks with RETAIL_DEBUG=1
        import os

        if os.environ.get("RETAIL_DEBUG"):
            raise
        print(f"retail {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
