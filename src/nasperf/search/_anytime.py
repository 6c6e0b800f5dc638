"""Many seeds of a search at a glance: regret against runs and time, and its plot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..exceptions import ConfigurationError
from ._types import SearchResult

__all__ = ["anytime", "plot_anytime"]


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

    from ..store import atomic_write

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
