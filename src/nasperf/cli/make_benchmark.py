"""``nasperf make-benchmark``: sampled cells trained into a live benchmark directory."""

from __future__ import annotations

from pathlib import Path

from .checks import check_address, check_data, check_out, refuse
from .console import mark_resumable, out, progress
from .live import LiveTrainingOptions, with_live_training
from .options import ADDRESS, EXECUTOR, PROXIES, PROXY_BATCH, THREADS, WORKERS, out_option
from .parsing import proxy_names

__all__ = ["make_benchmark"]


@with_live_training
def make_benchmark(
    training: LiveTrainingOptions,
    proxies: str | None = PROXIES,
    proxy_batch: int = PROXY_BATCH,
    workers: int = WORKERS,
    executor_name: str = EXECUTOR,
    address: str | None = ADDRESS,
    threads: int = THREADS,
    out_dir: Path = out_option("benchmark directory (resumed if it exists)", required=True),
) -> None:
    """Train sampled cells on a dataset into a benchmark (live:DIR); resumable.

    --proxies none computes no zero-cost proxy.
    """
    from ..benchmarks import make_benchmark as make
    from ..execution import make_executor
    from ..predictors.zero_cost import PROXY_NAMES

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
