"""``nasperf benchmarks``: the benchmarks, whether their data is found, and their sizes."""

from __future__ import annotations

import typer
from rich.table import Table

from .console import new_table, out

__all__ = [
    "benchmarks",
    "benchmarks_table",
    "PATTERNS",
]

#: the name forms that are not in the table of benchmarks
PATTERNS = (
    ("nb201-DATASET", "NB201 table nb201/nb201_DATASET.csv.gz"),
    ("nb201:PATH", "any file in the NB201 table schema"),
    ("live:DIR", "a benchmark made by nasperf make-benchmark"),
    ("csv:PATH", "your own results; needs --target COLUMN"),
    ("curves:PATH", "your own learning curves: long CSV, JSON lines or cells.jsonl (--curve)"),
)


def benchmarks(
    count: bool = typer.Option(
        False,
        "--count/--no-count",
        help="load each one at hand and count its candidates (default: the known counts)",
    ),
) -> None:
    """List the benchmarks, whether their data is found, and their sizes."""
    out.print(benchmarks_table(count))


def benchmarks_table(count: bool) -> Table:
    """One row per benchmark: its known number of candidates, or the counted one of those at
    hand if ``count`` (loading each)."""
    from ..benchmarks import BENCHMARKS, benchmark_status, load_benchmark

    table = new_table("benchmarks", ("name", "status", "candidates", "file size", "what"))
    for name, info in BENCHMARKS.items():
        status, size = benchmark_status(name)
        known = info.meta.get("candidates")
        n = f"{known:,}" if known else ""
        if count and status in ("found", "installed"):
            n = f"{len(load_benchmark(name)):,}"
        table.add_row(name, status, n, f"{size / 1e6:.2f} MB" if size else "", info.summary)
    for name, what in PATTERNS:
        table.add_row(name, "", "", "", what)
    return table
