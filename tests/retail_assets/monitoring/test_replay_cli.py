"""`retail replay`'s arguments and the input it refuses, each named, before any run starts."""

import pytest

from retail_assets.cli import build_parser, main
from retail_assets.replay import weekly_files


@pytest.mark.parametrize("argv", [["replay", "--landing", "L", "--home", "H", "--json"],
                                  ["--home", "H", "replay", "--landing", "L"]])
def test_home_and_json_are_accepted_anywhere(argv):
    args = build_parser().parse_args(argv)
    assert args.home == "H" and args.landing == "L"


def test_a_missing_folder_and_a_folder_without_weekly_files_are_named(tmp_path, capsys):
    assert main(["replay", "--landing", str(tmp_path / "nope"), "--home", str(tmp_path / "h")]) == 2
    assert f"--landing {tmp_path / 'nope'}: no such folder" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match="no transactions_YYYYWW.csv"):
        weekly_files(tmp_path)


def test_weeks_come_in_week_order_and_one_week_twice_is_refused(tmp_path):
    for name in ("transactions_200702.csv", "transactions_200652.csv.gz", "transactions_200701.csv"):
        (tmp_path / name).write_bytes(b"")
    assert [w for w, _ in weekly_files(tmp_path)] == [200652, 200701, 200702]
    (tmp_path / "transactions_200701.csv.gz").write_bytes(b"")
    with pytest.raises(ValueError, match="week 200701 already comes from"):
        weekly_files(tmp_path)
