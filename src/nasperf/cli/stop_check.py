"""``nasperf stop-check``: which running jobs to stop, by Baker's rule on finished ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from ..exceptions import ConfigurationError
from .checks import check_format
from .console import new_table, out
from .options import CURVE, EPOCH_COLUMN, FORMAT, MINIMIZE, RUN_COLUMN, TARGET_EPOCH

__all__ = ["stop_check", "decision_table"]



def stop_check(
    *,
    history: Path = typer.Option(
        ...,
        "--history",
        help="curves of finished runs: a long CSV, JSON lines or a make-benchmark directory "
        "(as curves:PATH reads them; the curves: prefix is optional)",
    ),
    running: Path = typer.Option(
        ..., "--running", help="curves of the running jobs so far (same format and columns)"
    ),
    curve: str | None = CURVE,
    minimize: bool | None = MINIMIZE,
    run_column: str | None = RUN_COLUMN,
    epoch_column: str | None = EPOCH_COLUMN,
    target_epoch: int | None = TARGET_EPOCH,
    delta: float = typer.Option(0.05, "--delta", help="baker: stop when P(final >= best) <= Δ"),
    predictor: str = typer.Option(
        "lcsvr",
        "--predictor",
        help="the curve model: lcsvr, lc-rf, lc-br, lce, lc-pfn or lc-pfn-study",
    ),
    level: float = typer.Option(0.9, "--level", help="coverage of the predicted final's interval"),
    min_history: int = typer.Option(5, "--min-history", help="finished runs needed, at least 3"),
    fmt: str = FORMAT,
) -> None:
    """Say STOP or CONTINUE for each running job, with P(final >= best so far).

    Baker's rule, fitted on the finished runs, predicts each running job's final value with an
    interval; nasperf does not run the jobs.
    """
    from ..benchmarks import read_curves
    from ..integrations.stop_check import stop_check as check

    check_format(fmt)
    if target_epoch is not None and target_epoch < 1:
        raise ConfigurationError(f"--target-epoch must be >= 1, got {target_epoch}")
    history, running = _without_prefix(history), _without_prefix(running)
    done = read_curves(
        history,
        curve=curve,
        minimize=minimize,
        run_column=run_column,
        epoch_column=epoch_column,
        full=target_epoch,
    )
    decisions = check(
        done,
        running,
        delta=delta,
        predictor=predictor,
        level=level,
        min_history=min_history,
        run_column=run_column,
        epoch_column=epoch_column,
    )
    head = {
        "history": str(history),
        "running": str(running),
        "curve": done.curve,
        "minimize": done.minimize,
        "best": decisions[0].best if decisions else None,
        "finished": len(done.complete()),
        "full_epochs": done.full,
        "delta": delta,
        "level": level,
        "predictor": predictor,
    }
    if fmt == "json":
        rows = [{**d.to_dict(), "run": _ident(d.run)} for d in decisions]
        out.print_json(json.dumps({**head, "decisions": rows}))
        return
    out.print(decision_table(head, decisions))
    stopped = sum(d.action == "STOP" for d in decisions)
    out.print(f"{stopped} of {len(decisions)} running jobs to stop", highlight=False)


def _ident(run: Any) -> Any:
    return run if isinstance(run, (str, int, float)) else str(run)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def decision_table(head: dict[str, Any], decisions: list[Any]) -> Any:
    """One row per running job: epochs, last value, P(beats best), predicted final, decision."""
    direction = "lower" if head["minimize"] else "higher"
    title = (
        f"{head['history']}: {head['finished']} finished runs of {head['full_epochs']} epochs, "
        f"best {head['curve']} {_number(head['best'])} ({direction} is better); STOP when "
        f"P(final beats best) <= {head['delta']:g} under {head['predictor']}"
    )
    pct = f"{100 * head['level']:g}%"
    columns = (
        "run",
        "epochs",
        f"last {head['curve']}",
        "P(beats best)",
        "predicted final",
        f"{pct} interval",
        "decision",
    )
    table = new_table(title, columns)
    for d in decisions:
        interval = "-" if d.low is None else f"[{_number(d.low)}, {_number(d.high)}]"
        prob = "-" if d.probability is None else f"{d.probability:.3f}"
        table.add_row(
            str(_ident(d.run)),
            str(d.epochs),
            _number(d.last),
            prob,
            _number(d.mean),
            interval,
            d.action,
        )
    return table


def _without_prefix(path: Path) -> Path:
    """``curves:PATH`` as PATH (the benchmark form is accepted here too)."""
    text = str(path)
    return Path(text[len("curves:") :]) if text.startswith("curves:") else path

