"""Saving, tabulating and plotting evaluation results."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..store import atomic_write
from .protocol import EvaluationResult

__all__ = ["save_result", "plot_result", "result_figure", "pivot_metric", "INSTANT_FIT_S"]


def pivot_metric(result: EvaluationResult, metric: str = "kendall_tau") -> pd.DataFrame:
    """Predictors as rows, train sizes as columns, mean of ``metric`` over trials as values."""
    df = result.frame()
    table = df.pivot_table(
        index="predictor", columns="train_size", values=metric, aggfunc="mean", sort=False
    )
    return table


#: a fit faster than this is drawn on the left edge of the fit-time panel, not on its log axis
INSTANT_FIT_S = 1e-3
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*", "h", "p")
_LINESTYLES = ("-", "--", "-.", ":")
_PANEL_W, _PANEL_H = 5.0, 3.8


def _styles(names: list[str]) -> dict[str, dict[str, Any]]:
    """A colour, marker and line style per name: the colours repeat after ten, the markers
    after twelve, and each further ten lines get the next line style, so no two lines look
    alike."""
    import matplotlib

    colors = matplotlib.colormaps["tab10"].colors
    return {
        name: {
            "color": colors[i % len(colors)],
            "marker": _MARKERS[i % len(_MARKERS)],
            "linestyle": _LINESTYLES[(i // len(colors)) % len(_LINESTYLES)],
        }
        for i, name in enumerate(names)
    }


def _set_ticks(ax: Any, values: Sequence[float], label: str) -> None:
    """``values`` as the x ticks, plain numbers; a log axis when they span a factor of 4 or
    more; labels turned when there are many."""
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    values = sorted({float(v) for v in values})
    if values and values[0] > 0 and values[-1] / values[0] >= 4:
        ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(values))
    ax.xaxis.set_minor_locator(NullLocator())
    formatter = ScalarFormatter()
    formatter.set_scientific(False)
    ax.xaxis.set_major_formatter(formatter)
    if len(values) > 6:
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlabel(label)


def _draw_lines(
    ax: Any, parts: dict[str, Any], x: str, metric: str, styles: dict, bands: bool = True
) -> None:
    """One line per predictor of ``metric`` against column ``x`` (± std bands when ``bands``
    and there are few lines)."""
    bands = bands and len(parts) <= 6
    for name, part in parts.items():
        xs, ys = part[x].to_numpy(float), part[f"{metric}_mean"].to_numpy(float)
        ax.plot(xs, ys, label=name, markersize=5, **styles[name])
        if bands and len(xs) > 1:
            err = part[f"{metric}_std"].to_numpy(float)
            ax.fill_between(xs, ys - err, ys + err, alpha=0.1, color=styles[name]["color"])


def _dot_plot(ax: Any, parts: dict[str, Any], metric: str, label: str, styles: dict) -> None:
    """One train size only: a dot (± std) per predictor, best at the top."""
    ranked = sorted(parts.items(), key=lambda kv: float(kv[1][f"{metric}_mean"].iloc[0]))
    for i, (name, part) in enumerate(ranked):
        style = styles[name]
        ax.errorbar(
            part[f"{metric}_mean"].iloc[0],
            i,
            xerr=part[f"{metric}_std"].iloc[0],
            color=style["color"],
            marker=style["marker"],
            label=name,
        )
    ax.set_yticks(range(len(ranked)), [name for name, _ in ranked])
    ax.set_xlabel(label)
    ax.set_title(f"train size {int(ranked[0][1]['train_size'].iloc[0])}", fontsize=10)


def _log_ticks(low: float, high: float) -> list[float]:
    """At most eight round values (1, 2, 5 times a power of ten; over many decades the powers
    alone) between ``low`` and ``high``; three evenly spaced on the log scale when fewer than
    two round values fall in between."""
    decades = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    for subs in ((1.0, 2.0, 5.0), (1.0,)):
        ticks = [m * 10.0**k for k in decades for m in subs if low <= m * 10.0**k <= high]
        if len(ticks) <= 8:
            break
    if len(ticks) > 8:
        ticks = ticks[:: -(-len(ticks) // 8)]
    if len(ticks) >= 2:
        return ticks
    return [float(f"{t:.2g}") for t in np.geomspace(low, high, 3)]


def _log_seconds(ax: Any, seconds: Sequence[float]) -> None:
    """A log x axis of seconds labelled by a few plain numbers (0.01, 0.02, 0.05), without
    the minor labels that pile up over a short span."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    ax.set_xscale("log")
    positive = [t for t in seconds if t > 0]
    if not positive:
        return
    low, high = min(positive), max(positive)
    if high / low < 1.5:  # one value: a little room around it
        low, high = low / 1.5, high * 1.5
    ax.xaxis.set_major_locator(FixedLocator(_log_ticks(low, high)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())


def _fit_time_panel(ax: Any, parts: dict[str, Any], metric: str, styles: dict) -> bool:
    """``metric`` against the mean fit time on a log axis; predictors that fit in under
    :data:`INSTANT_FIT_S` are hollow markers on the left edge (a log axis has no zero).
    Returns False, drawing nothing, when every predictor fits instantly."""
    import matplotlib.transforms as mtransforms

    timed = {n: p for n, p in parts.items() if p["fit_time_mean"].max() >= INSTANT_FIT_S}
    if not timed:
        return False
    ordered = {n: p.sort_values("train_size") for n, p in timed.items()}
    _draw_lines(ax, ordered, "fit_time_mean", metric, styles, bands=False)
    _log_seconds(ax, [t for p in timed.values() for t in p["fit_time_mean"]])
    instant = [n for n in parts if n not in timed]
    edge = mtransforms.blended_transform_factory(ax.transAxes, ax.transData)
    for name in instant:
        style = styles[name]
        ax.plot(
            np.zeros(len(parts[name])),
            parts[name][f"{metric}_mean"].to_numpy(float),
            linestyle="none",
            marker=style["marker"],
            markerfacecolor="none",
            markeredgecolor=style["color"],
            markersize=7,
            transform=edge,
            clip_on=False,
            zorder=5,
        )
    note = f"hollow on the left edge: fit in < {INSTANT_FIT_S * 1000:g} ms" if instant else ""
    ax.set_xlabel("fit time (s, log)" + (f"\n{note}" if note else ""))
    return True


def _with_values(summ: Any, metric: str, by: str = "predictor") -> dict[str, Any]:
    """The summary's rows per ``by`` (in the order they appear) that have a value of
    ``metric``; a predictor without any (no distribution for ``coverage_90``) is left out."""
    column = f"{metric}_mean"
    if column not in summ:
        return {}
    kept = summ[summ[column].notna()]
    return {str(name): part for name, part in kept.groupby(by, sort=False)}


def _size_figure(result: EvaluationResult, metric: str, label: str) -> Any:
    """``metric`` against train size, and against fit time (when any predictor takes time)."""
    import matplotlib.pyplot as plt

    summ = result.summary()
    parts = {n: p.sort_values("train_size") for n, p in _with_values(summ, metric).items()}
    styles = _styles(list(parts))
    sizes = sorted(summ["train_size"].unique())
    timed = any(p["fit_time_mean"].max() >= INSTANT_FIT_S for p in parts.values())
    fig, axes = plt.subplots(
        1, 2 if timed else 1, figsize=(_PANEL_W * (2 if timed else 1), _PANEL_H), squeeze=False
    )
    ax = axes[0][0]
    if len(sizes) == 1:
        _dot_plot(ax, parts, metric, label, styles)
    else:
        _draw_lines(ax, parts, "train_size", metric, styles)
        _set_ticks(ax, sizes, "train size")
        ax.set_ylabel(label)
    if timed:
        _fit_time_panel(axes[0][1], parts, metric, styles)
        axes[0][1].set_ylabel(label)
    return fig


def _fidelity_figure(result: EvaluationResult, metric: str, label: str) -> Any:
    """One panel per train size: ``metric`` against the fidelity (epochs observed), one line
    per learning-curve predictor; predictors without a fidelity as dashed horizontal lines."""
    import matplotlib.pyplot as plt

    summ = result.summary()
    summ = summ.assign(base=summ["predictor"].str.replace(r"@\d+$", "", regex=True))
    curved = summ[summ["fidelity"].notna()]
    flat = summ[summ["fidelity"].isna()]
    bases = list(dict.fromkeys(summ["base"]))
    styles = _styles(bases)
    fids = sorted(curved["fidelity"].unique())
    sizes = [
        n for n in sorted(summ["train_size"].unique())
        if summ.loc[summ["train_size"] == n, f"{metric}_mean"].notna().any()
    ]
    cols = min(len(sizes), 4)
    rows = -(-len(sizes) // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(_PANEL_W * cols, _PANEL_H * rows), sharey=True, squeeze=False
    )
    for ax, n in zip(axes.flat, sizes, strict=False):
        at_n = _with_values(curved[curved["train_size"] == n], metric, "base")
        parts = {b: p.sort_values("fidelity") for b, p in at_n.items()}
        _draw_lines(ax, parts, "fidelity", metric, styles)
        for name, part in _with_values(flat[flat["train_size"] == n], metric, "base").items():
            style = styles[name]
            ax.axhline(
                float(part[f"{metric}_mean"].iloc[0]), color=style["color"], linestyle="--",
                label=f"{name} (no fidelity)", linewidth=1.2,
            )
        _set_ticks(ax, fids, "fidelity (epochs observed)")
        ax.set_title(f"train size {int(n)}", fontsize=10)
    for ax in axes.flat[len(sizes):]:  # no empty panel is drawn
        ax.remove()
    for ax in axes[:, 0]:
        ax.set_ylabel(label)
    return fig


def result_figure(result: EvaluationResult, metric: str = "kendall_tau") -> Any:
    """The figure of ``result``: against fidelity (a panel per train size) when several
    fidelities were evaluated, else against train size and fit time. The legend sits outside
    the panels, right of them."""
    import matplotlib

    matplotlib.use("Agg")
    label = metric.replace("_", " ")
    fids = result.config.fidelities
    by_fidelity = fids is not None and len(set(fids)) > 1
    if by_fidelity:
        fig = _fidelity_figure(result, metric, label)
    else:
        fig = _size_figure(result, metric, label)
    handles: dict[str, Any] = {}
    for ax in fig.axes:
        for handle, name in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(name, handle)
    order = {name: i for i, name in enumerate(dict.fromkeys(r["predictor"] for r in result.rows))}
    handles = dict(sorted(handles.items(), key=lambda kv: order.get(kv[0], len(order))))
    trials = result.config.trials
    target = f", target {result.target}" if result.target else ""
    fig.suptitle(
        f"{result.benchmark}{target}: {label}, mean over {trials} "
        f"trial{'s' if trials != 1 else ''}, test size {result.config.test_size or 'rest'}"
    )
    fig.tight_layout()
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
        fontsize=9,
    )
    return fig


def plot_result(result: EvaluationResult, path: Path, metric: str = "kendall_tau") -> Path:
    """Write :func:`result_figure` of ``metric`` as the PNG ``path`` (atomically)."""
    import matplotlib.pyplot as plt

    fig = result_figure(result, metric)
    try:
        atomic_write(
            path, lambda p: fig.savefig(p, dpi=110, format="png", bbox_inches="tight")
        )
    finally:
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
