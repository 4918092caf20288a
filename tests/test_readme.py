"""The README is a newcomer's page that tells the truth: short, every link resolves, every make
target and `retail` command it shows exists as written, and what it says is tested is tested."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def test_the_readme_is_short():
    assert len(README.splitlines()) < 200


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_relative_link_resolves(page):
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
        if "://" not in target:
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"


def test_every_make_target_the_readme_names_exists():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([\w-]+):", makefile, flags=re.M))
    named = set(re.findall(r"`make ([\w-]+)", README)) | set(re.findall(r"^make ([\w-]+)", README, flags=re.M))
    assert named and named <= targets, named - targets


def _retail_commands(text: str) -> list[list[str]]:
    """Every `retail ...` line of the page's code blocks, without comments and continuations."""
    commands = []
    for block in _code_blocks(text):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("retail "):
                commands.append(shlex.split(line)[1:])
    return commands


CONCRETE = {"V": "v0001", "VERSION": "v0001", "FILE...": "f.csv", "PATH": "p", "DIR": "d", "D": "dev", "M=X": "accuracy=0.9"}


def _synopsis_to_argvs(argv: list[str]) -> list[list[str]]:
    """A synopsis line as concrete commands: optional parts dropped, every alternative action
    (`list|show V|...`) its own command, the first alternative of a value (`production|PATH`) taken."""
    if not any(c in word for word in argv for c in "[|") and not set(argv) & set(CONCRETE):
        return [argv]  # a concrete command, quoted words intact
    text = re.sub(r"\[[^]]*\]", "", " ".join(argv))
    command, _, rest = text.partition(" ")
    if rest.split(" ", 1)[0].find("|") > 0 and command == "registry":
        alternatives = rest.split("|")
    else:
        alternatives = [re.sub(r"(\S+?)\|\S+", r"\1", rest)]
    return [[command, *(CONCRETE.get(w, w) for w in alternative.split())] for alternative in alternatives]


@pytest.mark.parametrize("page", [p for p in PAGES if _retail_commands(p.read_text())], ids=lambda p: p.name)
def test_every_retail_command_shown_parses(page):
    from retail_assets.cli import build_parser

    parser = build_parser()
    for shown in _retail_commands(page.read_text()):
        for argv in _synopsis_to_argvs(shown):
            try:
                parser.parse_args(argv)
            except SystemExit:
                pytest.fail(f"{page.name}: `retail {' '.join(argv)}` does not parse")


def test_what_the_aws_section_says_is_tested_is_tested():
    section = README[README.index("## AWS"):]
    assert "open work" not in section
    tests = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    for claim, test in {
        "The S3\nlake (landing → sensor → raw → silver)": "def test_landing_to_silver_on_s3",
        "SageMaker training": "def test_training_on_sagemaker_submits_waits_and_returns_the_candidates",
        "the SageMaker registry": "def test_register_and_promote_writes_the_bundle_to_s3_and_serving_loads_it",
        "registry CLI across deployments": "def test_ci_promotes_and_rolls_back_prod_through_the_cli_never_touching_dev",
        "serving from S3": "def test_bundle_and_index_on_s3",
    }.items():
        assert " ".join(claim.split()) in " ".join(section.split()), claim
        assert test in tests, f"the README says {claim!r} is tested, but no {test} exists"
