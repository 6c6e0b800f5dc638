"""A search's results for people and files: one seed's summary and trace, many seeds' summary
and outcomes, regret against runs and time, and its plot."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..benchmarks import CurvesBenchmark
from ..exceptions import ConfigurationError
from ..store import atomic_write
from ._types import SearchResult

__all__ = [
    "ShownMetric",
    "anytime",
    "plot_anytime",
    "records_time",
    "summary",
    "seeds_summary",
    "summarise",
    "write_results",
    "TRACE_COLUMNS",
    "SEED_COLUMNS",
]

#: the columns of ``trace.csv``: the incumbent at each run completed
TRACE_COLUMNS = ("epochs", "seconds", "arch", "value", "true_value", "test_value", "jobs")
#: the columns of ``seeds.csv``: each seed's outcome
SEED_COLUMNS = ("seed", "best", "value", "true_value", "test_value", "epochs", "seconds")
SEED_COLUMNS += ("completed", "stopped", "failed")


def records_time(bench: Any) -> bool:
    """Whether ``bench`` records training time (per-epoch or total); else a simulated search
    counts one unit per epoch, and its summaries say epochs."""
    return any("epoch_time" in r.curves or r.cost is not None for r in bench.records())


@dataclass(frozen=True)
class ShownMetric:
    """How a search's values are named and shown in its tables: in the metric's own units.

    Inside nasperf higher is better: a minimised metric (a ``curves:`` file's loss) is negated.
    ``sign`` (-1 for such a metric) turns the observed values back into ``name``'s units,
    ``true_sign`` the table's final values (its target: another column's with ``--target``).
    The default is NAS-Bench-201's: the validation accuracy, as tables have always shown it.
    """

    name: str = "val acc"
    sign: float = 1.0
    true_sign: float = 1.0

    @classmethod
    def of(cls, bench: Any = None) -> ShownMetric:
        """The metric of the table ``bench`` (None: a live search, an accuracy)."""
        curve = "val_acc" if bench is None else str(bench.target_curve)
        if bench is not None and not isinstance(bench, CurvesBenchmark):
            records = bench.records()
            if records and curve not in records[0].curves:  # a csv: table: its target column
                return cls(str(bench.target_name))
        if curve == "val_acc" and not isinstance(bench, CurvesBenchmark):
            return cls()
        true_sign = -1.0 if isinstance(bench, CurvesBenchmark) and bench.runs.minimize else 1.0
        if curve.startswith("-"):
            return cls(curve[1:], -1.0, true_sign)
        return cls("val acc" if curve == "val_acc" else curve, 1.0, true_sign)

    @property
    def accuracy(self) -> bool:
        """Whether it is the validation accuracy (shown with two decimals, as always)."""
        return self.name == "val acc"

    @property
    def column(self) -> str:
        """The summary's column of the returned candidate's observed final value."""
        return f"final {self.name}"

    def title(self) -> str:
        """What a title adds: the metric's direction, where lower is better (else nothing)."""
        return f" ({self.name}: lower is better)" if self.sign < 0 else ""

    def value(self, value: float | None, sign: float = 1.0) -> str:
        """``value`` (times ``sign``) as text; ``-`` for none."""
        if value is None:
            return "-"
        return f"{sign * value:.2f}" if self.accuracy else f"{sign * value:.4g}"

    def mean_std(self, values: Sequence[float | None], sign: float = 1.0) -> str:
        """The mean ± std of the ``values`` there are (times ``sign``); ``-`` for none."""
        got = [sign * v for v in values if v is not None]
        if not got:
            return "-"
        mean, std = float(np.mean(got)), float(np.std(got))
        return f"{mean:.2f} ± {std:.2f}" if self.accuracy else f"{mean:.4g} ± {std:.2g}"


_ACCURACY = ShownMetric()


