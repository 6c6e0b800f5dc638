"""White et al.'s predictor map: the best predictor at each initialisation and query budget.

Every evaluated configuration (a predictor at a train size and a fidelity) costs an
initialisation budget, the seconds of fully training its training architectures plus its fit
time, and a query budget, the epochs of partial training each candidate needs: its fidelity,
or the epochs of an early-result column it reads (``val_acc_12ep``: 12), else 0 (model-based
and zero-cost predictors). A cell of the map (initialisation budget I, query budget
Q) is won by the predictor whose best affordable configuration (initialisation <= I, query <= Q)
has the highest mean Kendall τ. The seconds of one full training are ``epochs * epoch_seconds``,
a cost model the caller states. Runs on several benchmarks can share one map, as White et al.'s
combines the full table (model-based, zero-cost) with the curve set (learning-curve
predictors); a predictor evaluated on more than one is then named with its benchmark.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InvalidDataError, NasperfError

__all__ = ["CostModel", "budget_points", "best_predictor_map", "plot_budget_map", "read_rows"]

_METRIC = "kendall_tau"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CostModel:
    """Seconds of training: ``epochs`` epochs of ``epoch_seconds`` each make a full training."""

    epochs: int = 200
    epoch_seconds: float = 20.0

    @property
    def full_training(self) -> float:
        return self.epochs * self.epoch_seconds


def read_rows(run_dir: Path) -> pd.DataFrame:
    """The rows (one per trial, predictor, train size and fidelity) of a finished
    ``nasperf evaluate --out`` directory, tagged with its benchmark."""
    rows, settings = run_dir / "rows.csv", run_dir / "result.json"
    if not rows.is_file() or not settings.is_file():
        raise InvalidDataError(
            f"{run_dir} holds no finished evaluation (rows.csv and result.json); give the "
            "--out directory of a completed `nasperf evaluate`"
        )
    df = pd.read_csv(rows)
    df["benchmark"] = json.loads(settings.read_text())["benchmark"]
    if "fidelity" not in df:
        df["fidelity"] = np.nan
    return df


def _base_name(label: str) -> str:
    """``lce@10`` -> ``lce``: the predictor without the fidelity the protocol appended."""
    return label.rsplit("@", 1)[0] if "@" in label and label.rsplit("@", 1)[1].isdigit() else label


@dataclass(frozen=True)
class _Described:
    """What the map needs of a predictor: whether it learns from a training set, its family,
    the score column it reads (a column baseline) and its ``early`` parameter (OMNI)."""

    learns: bool
    family: str
    column: str | None
    early: Any


def _describe(name: str) -> _Described:
    from ..predictors import make_predictor

    pred = make_predictor(name)
    caps, params = pred.capabilities(), pred.get_params()
    column = params.get("column") if caps.family == "baseline" else None
    return _Described(caps.requires.targets, caps.family, column, params.get("early"))


def _family_of(d: _Described) -> str:
    """A column baseline's family is what its column holds: a zero-cost score or an early
    result; other predictors keep their own."""
    from ..predictors.hybrid import early_columns, zero_cost_columns

    if d.column is None:
        return d.family
    if zero_cost_columns([d.column]):
        return "zero-cost"
    return "learning-curve" if early_columns([d.column]) else d.family


def _benchmark_columns(benchmark: str) -> set[str]:
    """The score columns of ``benchmark`` (none when it cannot be loaded here)."""
    from ..benchmarks import load_benchmark

    try:
        records = load_benchmark(benchmark).records()
    except NasperfError:
        return set()
    return set().union(*(r.scores for r in records)) if records else set()


def _early_epochs(d: _Described, columns: set[str]) -> int:
    """Epochs of training per candidate that the early-result columns a predictor reads cost
    (``col:val_acc_12ep``: 12; OMNI with ``early="auto"`` on a table with ``val_acc_12ep``: 12)."""
    from ..predictors.hybrid import early_columns, epochs_of

    if d.column is not None:
        used = [d.column]
    elif d.early is None:
        return 0
    else:
        used = early_columns(columns) if d.early == "auto" else list(np.atleast_1d(d.early))
    return max((e for c in used if (e := epochs_of(c)) is not None), default=0)


def budget_points(frames: Sequence[pd.DataFrame], cost: CostModel) -> pd.DataFrame:
    """One row per predictor configuration: its family, mean τ over trials, initialisation
    seconds and query epochs."""
    df = pd.concat(list(frames), ignore_index=True)
    if df.empty:
        raise InvalidDataError("no evaluation rows to map")
    df["name"] = df["predictor"].map(_base_name)
    df["fidelity"] = df["fidelity"].fillna(0).astype(int)
    keys = ["benchmark", "name", "train_size", "fidelity"]
    agg = df.groupby(keys, as_index=False).agg(  # τ: over the trials where it is defined
        tau=(_METRIC, "mean"),
        fit_time=("fit_time", "mean"),
        trials=("trial", "nunique"),
        undefined=(_METRIC, lambda tau: int(tau.isna().sum())),
    )
    agg = _without_undefined(agg)
    info = {n: _describe(n) for n in agg["name"].unique()}
    agg["family"] = [_family_of(info[n]) for n in agg["name"]]
    learns = agg["name"].map(lambda n: info[n].learns)
    agg["init_seconds"] = np.where(learns, agg["train_size"] * cost.full_training, 0.0)
    agg["init_seconds"] += agg["fit_time"].fillna(0.0)
    columns = {b: _benchmark_columns(b) for b in agg["benchmark"].unique()}
    early = {
        (b, n): _early_epochs(info[n], columns[b])
        for b, n in agg[["benchmark", "name"]].drop_duplicates().itertuples(index=False)
    }
    agg["query_epochs"] = [
        max(f, early[(b, n)])
        for b, n, f in zip(agg["benchmark"], agg["name"], agg["fidelity"], strict=True)
    ]
    # a predictor that learns nothing is scored once, whatever the train size of its rows
    agg = agg[learns | ~agg.duplicated(["benchmark", "name", "fidelity"])].copy()
    # a predictor evaluated on several benchmarks is one entry per benchmark, never credited
    # with its best benchmark's τ under one name
    shared = agg.groupby("name")["benchmark"].nunique()
    several = agg["name"].isin(shared[shared > 1].index)
    agg.loc[several, "name"] = agg["name"] + " (" + agg["benchmark"] + ")"
    return agg.reset_index(drop=True)


def _without_undefined(agg: pd.DataFrame) -> pd.DataFrame:
    """The configurations with a τ, warning of those whose predictions were constant: in some
    trials (τ over the others) or in all (left out of the map)."""
    some = agg[(agg["undefined"] > 0) & agg["tau"].notna()]
    if len(some):
        logger.warning(
            "τ undefined (constant predictions) in some trials, averaged over the others: %s",
            ", ".join(
                f"{r.name} n={r.train_size} ({r.undefined} of {r.trials})"
                for r in some.itertuples()
            ),
        )
    gone = agg["tau"].isna()
    if gone.any():
        logger.warning(
            "left out of the map, τ undefined in every trial (constant predictions): %s",
            ", ".join(f"{r.name} n={r.train_size}" for r in agg[gone].itertuples()),
        )
    if gone.all():
        raise InvalidDataError("no predictor configuration has a defined τ to map")
    return agg[~gone]


def _log_grid(values: pd.Series, per_decade: int = 2) -> list[float]:
    """0 and half-decade steps over the budgets of at least a second (below that a budget is
    a fit of a predictor that needs no training set, drawn at 0)."""
    positive = values[values >= 1.0]
    if positive.empty:
        return [0.0]
    lo, hi = math.floor(math.log10(positive.min())), math.ceil(math.log10(positive.max()))
    steps = np.arange(lo * per_decade, hi * per_decade + 1) / per_decade
    return [0.0, *(float(10**s) for s in steps)]


def best_predictor_map(
    points: pd.DataFrame,
    init_budgets: Sequence[float] | None = None,
    query_budgets: Sequence[int] | None = None,
) -> pd.DataFrame:
    """The winner of each (initialisation seconds, query epochs) cell, with its τ and the
    runner-up's; cells nothing is affordable in are left out."""
    init_budgets = list(init_budgets or _log_grid(points["init_seconds"]))
    query_budgets = list(query_budgets or sorted({0, *points["query_epochs"].astype(int)}))
    out = []
    for q in query_budgets:
        for i in init_budgets:
            init = points["init_seconds"].where(points["init_seconds"] >= 1.0, 0.0)
            ok = points[(init <= i) & (points["query_epochs"] <= q)]
            if ok.empty:
                continue
            best = ok.sort_values("tau", ascending=False).drop_duplicates("name")
            first = best.iloc[0]
            second = best.iloc[1] if len(best) > 1 else None
            out.append(
                {
                    "init_seconds": i,
                    "query_epochs": q,
                    "best": first["name"],
                    "family": first["family"],
                    "tau": float(first["tau"]),
                    "train_size": int(first["train_size"]),
                    "fidelity": int(first["fidelity"]),
                    "runner_up": None if second is None else second["name"],
                    "runner_up_tau": None if second is None else float(second["tau"]),
                }
            )
    return pd.DataFrame(out)


