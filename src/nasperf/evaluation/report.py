"""Saving, tabulating and plotting evaluation results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..store import atomic_write
from .protocol import EvaluationResult

__all__ = ["save_result", "plot_result", "pivot_metric"]


def pivot_metric(result: EvaluationResult, metric: str = "kendall_tau") -> pd.DataFrame:
    """Predictors as rows, train sizes as columns, mean of ``metric`` over trials as values."""
    df = result.frame()
    table = df.pivot_table(
        index="predictor", columns="train_size", values=metric, aggfunc="mean", sort=False
    )
    return table


def plot_result(result: EvaluationResult, path: Path, metric: str = "kendall_tau") -> Path:
    """Plot ``metric`` against train size and against fit time, one line per predictor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summ = result.summary()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, part in summ.groupby("predictor", sort=False):
        x = part["train_size"].to_numpy()
        y = part[f"{metric}_mean"].to_numpy()
        err = part[f"{metric}_std"].to_numpy()
        (line,) = axes[0].plot(x, y, marker="o", label=name)
        axes[0].fill_between(x, y - err, y + err, alpha=0.15, color=line.get_color())
        axes[1].plot(
            np.maximum(part["fit_time_mean"].to_numpy(), 1e-4),
            y,
            marker="o",
            label=name,
            color=line.get_color(),
        )
    label = metric.replace("_", " ")
    axes[0].set_xscale("log")
    axes[0].set_xlabel("train size")
    axes[0].set_ylabel(label)
    axes[1].set_xscale("log")
    axes[1].set_xlabel("fit time (s)")
    axes[1].set_ylabel(label)
    axes[0].legend(fontsize=8)
    fig.suptitle(
        f"{result.benchmark}: {label}, mean over {result.config.trials} trials, "
        f"test size {result.config.test_size or 'rest'}"
    )
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)
    return path


def save_result(
    result: EvaluationResult, out_dir: Path, metric: str = "kendall_tau"
) -> dict[str, Path]:
    """Write ``result.json``, ``rows.csv``, ``summary.csv`` and ``plot.png`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out_dir / "result.json",
        "rows": out_dir / "rows.csv",
        "summary": out_dir / "summary.csv",
        "plot": out_dir / "plot.png",
    }
    atomic_write(paths["json"], json.dumps(result.to_dict(), indent=1))
    atomic_write(paths["rows"], lambda p: result.frame().to_csv(p, index=False))
    atomic_write(paths["summary"], lambda p: result.summary().to_csv(p, index=False))
    plot_result(result, paths["plot"], metric)
    return paths