def summary(
    res: SearchResult, *, timed: bool = True, metric: ShownMetric = _ACCURACY
) -> dict[str, str]:
    """What a search returned and what it cost, as text by column (the cost in epochs only
    when ``timed`` is False: its benchmark records no training time), its values in
    ``metric``'s units. Every started run is counted once: completed, stopped by the rule,
    failed, or left at a lower rung (not promoted by the halving, or cut short by the
    budget)."""
    last = res.trace[-1] if res.trace else None
    row = {"best": str(res.best_arch), metric.column: metric.value(res.best_value, metric.sign)}
    row["true final"] = metric.value(last.true_value if last else None, metric.true_sign)
    row["test"] = metric.value(last.test_value if last else None)
    row["epochs"] = str(res.epochs_used)
    if timed:
        row["seconds"] = f"{res.seconds_used:.1f}"
    counts = {"started": res.configs, "completed": res.completed, "stopped": res.stopped}
    counts["failed"] = res.failed
    counts["left at a rung"] = res.configs - res.completed - res.stopped - res.failed
    return {**row, **{k: str(v) for k, v in counts.items()}}


def seeds_summary(
    results: Sequence[SearchResult], *, timed: bool = True, metric: ShownMetric = _ACCURACY
) -> dict[str, str]:
    """Many seeds in one row: the returned candidate's values (mean ± std over seeds, in
    ``metric``'s units) and the cost (mean)."""
    lasts = [r.trace[-1] if r.trace else None for r in results]

    def mean(name: str, digits: int = 1) -> str:
        return f"{np.mean([getattr(r, name) for r in results]):,.{digits}f}"

    row = {"seeds": str(len(results))}
    row[metric.column] = metric.mean_std([r.best_value for r in results], metric.sign)
    trues = [p.true_value if p else None for p in lasts]
    row["true final"] = metric.mean_std(trues, metric.true_sign)
    row["test"] = metric.mean_std([p.test_value if p else None for p in lasts])
    row["epochs"] = mean("epochs_used", 0)
    if timed:
        row["seconds"] = mean("seconds_used")
    return {**row, **{name: mean(name) for name in ("completed", "stopped", "failed")}}


def summarise(
    results: Sequence[SearchResult], where: str, *, bench: Any = None
) -> tuple[str, dict[str, str]]:
    """A title and one row of text for ``results``: :func:`summary` of one seed or
    :func:`seeds_summary` of many, searched on ``where`` (``bench``: the table, whose recorded
    time decides whether the cost is in seconds and whose metric names the values, in its own
    units; None: live, timed, an accuracy)."""
    timed = bench is None or records_time(bench)
    metric = ShownMetric.of(bench)
    many = len(results) > 1
    if many:
        row = seeds_summary(results, timed=timed, metric=metric)
    else:
        row = summary(results[0], timed=timed, metric=metric)
    title = f"{results[0].strategy} on {where}" + (f" ({len(results)} seeds)" if many else "")
    title += metric.title()
    return title + ("" if timed else " (no recorded time: cost in epochs)"), row


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    def write(target: Path) -> None:
        with target.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows)

    return atomic_write(path, write)


