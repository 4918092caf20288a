"""`make bench-week`: one new week on top of a trained home, through `retail replay`'s path with no
training (land, raw, dbt incremental, features, scores, quality, drift, the policy's verdict).

Each repetition starts from a fresh copy of the home (made outside the timing), so every one
adds the same new week. Prints each step's seconds per repetition, then one JSON line:
{"week", "baskets", "repeat", "seconds": [...], "seconds_median", "steps_median": {...}}.

    python -m retail_assets.bench.week --home H --file transactions_YYYYWW.csv.gz [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path


def bench_week(home: Path, week_file: Path, repeat: int) -> dict:
    from retail_assets.definitions import build_definitions
    from retail_assets.replay import replay
    from retail_assets.settings import settings_for_home

    if not (home / "lake").is_dir():
        raise FileNotFoundError(f"--home {home}: no trained home (run `retail run` on earlier weeks first)")
    totals, steps, line = [], [], None
    for i in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench-week-") as tmp:
            copy = Path(tmp) / "home"
            shutil.copytree(home, copy, symlinks=True, ignore=shutil.ignore_patterns("logs"))
            landing = Path(tmp) / "landing"
            landing.mkdir()
            shutil.copy(week_file, landing / week_file.name)
            settings = settings_for_home(copy)
            report = replay(landing, settings, build_definitions(settings), train=False)
            [line] = report.lines
            if report.problems:
                raise RuntimeError(f"repetition {i + 1}: " + "; ".join(report.problems))
            for name, seconds in line.steps.items():
                print(f"repetition {i + 1}  {name:45} {seconds:8.2f}s", file=sys.stderr)
            totals.append(line.seconds)
            steps.append(line.steps)
    assert line is not None
    return {"week": line.week, "baskets": line.baskets, "accuracy": line.accuracy, "action": line.action,
            "repeat": repeat, "seconds": totals, "seconds_median": statistics.median(totals),
            "steps_median": {name: statistics.median(s[name] for s in steps) for name in steps[0]}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, type=Path, help="a home trained on earlier weeks")
    parser.add_argument("--file", required=True, type=Path, help="the new week's transactions_YYYYWW.csv[.gz]")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(bench_week(args.home, args.file, max(args.repeat, 1))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
