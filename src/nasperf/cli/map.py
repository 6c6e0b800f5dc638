"""``nasperf map``: White et al.'s map of the best predictor at each budget, from evaluations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from ..exceptions import ConfigurationError
from .checks import check_out
from .console import new_table, out
from .options import out_option

__all__ = ["budget_map"]

RUNS: Any = typer.Argument(
    ...,
    help="finished `nasperf evaluate --out` directories (train sizes, fidelities or both)",
    show_default=False,
)
TRAINING_EPOCHS: Any = typer.Option(
    200, "--training-epochs", min=1, help="epochs of a full training (NB201: 200)"
)
EPOCH_SECONDS: Any = typer.Option(
    20.0,
    "--epoch-seconds",
    min=0.0,
    help="seconds one epoch of a candidate takes (the cost model; an assumption to state)",
)


EXCLUDE: Any = typer.Option(
    "",
    "--exclude",
    help="predictors left off the map, by name (omni,omni-cv: White et al.'s single families)",
)


def budget_map(
    runs: list[Path] = RUNS,
    training_epochs: int = TRAINING_EPOCHS,
    epoch_seconds: float = EPOCH_SECONDS,
    exclude: str = EXCLUDE,
    out_dir: Path = out_option("directory for map.png, map.csv and points.csv", required=True),
) -> None:
    """Map the best predictor at each initialisation and query budget (White et al.'s Fig. 1)."""
    from ..evaluation.budget_map import (
        CostModel,
        best_predictor_map,
        budget_points,
        plot_budget_map,
        read_rows,
    )

    check_out(out_dir, directory=True)
    frames = [read_rows(run) for run in runs]  # every run read before any output
    cost = CostModel(training_epochs, epoch_seconds)
    points = budget_points(frames, cost)
    left_off = {n.strip() for n in exclude.split(",") if n.strip()}
    points = points[~points["name"].map(lambda n: n.split("[")[0].split(" (")[0] in left_off)]
    if points.empty:
        raise ConfigurationError(f"--exclude {exclude} leaves no predictor to map")
    table = best_predictor_map(points)
    out_dir.mkdir(parents=True, exist_ok=True)
    points.to_csv(out_dir / "points.csv", index=False)
    table.to_csv(out_dir / "map.csv", index=False)
    title = (
        f"best predictor (Kendall τ) at each budget\na full training = {training_epochs} epochs "
        f"x {epoch_seconds:g} s"
    )
    plot_budget_map(table, out_dir / "map.png", title)
    summary = new_table("winners", ("predictor", "family", "cells", "best τ"))
    for name, part in table.groupby("best", sort=False):
        summary.add_row(
            escape(name), part["family"].iloc[0], str(len(part)), f"{part['tau'].max():.3f}"
        )
    out.print(summary)
    out.print(f"wrote {out_dir / 'map.png'}, {out_dir / 'map.csv'} and {out_dir / 'points.csv'}")
