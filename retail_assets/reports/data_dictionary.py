"""Write docs/data-dictionary.md: the prose for every column, and tables measured on a folder.

    python -m retail_assets.reports.data_dictionary --data DIR --out docs/data-dictionary.md
    python -m retail_assets.reports.data_dictionary --data DIR --out docs/data-dictionary.md --check

The prose lives here, so the whole file is this script's output. Measured tables sit between
`<!-- measured:NAME -->` and `<!-- /measured -->`; everything outside them is the file's
structure, the same whatever the data (`structure()`), which the tests compare with the
committed file. `--check` exits 1 when the file differs from what the data gives.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

from retail_assets.ingest.schema import COLUMNS, SEG_1_CODES, SEG_2_CODES, SEG_HEADER
from retail_assets.reports.dictionary_text import COLUMN_NOTES, HEADER_PROSE, INTRO, MEASURED_PROSE, XX_MEANINGS
from retail_assets.reports.facts import LABELS, DataFacts, measure

MEASURED = re.compile(r"(<!-- measured:(?P<name>[a-z_]+) -->\n).*?(<!-- /measured -->)", re.S)

def _columns_section() -> str:
    seg_name = {canonical: seg for seg, canonical in SEG_HEADER.items()}
    codes = {"CUST_PRICE_SENSITIVITY": SEG_1_CODES, "CUST_LIFESTAGE": SEG_2_CODES}
    rows = []
    for i, column in enumerate(COLUMNS, start=1):
        mapping = ", ".join(f"{code}→{value}" for code, value in codes.get(column, {}).items()) or "same values"
        rows.append(f"| {i} | `{seg_name.get(column, column)}` | `{column}` | {mapping} |")
    table = "\n".join(rows)
    notes = "\n".join(f"| `{c}` | {t} | {v} | {m} |" for c, (t, v, m) in COLUMN_NOTES.items())
    xx = "\n".join(f"- `{c}`: {m}." for c, m in XX_MEANINGS)
    return f"""{HEADER_PROSE}{table}

`seg_2` has no code for XX, so a file of the `seg` variant cannot carry life stage XX; one
of the `cust` variant may.

## Columns

Types are those of the raw Parquet files (derived from the pandera schema). A value outside
the allowed ones sends its row to quarantine with the reason; it never reaches raw.

| column | type | allowed values | meaning |
|---|---|---|---|
{notes}

### What XX means

XX is the retailer's "not classified", never a missing value (that is empty):

{xx}

### Grain and keys

- A line: (`BASKET_ID`, `PROD_CODE`) is the natural key, but a product can sit on two lines of
  one basket; an exact repeat of a whole line is a duplicate delivery and is dropped.
- A basket: `BASKET_ID`; every basket-level field (label, store, type, mission, size,
  customer, date and hour) is the same on all its lines.
- Product hierarchy: `PROD_CODE` → `PROD_CODE_10` → `_20` → `_30` → `_40`, each code with
  exactly one parent (measured below).
- Silver keeps these columns, upper case except its Hive partition keys `shop_week` and
  `store_region`; gold is lower case (`docs/contracts.md` section 3).
