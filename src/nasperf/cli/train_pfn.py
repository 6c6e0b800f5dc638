"""``nasperf train-pfn``: train the curve PFN (``lc-pfn``) on nasperf's curve prior."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from .console import out, progress
from .options import DEVICE, out_option

__all__ = ["train_pfn"]

STEPS: Any = typer.Option(24000, "--steps", min=1, help="optimiser steps (fresh prior draws each)")
SEED: Any = typer.Option(
    0, "--training-seed", min=0, help="seeds the prior draws and the network's first weights"
)
WIDTH: Any = typer.Option(128, "--width", min=8, help="the transformer's width")
LAYERS: Any = typer.Option(4, "--layers", min=1, help="transformer layers")
BATCH: Any = typer.Option(512, "--batch-runs", min=16, help="prior runs per step")
THREADS: Any = typer.Option(
    1, "--training-threads", min=1, help="torch threads of the training on CPU"
)


def train_pfn(
    *,
    out_dir: Path = out_option(
        "directory for lc_pfn.pt, lc_pfn.json and checkpoint.pt", required=True
    ),
    steps: int = STEPS,
    seed: int = SEED,
    device: str = DEVICE,
    width: int = WIDTH,
    layers: int = LAYERS,
    batch_runs: int = BATCH,
    threads: int = THREADS,
) -> None:
    """Train the curve PFN; run it again with the same options to resume after a stop.

    Use the result with ``-p lc-pfn:weights=DIR/lc_pfn.pt`` (the shipped network otherwise).
    """
    from ..predictors.learning_curve import PFNSettings, train_curve_pfn
    from ..training import resolve_device

    settings = PFNSettings(d=width, layers=layers, heads=4)
    with progress() as bar:
        task = bar.add_task("training the curve PFN", total=steps)
        report = train_curve_pfn(
            out_dir,
            steps=steps,
            seed=seed,
            device=resolve_device(device),
            settings=settings,
            batch_runs=batch_runs,
            threads=threads,
            on_step=lambda step, total, loss: bar.update(task, completed=step),
        )
    out.print(
        f"{report.steps} steps in {report.seconds:.0f} s, loss {report.loss:.3f}: "
        f"{report.weights} ({report.weights.stat().st_size / 1e6:.1f} MB), {report.settings}",
        highlight=False,
    )