def write_results(
    results: Sequence[SearchResult], out_dir: str | Path, *, bench: Any = None
) -> list[Path]:
    """Write the results of a search's seeds into ``out_dir`` and return the paths:
    ``summary.csv`` (the row :func:`summarise` prints), ``trace.csv`` (each seed's incumbent at
    each run completed; a ``seed`` column first when there are many) and, for a short-budget
    fitness, ``estimates.json`` (every candidate's estimate; each with its ``seed`` when there
    are many); many seeds add ``seeds.csv`` (each seed's outcome) and ``anytime.png``.
    ``bench`` is the table searched (None: live), for its recorded time, its metric and its
    optimum (live: the best value any seed found)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    many = len(results) > 1
    _, row = summarise(results, "", bench=bench)
    paths = [_write_csv(out_dir / "summary.csv", list(row), [list(row.values())])]
    points = [
        ((r.seed,) if many else ())
        + (p.epochs, p.seconds, p.arch, p.value, p.true_value, p.test_value, p.jobs)
        for r in results
        for p in r.trace
    ]
    header = ("seed", *TRACE_COLUMNS) if many else TRACE_COLUMNS
    paths.append(_write_csv(out_dir / "trace.csv", header, points))
    estimates = [{"seed": r.seed, **e} if many else e for r in results for e in r.estimates]
    if estimates:
        paths.append(atomic_write(out_dir / "estimates.json", json.dumps(estimates, indent=1)))
    if not many:
        return paths
    rows = []
    for r in results:
        last = r.trace[-1] if r.trace else None
        values = (last.true_value, last.test_value) if last else (None, None)
        cost = (r.epochs_used, r.seconds_used, r.completed, r.stopped, r.failed)
        rows.append((r.seed, r.best_arch, r.best_value, *values, *cost))
    paths.append(_write_csv(out_dir / "seeds.csv", SEED_COLUMNS, rows))
    if bench is not None:
        optimum, name = max(float(rec.target) for rec in bench.records()), bench.name
        unit = "simulated seconds" if records_time(bench) else "epochs: no time recorded"
    else:
        optimum = max((r.best_value for r in results if r.best_value is not None), default=0.0)
        name, unit = "live training: regret against the best value any seed found", "seconds"
    by_strategy = {results[0].strategy: results}
    plot = plot_anytime(by_strategy, optimum, out_dir / "anytime.png", name, f"time ({unit})")
    return [*paths, plot]


def anytime(
    results: Sequence[SearchResult],
    optimum: float,
    axis: str = "jobs",
    grid: Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Regret (``optimum`` minus the incumbent's table value, or its observed value where the
    table has none) of each result at each point of ``grid`` on ``axis`` (``jobs``: runs
    completed; ``epochs``; ``seconds``): the grid and a (results x grid) array, NaN before a
    search's first completed run."""
    if axis not in ("jobs", "epochs", "seconds"):
        raise ConfigurationError(f"axis must be jobs, epochs or seconds, got {axis!r}")
    if grid is None:
        top = max((getattr(r.trace[-1], axis) for r in results if r.trace), default=1)
        grid = np.linspace(0, top, 100)
    grid = np.asarray(grid, dtype=float)
    out = np.full((len(results), len(grid)), np.nan)
    for i, res in enumerate(results):
        xs = np.array([getattr(p, axis) for p in res.trace], dtype=float)
        ys = np.array(
            [optimum - (p.true_value if p.true_value is not None else p.value) for p in res.trace]
        )
        idx = np.searchsorted(xs, grid, side="right") - 1
        ok = idx >= 0
        out[i, ok] = ys[idx[ok]]
    return grid, out


def plot_anytime(
    by_strategy: Mapping[str, Sequence[SearchResult]],
    optimum: float,
    path: str | Path,
    title: str = "",
    time_label: str = "time (simulated seconds)",
) -> Path:
    """Median and interquartile band of regret against runs completed and against time
    (``time_label`` names its unit), one line per strategy, written as the PNG ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, axis, label in zip(
        axes, ("jobs", "seconds"), ("runs completed", time_label), strict=True
    ):
        for name, results in by_strategy.items():
            grid, regret = anytime(results, optimum, axis)
            with np.errstate(all="ignore"):
                seen = np.isfinite(regret).sum(axis=0) >= max(1, len(results) // 2)
                if not seen.any():
                    continue
                q = np.nanpercentile(regret[:, seen], [25, 50, 75], axis=0)
            (line,) = ax.plot(grid[seen], q[1], label=f"{name} ({len(results)} seeds)")
            ax.fill_between(grid[seen], q[0], q[2], color=line.get_color(), alpha=0.15)
        ax.set_xlabel(label)
        ax.set_yscale("symlog", linthresh=0.01)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("regret (best value − incumbent's), median and IQR")
    axes[1].legend(loc="upper right", fontsize=9, frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    try:
        atomic_write(Path(path), lambda p: fig.savefig(p, dpi=110, format="png"))
    finally:
        plt.close(fig)
    return Path(path)
