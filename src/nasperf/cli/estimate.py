"""``nasperf estimate``: sampled cells' trained accuracy estimated from a short run."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..exceptions import ConfigurationError, UnknownNameError
from ..store import CsvRowFile, Journal
from .checks import check_address, check_data, check_feature_history, check_out
from .console import mark_resumable, new_table, out, progress
from .live import LiveTrainingOptions, with_feature_history, with_live_training
from .options import ADDRESS, EXECUTOR, WORKERS, out_option

__all__ = [
    "estimate",
    "estimates_table",
    "write_estimates",
    "EstimatesFile",
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
    *,
    training: LiveTrainingOptions,
    feature_history: Any,  # FeatureHistorySettings
    method: str = typer.Option("feature-history", "--method", help="feature-history"),
    full_epochs: int | None = typer.Option(
        None, "--full-epochs", hidden=True, help="the old name of --epochs"
    ),
    workers: int = WORKERS,
    executor_name: str = EXECUTOR,
    address: str | None = ADDRESS,
    out_path: Path | None = out_option(
        "CSV of the estimates, kept as cells finish; the same command resumes"
    ),
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
    check_feature_history(settings)
    check_address(executor_name, address)
    check_out(out_path, directory=False)
    config, archs = training.config(), training.archs()
    if settings.epochs > config.epochs:
        raise ConfigurationError(
            f"--short-epochs {settings.epochs} is longer than a full run (--epochs {config.epochs})"
        )
    check_data(config)
    kept = None
    if out_path is not None:  # what a previous run of this command finished is kept
        kept = EstimatesFile(out_path, _estimate_settings(method, config, settings, archs))
        mark_resumable()
    done = kept.done() if kept is not None else {}
    with make_executor(executor_name, workers, address) as ex, progress() as bar:
        task = bar.add_task(f"estimating {len(archs)} cells", total=len(archs))
        bar.update(task, completed=len(done))
        todo = [a for a in archs if a not in done]
        with kept.recording(ex) if kept is not None else nullcontext(ex) as runner:
            fresh = estimate_cells(
                config,
                todo,
                runner,
                settings,
                training.seed,
                training.device,
                on_cell=lambda finished, total: bar.update(task, completed=len(done) + finished),
            ) if todo else []
    by_arch = {**done, **{r["arch"]: r for r in fresh}}
    rows = [by_arch[a] for a in archs if a in by_arch]
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
    """Write ``rows`` as the CSV ``path`` (one column per variant's estimate), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    CsvRowFile(path, CSV_COLUMNS).rewrite(_csv_row(r) for r in rows)


def _csv_row(r: dict[str, Any]) -> dict[str, Any]:
    """An estimate as a row of the CSV."""
    v = r.get("variants") or {}
    return {
        "arch": r["arch"],
        "estimate": r.get("estimate"),
        "network_val_acc": r.get("network_val_acc"),
        "status": str(r["status"]),
        "reason": r.get("reason"),
        "feature_bytes": r.get("feature_bytes"),
        "seconds": r.get("seconds"),
        **{f"est_{name}": v.get(name) for name in VARIANTS},
    }


def _float(text: str | None) -> float | None:
    return float(text) if text else None


def _from_csv(row: dict[str, str]) -> dict[str, Any]:
    """An estimate read back from a row of the CSV."""
    variants = {name: _float(row.get(f"est_{name}")) for name in VARIANTS}
    return {
        "arch": row["arch"],
        "estimate": _float(row["estimate"]),
        "network_val_acc": _float(row["network_val_acc"]),
        "status": row["status"],
        "reason": row["reason"] or None,
        "feature_bytes": int(float(row["feature_bytes"] or 0)),
        "seconds": float(row["seconds"] or 0.0),
        "variants": {k: v for k, v in variants.items() if v is not None},
    }


def _estimate_settings(method: str, config: Any, settings: Any, archs: Sequence[str]) -> dict:
    """What the estimates depend on: a rerun continues them only with the same."""
    from dataclasses import asdict

    return {
        "format": 1,
        "method": method,
        "config": config.to_dict(),
        "feature_history": asdict(settings),
        "archs": list(archs),
    }


class EstimatesFile(Journal):
    """The ``--out`` CSV of ``nasperf estimate`` while it runs, a :class:`~nasperf.store.Journal`:
    each cell's row is appended (flushed, fsynced) as it finishes, beside ``FILE.meta.json``
    with the settings; a rerun with the same settings keeps those rows (a failed cell is tried
    again) and estimates the rest. The finished command rewrites the file in the cells' order."""

    def __init__(self, path: Path, settings: dict[str, Any]) -> None:
        where = Journal.beside(path, ".meta.json")
        super().__init__(settings=settings, header=CSV_COLUMNS, what="estimates", **where)

    def done(self) -> dict[str, dict[str, Any]]:
        """The estimates already made, by cell (checks the settings they were made with)."""
        rows = [_from_csv(r) for r in self.read()]
        return {r["arch"]: r for r in rows if r["status"] != "failed"}

    @contextmanager
    def recording(self, executor: Any) -> Iterator[Any]:
        """``executor``, appending each finished cell's row to the file as it is yielded."""
        with self.open() as rows:
            yield _Recording(executor, lambda r: rows.append(_csv_row(r)))


class _Recording:
    """An executor passing each successful result to ``record`` as it finishes."""

    def __init__(self, inner: Any, record: Callable[[dict[str, Any]], None]) -> None:
        self.inner = inner
        self.record = record
        self.workers = inner.workers

    def map_unordered(self, fn: Any, items: Any, *, retries: int = 1) -> Iterator[Any]:
        for outcome in self.inner.map_unordered(fn, items, retries=retries):
            if outcome.ok:
                self.record(outcome.result)
            yield outcome