def _seconds_label(s: float) -> str:
    if s == 0:
        return "0"
    exp = math.log10(s)
    return f"1e{exp:.0f}" if abs(exp - round(exp)) < 1e-9 else f"{s:.0e}".replace("e+0", "e")


def plot_budget_map(table: pd.DataFrame, path: Path, title: str = "") -> Path:
    """Draw the map: one coloured cell per budget pair, labelled with the winner's τ."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    inits = sorted(table["init_seconds"].unique())
    queries = sorted(table["query_epochs"].unique())
    names = list(dict.fromkeys(table.sort_values(["family", "best"])["best"]))
    cmap = matplotlib.colormaps["tab20"].colors
    colour = {n: cmap[(2 * k) % 20 + (k // 10) % 2] for k, n in enumerate(names)}
    # room on the right for the legend, and for the axis labels under a narrow grid
    fig, ax = plt.subplots(figsize=(5.5 + 0.75 * len(inits), 1.8 + 0.42 * len(queries)))
    for row in table.itertuples():
        x, y = inits.index(row.init_seconds), queries.index(row.query_epochs)
        ax.add_patch(plt.Rectangle((x - 0.5, y - 0.5), 1, 1, color=colour[row.best]))
        ax.text(x, y, f"{row.tau:.2f}", ha="center", va="center", fontsize=7)
    ax.set_xlim(-0.5, len(inits) - 0.5)
    ax.set_ylim(-0.5, len(queries) - 0.5)
    ax.set_xticks(range(len(inits)), [_seconds_label(s) for s in inits], rotation=45)
    ax.set_yticks(range(len(queries)), [str(int(q)) for q in queries])
    ax.set_xlabel("initialisation budget: seconds of full training + fit time")
    ax.set_ylabel("query budget: epochs of training per candidate")
    ax.set_title(title or "best predictor (Kendall τ) at each budget", fontsize=10, wrap=True)
    families = dict(zip(table["best"], table["family"], strict=False))
    handles = [Patch(color=colour[n], label=f"{n} ({families[n]})") for n in names]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
