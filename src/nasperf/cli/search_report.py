"""What ``nasperf search`` prints and writes: one seed's row and trace, many seeds' summary,
their outcomes and the anytime plot."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.table import Table

from ..store import atomic_write
from .console import new_table, out

if TYPE_CHECKING:
    from ..search import SearchResult

__all__ = ["TRACE_COLUMNS", "SEED_COLUMNS", "search_table", "seeds_table", "report", "records_time"]

TRACE_COLUMNS = ("epochs", "seconds", "arch", "value", "true_value", "test_value", "jobs")
SEED_COLUMNS = ("seed", "best", "value", "true_value", "test_value", "epochs", "seconds",
                "completed", "stopped", "failed")  # fmt: skip


def records_time(bench: Any) -> bool:
    """Whether ``bench`` records training time (per-epoch or total); else a simulated search
    counts one unit per epoch, and its tables say epochs."""
    return any("epoch_time" in r.curves or r.cost is not None for r in bench.records())


def _value(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def _mean_std(values: Sequence[float | None]) -> str:
    got = [v for v in values if v is not None]
    return f"{np.mean(got):.2f} ± {np.std(got):.2f}" if got else "-"


def _last(res: SearchResult) -> Any:
    return res.trace[-1] if res.trace else None


def search_table(where: str, res: SearchResult, *, timed: bool = True) -> Table:
    """One row: what a search returned and what it cost (in epochs only when ``timed`` is
    False: its benchmark records no training time). Every started run is counted once:
    completed, stopped by the rule, failed, or left at a lower rung (not promoted by the
    halving, or cut short by the budget)."""
    last = _last(res)
    columns = ("best", "final val acc", "true final", "test", "epochs")
    columns += ("seconds",) * timed + ("started", "completed", "stopped", "failed")
    columns += ("left at a rung",)
    title = f"{res.strategy} on {where}" + ("" if timed else " (no recorded time: cost in epochs)")
    table = new_table(title, columns)
    left = res.configs - res.completed - res.stopped - res.failed
    table.add_row(
        str(res.best_arch),
        _value(res.best_value),
        _value(last.true_value if last else None),
        _value(last.test_value if last else None),
        str(res.epochs_used),
        *((f"{res.seconds_used:.1f}",) if timed else ()),
        *map(str, (res.configs, res.completed, res.stopped, res.failed, left)),
    )
    return table


def seeds_table(where: str, results: Sequence[SearchResult], *, timed: bool = True) -> Table:
    """One row for many seeds: the returned candidate's values (mean ± std over seeds) and
    the cost (mean)."""
    columns = ("seeds", "final val acc", "true final", "test", "epochs")
    columns += ("seconds",) * timed + ("completed", "stopped", "failed")
    table = new_table(f"{results[0].strategy} on {where}", columns, left=False)
    lasts = [_last(r) for r in results]

    def mean(name: str, digits: int = 1) -> str:
        return f"{np.mean([getattr(r, name) for r in results]):,.{digits}f}"

    table.add_row(
        str(len(results)),
        _mean_std([r.best_value for r in results]),
        _mean_std([p.true_value if p else None for p in lasts]),
        _mean_std([p.test_value if p else None for p in lasts]),
        mean("epochs_used", 0),
        *((mean("seconds_used"),) if timed else ()),
        mean("completed"),
        mean("stopped"),
        mean("failed"),
    )
    return table


def _write_rows(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    def write(target: Path) -> None:
        with target.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)

    return atomic_write(path, write)


def report(
    where: str, results: Sequence[SearchResult], out_dir: Path | None, *, bench: Any = None
) -> None:
    """Print the results' table; with ``out_dir`` write one seed's ``trace.csv`` (and a
    fitness's ``estimates.json``), or many seeds' ``seeds.csv`` and ``anytime.png``. ``bench``
    is the table searched (None: live), for its recorded time and its optimum."""
    timed = bench is None or records_time(bench)
    if len(results) == 1:
        res = results[0]
        out.print(search_table(where, res, timed=timed))
        if out_dir is None:
            return
        points = [(p.epochs, p.seconds, p.arch, p.value, p.true_value, p.test_value, p.jobs)
                  for p in res.trace]  # fmt: skip
        out.print(f"trace: {_write_rows(out_dir / 'trace.csv', TRACE_COLUMNS, points)}")
        if res.estimates:
            path = atomic_write(out_dir / "estimates.json", json.dumps(res.estimates, indent=1))
            out.print(f"estimates: {path}")
        return
    out.print(seeds_table(f"{where} ({len(results)} seeds)", results, timed=timed))
    if out_dir is not None:
        _write_seeds(results, bench, out_dir, timed=timed)


def _write_seeds(
    results: Sequence[SearchResult], bench: Any, out_dir: Path, *, timed: bool
) -> None:
    """Each seed's outcome as ``seeds.csv`` and the anytime plot as ``anytime.png``."""
    from ..search import plot_anytime

    rows = []
    for r in results:
        last = _last(r)
        rows.append((r.seed, r.best_arch, r.best_value, last and last.true_value,
                     last and last.test_value, r.epochs_used, r.seconds_used, r.completed,
                     r.stopped, r.failed))  # fmt: skip
    path = _write_rows(out_dir / "seeds.csv", SEED_COLUMNS, rows)
    if bench is not None:
        optimum = max(float(rec.target) for rec in bench.records())
        name = bench.name
    else:  # live: the best value any seed found
        optimum = max(r.best_value for r in results if r.best_value is not None)
        name = "live"
    unit = "simulated seconds" if bench is not None else "seconds"
    label = f"time ({unit})" if timed else "time (epochs: no time recorded)"
    by_strategy = {results[0].strategy: results}
    plot = plot_anytime(by_strategy, optimum, out_dir / "anytime.png", name, time_label=label)
    out.print(f"seeds: {path}\nanytime plot: {plot}")
