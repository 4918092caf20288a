"""`retail`: the platform's command line (sample, run, replay, score, evaluate, serve, registry).

`--home DIR` (default $RETAIL_HOME or ./.retail) is accepted after every subcommand and
action; the command builds that home's settings and hands them on, so nothing travels
through the environment.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from retail_assets.settings import RetailSettings, settings_for_home


def _settings(args: argparse.Namespace) -> RetailSettings:
    return settings_for_home(getattr(args, "home", None))


def cmd_sample(args: argparse.Namespace) -> int:
    from retail_assets.sample import write_bad_fixture, write_sample_weeks

    if args.faulty:
        path = write_bad_fixture(args.faulty, Path(args.out), seed=args.seed)
        print(f"wrote a {args.faulty} file to {path} (week 200607)")
        return 0
    paths = write_sample_weeks(Path(args.out), weeks=args.weeks, seed=args.seed, header=args.header,
                               baskets_per_week=args.baskets, gzip=args.gzip)
    print(f"wrote {len(paths)} weekly files to {args.out} ({paths[0].name} .. {paths[-1].name})")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from retail_assets.definitions import build_definitions
    from retail_assets.home_lock import hold_home
    from retail_assets.pipeline import run_pipeline
    from retail_assets.summary import print_summary

    landing = Path(args.landing)
    if not landing.is_dir():
        raise FileNotFoundError(f"--landing {landing}: no such folder")
    settings = _settings(args)
    with hold_home(settings.home, wait_seconds=args.wait):
        report = run_pipeline(landing, settings, build_definitions(settings))
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


def cmd_replay(args: argparse.Namespace) -> int:
    from retail_assets.definitions import build_definitions
    from retail_assets.home_lock import hold_home
    from retail_assets.replay import WeekLine, replay

    landing = Path(args.landing)
    if not landing.is_dir():
        raise FileNotFoundError(f"--landing {landing}: no such folder")
    settings = _settings(args)

    def figure(value: float | None, digits: int = 4) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    def emit(line: WeekLine) -> None:
        if args.json:
            print(json.dumps(line.to_json()), flush=True)
        else:
            print(f"{line.week}  {line.model_version or '-':6} snapshot {line.snapshot_week or '-'}  "
                  f"baskets {line.baskets if line.baskets is not None else '-':>6}  accuracy {figure(line.accuracy)}  "
                  f"macro-F1 {figure(line.macro_f1)}  drift {figure(line.drift, 3)}  {line.action:8} "
                  f"{line.seconds:6.1f}s  {line.reason}", flush=True)

    with hold_home(settings.home, wait_seconds=args.wait):
        report = replay(landing, settings, build_definitions(settings), emit=emit)
    print(f"trend {report.trend_png or '(no week was scored)'}", file=sys.stderr if args.json else sys.stdout)
    for problem in report.problems:
        print(f"  problem  {problem}", file=sys.stderr)
    return 1 if report.problems else 0


def _bundle(args: argparse.Namespace):
    from retail_assets.scoring import open_bundle

    return open_bundle(args.bundle, _settings(args).registry_index_uri)


def cmd_score(args: argparse.Namespace) -> int:
    import pyarrow.parquet as pq

    from retail_assets.scoring import read_weekly_files, score

    bundle = _bundle(args)
    table = score(bundle, read_weekly_files([Path(p) for p in args.input]))
    pq.write_table(table, args.output)
    print(f"scored {table.num_rows} baskets with {bundle.version} ({bundle.model_name}) -> {args.output}", file=sys.stderr)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from retail_assets.scoring import evaluate, read_weekly_files

    bundle = _bundle(args)
    print(json.dumps(evaluate(bundle, read_weekly_files([Path(p) for p in args.input]))))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """uvicorn, as the image runs it, told the home through its environment. The process becomes
    uvicorn (exec), so a signal to `retail serve` reaches the server and leaves no orphan behind."""
    settings = _settings(args)
    print(f"serving the Production model of {settings.home} on http://{args.host}:{args.port}", file=sys.stderr)
    command = [sys.executable, "-m", "uvicorn", "serving.app:app", "--host", args.host, "--port", str(args.port),
               "--workers", str(args.workers), "--log-level", "info", "--no-access-log"]
    sys.stderr.flush()
    os.execve(sys.executable, command, settings.serving_env())
    return 0  # not reached: execve replaces this process


def cmd_registry(args: argparse.Namespace) -> int:
    from retail_assets.registry.cli import registry_command

    return registry_command(args, _settings(args))


def build_parser() -> argparse.ArgumentParser:
    # SUPPRESS: a --home given before the subcommand is not reset by the subcommand's own default.
    home = argparse.ArgumentParser(add_help=False)
    home.add_argument("--home", default=argparse.SUPPRESS,
                      help="holds lake, warehouse, registry, Dagster storage (default $RETAIL_HOME or ./.retail)")
    parser = argparse.ArgumentParser(prog="retail", description=__doc__.splitlines()[0], parents=[home])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="write synthetic weekly files in the dunnhumby format")
    p.add_argument("--weeks", type=int, default=8)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--header", choices=["seg", "cust"], default="seg")
    p.add_argument("--baskets", type=int, default=300, help="baskets per week")
    p.add_argument("--gzip", action="store_true", help="write .csv.gz")
    from retail_assets.sample import BAD_FIXTURE_KINDS

    p.add_argument("--faulty", choices=BAD_FIXTURE_KINDS,
                   help="write one broken week of this kind instead, to see it refused or quarantined")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("run", parents=[home], help="materialize the whole graph for every weekly file in a folder")
    p.add_argument("--landing", required=True)
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for another command holding the home (default: fail at once)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("replay", parents=[home],
                       help="feed a folder's weeks one at a time through the weekly loop, a line per week")
    p.add_argument("--landing", required=True)
    p.add_argument("--json", action="store_true", help="one JSON object per week")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for another command holding the home (default: fail at once)")
    p.set_defaults(func=cmd_replay)

    for name, func, helptext in (("score", cmd_score, "basket-level predictions to Parquet"),
                                 ("evaluate", cmd_evaluate, "metrics on labelled weekly files, one JSON line")):
        p = sub.add_parser(name, parents=[home], help=helptext)
        p.add_argument("--bundle", required=True, help="a bundle directory/URI, or 'production'")
        p.add_argument("--input", nargs="+", required=True)
        if name == "score":
            p.add_argument("--output", required=True)
        p.set_defaults(func=func)

    p = sub.add_parser("serve", parents=[home], help="the inference API on the Production bundle")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(func=cmd_serve)

    from retail_assets.registry.cli import add_registry_parser

    add_registry_parser(sub, home).set_defaults(func=cmd_registry)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as exc:  # a clear one-line error for users; tracebacks with RETAIL_DEBUG=1
        if os.environ.get("RETAIL_DEBUG"):
            raise
        print(f"retail {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
