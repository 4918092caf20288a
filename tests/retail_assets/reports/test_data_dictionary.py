"""docs/data-dictionary.md is the script's output: same structure as the script renders on
generated data, measured figures that match an independent count, and a --check that
catches a stale file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from retail_assets.ingest.schema import COLUMNS
from retail_assets.reports import data_dictionary
from retail_assets.reports.facts import measure
from retail_assets.sample import write_sample_weeks

DOC = Path(__file__).resolve().parents[3] / "docs" / "data-dictionary.md"


@pytest.fixture(scope="module")
def weeks(tmp_path_factory) -> Path:
    """Three weeks in the seg_1/seg_2 header (one gzipped) and one in the CUST_* header."""
    folder = tmp_path_factory.mktemp("weeks")
    write_sample_weeks(folder, weeks=2, baskets_per_week=80)
    write_sample_weeks(folder, weeks=1, baskets_per_week=80, first_week=200609, gzip=True)
    write_sample_weeks(folder, weeks=1, baskets_per_week=80, first_week=200610, header="cust")
    return folder


@pytest.fixture(scope="module")
def facts(weeks):
    return measure(weeks)


def test_the_committed_file_has_the_structure_the_script_renders(facts):
    rendered = data_dictionary.render(facts)
    assert data_dictionary.structure(DOC.read_text()) == data_dictionary.structure(rendered)


def test_every_canonical_column_and_both_header_names_are_described(facts):
    text = data_dictionary.render(facts)
    for column in COLUMNS:
        assert f"| `{column}` |" in text, column
    assert "| 13 | `seg_1` | `CUST_PRICE_SENSITIVITY` | AZ→LA, BG→UM, CT→MM, DY→XX |" in text
    assert "| 14 | `seg_2` | `CUST_LIFESTAGE` |" in text


def test_measured_figures_match_an_independent_count(weeks, facts):
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(weeks.glob("transactions_*"))]
    lines = pd.concat([f.rename(columns={"seg_1": "CUST_PRICE_SENSITIVITY", "seg_2": "CUST_LIFESTAGE"}) for f in frames])
    baskets = lines.drop_duplicates("BASKET_ID")
    assert facts.files == 4 and facts.weeks == [200607, 200608, 200609, 200610]
    assert facts.header_variants == {"seg_1, seg_2": 3, "CUST_PRICE_SENSITIVITY, CUST_LIFESTAGE": 1}
    assert facts.lines == facts.rows == len(lines)
    assert facts.baskets == len(baskets) == 320
    assert {k: v[0] for k, v in facts.labels.items()} == baskets["BASKET_PRICE_SENSITIVITY"].value_counts().to_dict()
    assert facts.nulls["CUST_CODE"] == (lines["CUST_CODE"] == "").sum() > 0
    assert facts.nulls["SPEND"] == 0
    per_basket = lines.groupby("BASKET_ID").size()
    assert sum(a for a, _ in facts.single_line.values()) == (per_basket == 1).sum()
    assert facts.hierarchy["PROD_CODE"][0] == lines["PROD_CODE"].nunique()
    by_format = baskets.groupby(["STORE_FORMAT", "BASKET_PRICE_SENSITIVITY"]).size()
    assert {(f, lab): n for f, row in facts.by_format.items() for lab, n in row.items()} == by_format.to_dict()
    assert facts.inconsistent_baskets == 0 and facts.baskets_in_several_weeks == 0


def test_check_passes_on_a_fresh_file_and_fails_on_a_stale_one(weeks, tmp_path, capsys):
    out = tmp_path / "dictionary.md"
    args = ["--data", str(weeks), "--out", str(out)]
    assert data_dictionary.main(args) == 0
    assert data_dictionary.main([*args, "--check"]) == 0

    text = out.read_text()
    baskets_row = next(line for line in text.splitlines() if line.startswith("| baskets |"))
    out.write_text(text.replace(baskets_row, "| baskets | 999,999 |"))  # a figure gone stale
    assert data_dictionary.main([*args, "--check"]) == 1
    assert "999,999" in capsys.readouterr().err

    out.write_text(text.replace("## Columns", "## The columns"))  # prose edited by hand
    assert data_dictionary.main([*args, "--check"]) == 1
    assert data_dictionary.structure(out.read_text()) != data_dictionary.structure(text)


def test_a_refused_file_is_named_and_not_measured(weeks, tmp_path):
    folder = tmp_path / "weeks"
    folder.mkdir()
    for path in weeks.glob("transactions_20060[78].csv"):
        (folder / path.name).symlink_to(path)
    (folder / "transactions_200611.csv").write_text("SHOP_WEEK,SPEND\n200611,1.0\n")
    facts = measure(folder)
    assert facts.files == 3 and facts.weeks == [200607, 200608]
    assert "missing columns" in facts.refused["transactions_200611.csv"]
    assert "transactions_200611.csv" in data_dictionary.render(facts)


@pytest.mark.slow
def test_the_committed_file_is_up_to_date_with_the_real_weeks(real_data):
    assert data_dictionary.main(["--data", str(real_data), "--out", str(DOC), "--check"]) == 0
