"""``nasperf estimate``: sampled cells' trained accuracy estimated from a short run."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..exceptions import ConfigurationError, UnknownNameError
from .console import new_table, out, progress
from .live import LiveTrainingOptions, with_feature_history, with_live_training
from .options import ADDRESS, EXECUTOR, WORKERS, out_option

__all__ = [
    "estimate",
    "estimates_table",
    "write_estimates",
    "CSV_COLUMNS",
    "METHODS",
    "VARIANTS",
]

METHODS = ("feature-history",)
VARIANTS = ("concat", "consensus", "ema")
CSV_COLUMNS = (
    "arch",
    "estimate",
    "network_val_acc",
    "status",
    "reason",
    "feature_bytes",
    "seconds",
    *(f"est_{v}" for v in VARIANTS),
)


@with_live_training
@with_feature_history
def estimate(
    training: LiveTrainingOptions,
    feature_history: Any,  # FeatureHistorySettings
    method: str = typer.Option("feature-history", "--method", help="feature-history"),
    full_epochs: int | None = typer.Option(
        None, "--full-epochs", hidden=True, help="the old name of --epochs"
    ),
    workers: int = WORKERS,
    executor_name: str = EXECUTOR,
    address: str | None = ADDRESS,
    out_path: Path | None = out_option("CSV of the estimates"),
) -> None:
    """Estimate sampled cells' trained accuracy from a short run (feature histories).

    Each cell trains --short-epochs epochs of a run --epochs long (its schedule).
    """
    from ..execution import make_executor
    from ..search import estimate_cells

    if full_epochs is not None:
        raise ConfigurationError(
            "--full-epochs is now --epochs (the length of a full run), and the short budget "
            "is --short-epochs"
        )
    if method not in METHODS:
        raise UnknownNameError("method", method, list(METHODS))
    settings = feature_history
    config, archs = training.config(), training.archs()
    with make_executor(executor_name, workers, address) as ex, progress() as bar:
        bar.add_task(f"estimating {len(archs)} cells", total=None)
        rows = estimate_cells(config, archs, ex, settings, training.seed)
    out.print(estimates_table(rows, settings.variant, settings.epochs, settings.k))
    if out_path is not None:
        write_estimates(out_path, rows)
        out.print(f"estimates: {out_path}")


def _number(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def estimates_table(rows: Sequence[dict[str, Any]], variant: str, epochs: int, k: int) -> Table:
    """The estimates, best first, with each cell's own validation accuracy after E epochs."""
    table = new_table(
        f"feature-history estimates ({variant}, E={epochs}, K={k})",
        ("cell", "estimate", f"own val acc at E={epochs}", "status", "KiB", "s"),
        left=False,
    )
    for r in sorted(rows, key=lambda r: -(r.get("estimate") or -1)):
        table.add_row(
            r["arch"],
            _number(r.get("estimate")),
            _number(r.get("network_val_acc")),
            r["status"],
            f"{r.get('feature_bytes', 0) / 1024:.0f}",
            f"{r.get('seconds', 0):.1f}",
        )
    return table


def write_estimates(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Write ``rows`` as the CSV ``path`` (one column per variant's estimate)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            v = r.get("variants") or {}
            writer.writerow(
                [
                    r["arch"],
                    r.get("estimate"),
                    r.get("network_val_acc"),
                    r["status"],
                    r.get("reason"),
                    r.get("feature_bytes"),
                    r.get("seconds"),
                    *(v.get(name) for name in VARIANTS),
                ]
            )
