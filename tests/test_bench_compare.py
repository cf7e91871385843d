"""bench/compare.py: the same page and role side by side across runs, flagged when it grows
with the database or changes its queries."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ("| page | role | p50 ms | p95 ms | queries | KB | floor p50 | ×floor | admin p50 | admin÷page | target |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|\n")


def _compare():
    spec = importlib.util.spec_from_file_location("bench_compare", ROOT / "bench" / "compare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(tmp_path, name, cases, rows):
    path = tmp_path / name
    path.write_text(f"Machine: … database fq 1 GB: ~{cases:,} cases, ~2 parties …\n\n" + HEADER + "".join(
        f"| {page} | {role} | {p50} | 1 | {queries} | 9 |  |  |  |  | ✓ |\n" for page, role, p50, queries in rows),
        encoding="utf-8")
    return path


def test_a_page_that_grows_or_changes_its_queries_is_flagged(tmp_path, capsys):
    small = _run(tmp_path, "a.md", 10_000, [("list", "worker", "20.0", 6), ("detail", "worker", "30.0", 8),
                                             ("stats", "admin", "40.0", 12), ("ledger", "worker", "HTTP 403", 4)])
    large = _run(tmp_path, "b.md", 9_996_637, [("list", "worker", "29.0", 6), ("detail", "worker", "30.5", 9),
                                                 ("stats", "admin", "61.0", 12), ("ledger", "worker", "HTTP 403", 4)])
    assert _compare().main([str(small), str(large)]) == 0
    out = capsys.readouterr().out
    assert "| 10 k p50 ms (queries) | 10 M p50 ms (queries) |" in out
    assert "| list | worker | 20 (6) | 29 (6) | ✓ |" in out      # 1.45× the first: flat
    assert "| detail | worker | 30 (8) | 30.5 (9) | ✗ |" in out  # one more query
    assert "| stats | admin | 40 (12) | 61 (12) | ✗ |" in out    # 1.53× the first
    assert "ledger" not in out                                    # a 403 is no figure
    assert "2 page(s) not flat" in out
