"""``nasperf make-benchmark``: sampled cells trained into a live benchmark directory."""

from __future__ import annotations

from pathlib import Path

import typer

from .checks import check_address, check_data, check_out, refuse
from .console import mark_resumable, out, progress
from .live import LiveTrainingOptions, with_live_training
from .options import ADDRESS, EXECUTOR, PROXIES, PROXY_BATCH, THREADS, WORKERS, out_option
from .parsing import proxy_names

__all__ = ["make_benchmark"]


@with_live_training
def make_benchmark(
    *,
    training: LiveTrainingOptions,
    proxies: str | None = PROXIES,
    proxy_batch: int = PROXY_BATCH,
    workers: int = WORKERS,
    executor_name: str = EXECUTOR,
    address: str | None = ADDRESS,
    threads: int = THREADS,
    out_dir: Path = out_option("benchmark directory (resumed if it exists)", required=True),
    extra_seeds: int | None = typer.Option(
        None, "--extra-seeds", help="train the --top cells of the existing benchmark in --out "
        "with this many more seeds (its own settings; adds the val_acc_mean column)",
    ),
    top: int = typer.Option(30, "--top", help="with --extra-seeds: the best cells retrained"),
) -> None:
    """Train sampled cells on a dataset into a benchmark (live:DIR); resumable.

    --proxies none computes no zero-cost proxy. --extra-seeds N retrains the --top cells of
    an existing benchmark with N more seeds.
    """
    from ..benchmarks import make_benchmark as make
    from ..execution import make_executor
    from ..predictors.zero_cost import PROXY_NAMES

    if extra_seeds is not None:
        where = {"workers": workers, "executor_name": executor_name, "address": address}
        _extra_seeds(out_dir, extra_seeds, top, threads=threads, device=training.device, **where)
        return
    refuse(("top",), "only applies with --extra-seeds")
    chosen = proxy_names(proxies, allow_none=True)
    if chosen == ():
        refuse(("proxy_batch",), "means nothing with --proxies none")
    check_address(executor_name, address)
    check_out(out_dir, directory=True)
    config = training.config(PROXY_NAMES if chosen is None else chosen, proxy_batch)
    check_data(config)
    mark_resumable()  # rows are written as cells finish: a rerun continues
    with (
        make_executor(executor_name, workers=workers, address=address) as executor,
        progress() as bar,
    ):
        task = bar.add_task(f"training {training.dataset} cells", total=training.cells)
        run = make(
            out_dir,
            config,
            executor,
            on_cell=lambda done, total: bar.update(task, completed=done),
            threads=threads,
            device=training.device,
        )
    out.print(f"make-benchmark: {run.summary()}", highlight=False, soft_wrap=True, markup=False)


#: the options that describe a benchmark's cells: with --extra-seeds they come from its meta.json
_SETTINGS = ("space", "dataset", "cells", "epochs", "batch_size", "lr", "optimizer",
             "val_fraction", "limit", "nb201_c", "nb201_n", "size", "channels", "seed",
             "proxies", "proxy_batch")  # fmt: skip


def _extra_seeds(
    out_dir: Path,
    seeds: int,
    top: int,
    *,
    workers: int,
    executor_name: str,
    address: str | None,
    threads: int,
    device: str,
) -> None:
    """More seeds of the best cells of the benchmark in ``out_dir``."""
    from ..benchmarks import add_seeds, live_benchmark_dir
    from ..exceptions import ConfigurationError
    from ..execution import make_executor

    refuse(_SETTINGS, "comes from the benchmark's own settings with --extra-seeds")
    check_address(executor_name, address)
    path = live_benchmark_dir(str(out_dir))
    if not (path / "meta.json").exists():
        raise ConfigurationError(f"--extra-seeds needs an existing benchmark in {out_dir}")
    if seeds < 1 or top < 1:
        raise ConfigurationError(f"--extra-seeds and --top must be >= 1, got {seeds}, {top}")
    mark_resumable()
    with (
        make_executor(executor_name, workers=workers, address=address) as executor,
        progress() as bar,
    ):
        task = bar.add_task(f"{seeds} more seeds of the top {top} cells", total=seeds * top)
        done = add_seeds(
            path, top, seeds, executor, threads=threads, device=device,
            on_run=lambda n, total: bar.update(task, completed=n, total=total),
        )  # fmt: skip
    out.print(f"make-benchmark: {done} extra runs trained into {path / 'seeds.jsonl'}")