"""


def _n(x: int) -> str:
    return f"{x:,}"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "–"


def _label_mix_table(title: str, mix: dict[str, dict[str, int]]) -> str:
    lines = [f"| {title} | baskets | " + " | ".join(LABELS) + " |", "|---|---:|" + "---:|" * len(LABELS)]
    for key, counts in sorted(mix.items()):
        total = sum(counts.values())
        lines.append(f"| {key} | {_n(total)} | " + " | ".join(_pct(counts.get(label, 0), total) for label in LABELS) + " |")
    return "\n".join(lines)


def measured_blocks(facts: DataFacts) -> dict[str, str]:
    """name -> the markdown of each measured block."""
    weeks = facts.weeks
    variants = "; ".join(f"{v}: {n} files" for v, n in sorted(facts.header_variants.items()))
    refused = "; ".join(f"`{name}`: {problem}" for name, problem in sorted(facts.refused.items())) or "none"
    mean, median, most = facts.lines_per_basket
    total_baskets = sum(n for n, _, _ in facts.labels.values())
    total_lines = sum(lines for _, lines, _ in facts.labels.values())
    total_spend = sum(spend for _, _, spend in facts.labels.values())
    blocks = {}
    blocks["overview"] = "\n".join([
        "| measure | value |", "|---|---:|",
        f"| weekly files | {_n(facts.files)} ({variants}) |",
        f"| files refused | {refused} |",
        f"| weeks | {len(weeks)}: {weeks[0]}–{weeks[-1]} |",
        f"| dates | {facts.first_date}–{facts.last_date} |",
        f"| lines in the files | {_n(facts.lines)} |",
        f"| rows in raw | {_n(facts.rows)} |",
        f"| rows quarantined | {_n(facts.quarantined)} |",
        f"| exact duplicate lines dropped | {_n(facts.duplicates)} |",
        f"| baskets | {_n(facts.baskets)} |",
        f"| baskets found in more than one week | {_n(facts.baskets_in_several_weeks)} |",
        f"| baskets whose basket-level fields differ between lines | {_n(facts.inconsistent_baskets)} |",
        f"| lines per basket: mean, median, max | {mean:.2f}, {median:g}, {most} |",
        f"| stores | {_n(facts.stores)} |",
        f"| known customers | {_n(facts.customers)} |",
        f"| baskets of a known customer | {_n(facts.baskets_with_customer)} ({_pct(facts.baskets_with_customer, facts.baskets)}) |",
        f"| products | {_n(facts.hierarchy['PROD_CODE'][0])} |",
    ])
    blocks["class_balance"] = "\n".join(
        ["| label | baskets | share of baskets | lines | share of lines | share of spend |", "|---|---:|---:|---:|---:|---:|"]
        + [f"| {label} | {_n(n)} | {_pct(n, total_baskets)} | {_n(lines)} | {_pct(lines, total_lines)} | "
           f"{100 * spend / total_spend:.1f} % |" for label, (n, lines, spend) in sorted(facts.labels.items())]
    )
    blocks["by_store_format"] = _label_mix_table("store format", facts.by_format)
    blocks["by_region"] = _label_mix_table("store region", facts.by_region)
    alone = sum(a for a, _ in facts.single_line.values())
    blocks["single_line"] = "\n".join(
        ["| label | single-line baskets | of the label's baskets |", "|---|---:|---:|"]
        + [f"| {label} | {_n(a)} | {_pct(a, n)} |" for label, (a, n) in sorted(facts.single_line.items())]
        + [f"| all | {_n(alone)} | {_pct(alone, total_baskets)} |"]
    ) + (f"\n\nProducts bought alone (in a single-line basket) at least once: "
         f"{_n(facts.products_bought_alone)}; of them, every single-line basket of the product has the same "
         f"label for {_n(facts.products_alone_one_label)} ({_pct(facts.products_alone_one_label, facts.products_bought_alone)}).")
    blocks["products"] = "\n".join(
        ["| level | distinct codes | most parents of one code |", "|---|---:|---:|"]
        + [f"| `{level}` | {_n(codes)} | {parents if parents else '– (top)'} |"
           for level, (codes, parents) in facts.hierarchy.items()]
    )
    blocks["nulls"] = "\n".join(
        ["| column | empty values | share of rows |", "|---|---:|---:|"]
        + [f"| `{c}` | {_n(n)} | {_pct(n, facts.rows)} |" for c, n in facts.nulls.items() if n]
    ) + f"\n\nEvery other column ({sum(1 for n in facts.nulls.values() if not n)} of {len(facts.nulls)}) has no empty value."
    values = []
    for column, counts in facts.values.items():
        total = sum(counts.values())
        values.append(f"| `{column}` | " + ", ".join(f"{v} {_pct(n, total)}" for v, n in counts.items()) + " |")
    blocks["values"] = "\n".join(["| column | baskets per value |", "|---|---|", *values])
    return blocks


def render(facts: DataFacts) -> str:
    blocks = measured_blocks(facts)
    body = f"{INTRO}\n{_columns_section()}\n{MEASURED_PROSE}"

    def fill(match: re.Match) -> str:
        return f"{match.group(1)}{blocks[match.group('name')]}\n{match.group(3)}"

    places = {m.group("name") for m in MEASURED.finditer(body)}
    if places != set(blocks):
        raise ValueError(f"measured blocks and their places disagree: {sorted(places ^ set(blocks))}")
    return MEASURED.sub(fill, body)


def structure(text: str) -> str:
    """The text with each measured block emptied: what must not depend on the data."""
    return MEASURED.sub(lambda m: f"{m.group(1)}{m.group(3)}", text)


def check(path: Path, expected: str) -> list[str]:
    """The diff between the file and `expected`; empty when they agree."""
    actual = path.read_text() if path.exists() else ""
    return list(difflib.unified_diff(actual.splitlines(), expected.splitlines(), str(path), "regenerated", lineterm="", n=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of transactions_YYYYWW.csv[.gz] files")
    parser.add_argument("--out", type=Path, required=True, help="the markdown file to write (or check)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when --out is stale")
    args = parser.parse_args(argv)
    text = render(measure(args.data))
    if args.check:
        diff = check(args.out, text)
        if diff:
            print(f"{args.out} is stale: regenerate it with the same --data", file=sys.stderr)
            print("\n".join(diff[:60]), file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    tmp.write_text(text)
    tmp.replace(args.out)
    print(f"wrote {args.out} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
