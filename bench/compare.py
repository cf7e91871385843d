"""Are the pages flat across sizes? Side by side, the p50 and queries of each page and role in
several runs of bench/run.py (their --markdown files), smallest database first:

    .venv/bin/python bench/compare.py bench/results/10k-….md bench/results/1m-….md bench/results/10m-….md

A page is flagged when its p50 in the last run is more than `--tolerance` times (default 1.5) its
p50 in the first, or when its query count changes: what "flat" means for a page that must cost
the same whatever the size of the province. Prints a Markdown table; exits 0 either way (a
judgement for the README, not a test).
"""

import argparse
import re
import sys
from pathlib import Path

CASES = re.compile(r"~([\d,]+) cases")


def read(path: Path) -> tuple[str, dict]:
    """(label, {(page, role): (p50 or None, queries or None)}) of one --markdown file."""
    text = path.read_text(encoding="utf-8")
    found = CASES.search(text)
    label = _size(int(found.group(1).replace(",", ""))) if found else path.stem
    rows, headers = {}, None
    for line in text.splitlines():
        if not line.startswith("| "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if cells[0] == "page":
            headers = cells
            continue
        if headers is None or len(cells) != len(headers):
            continue
        row = dict(zip(headers, cells, strict=True))
        rows[(row["page"], row["role"])] = (_number(row["p50 ms"]), _number(row["queries"]))
    return label, rows


def _size(cases: int) -> str:
    for unit, name in ((1_000_000, "M"), (1_000, "k")):
        if round(cases / unit) >= 1:  # the row counts are PostgreSQL's estimates: 999 6xx cases is 1 M
            return f"{round(cases / unit):g} {name}"
    return str(cases)


def _number(cell: str):
    try:
        return float(cell)
    except ValueError:
        return None


def table(runs: list[tuple[str, dict]], tolerance: float) -> tuple[str, int]:
    """The Markdown table and how many rows are flagged."""
    keys = [key for key in runs[-1][1] if runs[-1][1][key][0] is not None]
    lines = ["| page | role | " + " | ".join(f"{label} p50 ms (queries)" for label, _ in runs) + " | flat |",
             "|---|---|" + "---|" * (len(runs) + 1)]
    flagged = 0
    for key in keys:
        seen = [rows.get(key, (None, None)) for _, rows in runs]
        first, last = seen[0], seen[-1]
        verdict = "✓"
        if first[0] is None:
            verdict = "?"
        elif last[0] > tolerance * first[0] or len({queries for _, queries in seen}) > 1:
            verdict, flagged = "✗", flagged + 1
        cells = ["—" if p50 is None else f"{p50:g} ({queries:g})" for p50, queries in seen]
        lines.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + f" | {verdict} |")
    return "\n".join(lines), flagged


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path, help="bench/run.py --markdown files, smallest first")
    parser.add_argument("--tolerance", type=float, default=1.5)
    args = parser.parse_args(argv)
    text, flagged = table([read(path) for path in args.results], args.tolerance)
    print(text)
    print(f"\n{flagged} page(s) not flat (last p50 > {args.tolerance:g}× the first, or other queries).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
