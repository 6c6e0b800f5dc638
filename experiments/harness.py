"""What every experiment script shares: its command line, a resumable journal of its rows, the
library's metrics, markdown tables, and many seeds of a search on any executor.

Each script in this folder is ``python experiments/NAME.py ...``: it makes its parser with
:func:`parser` (the common options, named alike everywhere), keeps what it computes in a
:func:`journal` (a :class:`nasperf.store.Journal`: a rerun with the same settings continues, other
settings are refused), scores with :data:`METRICS` (``nasperf.stats``, never scipy's own) and
prints :func:`markdown` tables, the form docs/RESULTS.md quotes.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nasperf.stats import kendall_tau, pearson, spearman
from nasperf.store import Journal

__all__ = [
    "parser",
    "journal",
    "markdown",
    "METRICS",
    "correlations",
    "mean_std",
    "executor",
    "search_seeds",
    "live_cell",
    "finite",
    "evaluation_journal",
]

#: the rank statistics the experiments report, the library's (constant input gives 0)
METRICS: dict[str, Callable[[Any, Any], float]] = {
    "kendall_tau": kendall_tau,
    "spearman": spearman,
    "pearson": pearson,
}


def parser(
    doc: str | None,
    *,
    benchmark: str | None = None,
    seeds: int | None = None,
    out: bool | str = False,
    workers: bool = False,
) -> argparse.ArgumentParser:
    """A parser titled by the first line of ``doc`` with the common options: a positional
    ``benchmark`` (its default), ``--seeds N``, ``--out PATH`` (``True``: required, a string:
    its default) and ``--workers N --executor local|ray``. Logging goes to stderr at INFO."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    first = (doc or "").strip().splitlines()[0] if doc else None
    ap = argparse.ArgumentParser(
        description=first, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    if benchmark is not None:
        ap.add_argument("benchmark", nargs="?", default=benchmark, help="a benchmark name")
    if seeds is not None:
        ap.add_argument("--seeds", type=int, default=seeds, help="seeds 0..N-1")
    if out is True:
        ap.add_argument("--out", type=Path, required=True, help="where the rows are kept")
    elif out:
        ap.add_argument("--out", type=Path, default=Path(out), help="where the rows are kept")
    if workers:
        ap.add_argument("--workers", type=int, default=1, help="processes (or Ray workers)")
        ap.add_argument("--executor", default="local", choices=("local", "ray"))
    return ap


def journal(out: Path, settings: Mapping[str, Any], **options: Any) -> Journal:
    """The JSON-lines file ``out`` as a :class:`~nasperf.store.Journal`: its settings beside it
    (``OUT.settings.json``), its own lock, rows appended as they finish; ``options`` go to the
    journal (``may_differ``, ``is_row``, ...)."""
    where = Journal.beside(out, ".settings.json")
    return Journal(settings=settings, what=f"the rows of {Path(out).name}", **where, **options)


def evaluation_journal(run: Path) -> Journal:
    """The journal ``nasperf evaluate --out RUN`` keeps (``settings.json``, ``trials.jsonl``),
    to read while it runs or after: ``.read()`` gives its finished trials, each
    ``{"trial", "predictor", "rows"}``, ``.saved_settings()`` what it was made with."""
    from nasperf.evaluation import ROWS_FILE, SETTINGS_FILE

    return Journal(run, None, rows=ROWS_FILE, settings_file=SETTINGS_FILE)


def markdown(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A markdown table (cells as given; floats with 3 decimals, None as empty)."""

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, (float, np.floating)):
            return f"{value:.3f}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def finite(metric: Callable[[Any, Any], float]) -> Callable[[Any, Any], float]:
    """``metric`` on the pairs where both values are finite; NaN when fewer than 2 remain (a
    report then shows the hole instead of stopping on it)."""

    def on_finite(a: Any, b: Any) -> float:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        ok = np.isfinite(a) & np.isfinite(b)
        return float(metric(a[ok], b[ok])) if ok.sum() >= 2 else float("nan")

    return on_finite


def correlations(pred: Sequence[float], truth: Sequence[float]) -> dict[str, float]:
    """Kendall τ, Spearman ρ and Pearson r of ``pred`` against ``truth`` (the library's)."""
    return {name: metric(truth, pred) for name, metric in METRICS.items()}


def mean_std(values: Sequence[float | None], digits: int = 2) -> str:
    """``mean ± std`` of the values that are not None (``-`` when none is)."""
    got = [float(v) for v in values if v is not None]
    return f"{np.mean(got):.{digits}f} ± {np.std(got):.{digits}f}" if got else "-"


def executor(args: argparse.Namespace) -> Any:
    """The executor of ``--workers`` and ``--executor``."""
    from nasperf.execution import make_executor

    return make_executor(args.executor, args.workers)


def search_seeds(spec: Any, seeds: Sequence[int], args: argparse.Namespace, where: Path) -> list:
    """``spec``'s seeds on the executor of ``args``, journalled in ``where`` (a rerun reads
    the finished seeds back), after the spec is checked whole."""
    from nasperf.search import run_seeds

    spec.check()
    with executor(args) as ex:
        return run_seeds(spec, seeds, ex, where)


def live_cell(config: Any, arch: str, seed: int) -> tuple[Any, Any]:
    """A freshly built cell of a live benchmark's ``config`` and its data, on one torch thread
    (a worker's task: the cells run in parallel processes)."""
    import torch

    from nasperf.benchmarks import build_cell, cell_data

    torch.set_num_threads(1)
    data = cell_data(config)
    model, _, _ = build_cell(config, arch, seed, data)
    return model, data
