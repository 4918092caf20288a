"""`retail`'s command line: --home wherever a user puts it, read-only commands that create nothing,
and registry gate/import through the one registry interface."""

from __future__ import annotations

import json

import pytest

from retail_assets.cli import build_parser, main

HOME_FORMS = [
    ["run", "--landing", "L", "--home", "H"],
    ["--home", "H", "run", "--landing", "L"],
    ["score", "--bundle", "production", "--input", "f.csv", "--output", "o.parquet", "--home", "H"],
    ["evaluate", "--home", "H", "--bundle", "production", "--input", "f.csv"],
    ["serve", "--home", "H"],
    ["registry", "list", "--home", "H"],
    ["registry", "--home", "H", "list"],
    ["registry", "show", "v0001", "--home", "H"],
    ["registry", "promote", "v0002", "--reason", "ok", "--home", "H"],
    ["registry", "rollback", "--home", "H"],
    ["registry", "reject", "v0003", "--home", "H"],
    ["registry", "gate", "--min", "accuracy=0.9", "--home", "H"],
    ["registry", "log", "--last", "5", "--home", "H"],
    ["registry", "import", "v0001", "--from-deployment", "dev", "--home", "H"],
]


@pytest.mark.parametrize("argv", HOME_FORMS, ids=[" ".join(a) for a in HOME_FORMS])
def test_home_is_accepted_after_every_subcommand_and_action(argv):
    assert build_parser().parse_args(argv).home == "H"


def _registered_home(home):
    """A home whose registry holds v0001 (Production) and v0002 (Challenger), without bundles."""
    from retail_assets.contract.lake_keys import REGISTRY
    from retail_assets.registry.local import LocalRegistry
    from retail_assets.settings import settings_for_home

    settings = settings_for_home(home)
    registry = LocalRegistry(f"{settings.lake}/{REGISTRY}", verify=False)  # stage rules only: no bundles
    for version, accuracy in (("v0001", 0.91), ("v0002", 0.93)):
        registry.register(f"retail/artifacts/models/{version}",
                          {"bundle_id": version * 8, "model_name": "xgboost"}, {"accuracy": accuracy, "macro_f1": 0.9})
    registry.promote("v0001", "first")
    return registry


def test_registry_list_with_home_after_the_action(tmp_path, capsys):
    home = tmp_path / "home"
    _registered_home(home)
    assert main(["registry", "list", "--home", str(home)]) == 0
    listing = capsys.readouterr().out
    assert "* v0001  Production" in listing and "  v0002  Challenger" in listing


def test_read_only_commands_on_a_home_that_was_never_built_fail_and_create_nothing(tmp_path, capsys):
    home = tmp_path / "nowhere"
    for action in (["list"], ["show", "v0001"], ["gate"]):
        assert main(["registry", *action, "--home", str(home)]) == 2
        assert "no installation at" in capsys.readouterr().err
    assert not home.exists()


def test_gate_prints_production_or_fails_naming_the_missing_minimum(tmp_path, capsys):
    home = tmp_path / "home"
    _registered_home(home)
    assert main(["registry", "gate", "--min", "accuracy=0.9", "--home", str(home)]) == 0
    assert capsys.readouterr().out.strip() == "v0001"
    assert main(["registry", "gate", "--min", "accuracy=0.95", "--min", "macro_f1=0.5", "--home", str(home)]) == 1
    assert "accuracy=0.91 (minimum 0.95)" in capsys.readouterr().err
    assert main(["registry", "gate", "--min", "accuracy", "--home", str(home)]) == 2
    assert "expected METRIC=NUMBER" in capsys.readouterr().err
    # A home whose registry has no Production version yet: exit 1, nothing on stdout.
    empty = tmp_path / "empty"
    from retail_assets.registry.local import LocalRegistry

    LocalRegistry(empty / "lake/retail/artifacts/registry", verify=False).register(
        "retail/artifacts/models/v0001", {"bundle_id": "x" * 64, "model_name": "xgboost"}, {"accuracy": 0.9})
    assert main(["registry", "gate", "--home", str(empty)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "no Production version" in captured.err


def test_registry_log_prints_every_stage_change_with_its_reason(tmp_path, capsys):
    home = tmp_path / "home"
    _registered_home(home)
    assert main(["registry", "log", "--home", str(home)]) == 0
    entries = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["action"], e["version"]) for e in entries] == [("register", "v0001"), ("register", "v0002"),
                                                              ("promote", "v0001")]
    assert entries[-1]["reason"] == "first" and entries[-1]["to_stage"] == "Production"
    assert main(["registry", "log", "--last", "1", "--home", str(home)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_sample_writes_a_faulty_week_that_ingestion_refuses(tmp_path, capsys):
    from retail_assets.ingest.weekly import FileRejected, parse_weekly_file

    assert main(["sample", "--faulty", "missing_column", "--out", str(tmp_path)]) == 0
    assert "missing_column" in capsys.readouterr().out
    path = tmp_path / "transactions_200607.csv"
    with pytest.raises(FileRejected, match="SPEND"):
        parse_weekly_file(path.name, path.read_bytes())
