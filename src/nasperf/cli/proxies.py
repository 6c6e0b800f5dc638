"""``nasperf proxies``: zero-cost proxies of sampled cells on real data, into a resumable CSV."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from ..exceptions import ConfigurationError
from .checks import check_out, check_seed
from .console import mark_resumable, out, progress
from .options import (
    CELLS_OR_ALL,
    CHANNELS,
    DATA_ROOT,
    DATASET,
    DEVICE,
    PROXIES,
    PROXY_BATCH,
    SEED,
    SIZE,
    SPACE,
    WORKERS,
    out_option,
)
from .parsing import count_or_all, proxy_names

__all__ = ["proxies"]

log = logging.getLogger(__name__)


def proxies(
    *,
    space: str = SPACE,
    dataset: str = DATASET,
    cells: str = CELLS_OR_ALL,
    proxies: str | None = PROXIES,
    proxy_batch: int = PROXY_BATCH,
    old_batch_size: int | None = typer.Option(
        None, "--batch-size", hidden=True, help="the old name of --proxy-batch"
    ),
    size: int | None = SIZE,
    channels: int | None = CHANNELS,
    data_root: Path | None = DATA_ROOT,
    seed: int = SEED,
    workers: int = WORKERS,
    device: str = DEVICE,
    out_file: Path = out_option("CSV to write (resumed if it exists)", required=True),
) -> None:
    """Compute zero-cost proxies on real networks and data; resumable, one row per cell."""
    from ..benchmarks import ProxyTableConfig, compute_proxy_table, select_cells

    check_seed(seed)
    check_out(out_file, directory=False)
    n_cells = count_or_all(cells, "--cells")
    config = ProxyTableConfig(
        space=space,
        dataset=dataset,
        proxies=proxy_names(proxies) or (),
        batch_size=_proxy_batch(proxy_batch, old_batch_size),
        seed=seed,
        size=size or None,
        channels=channels or None,
        data_root=str(data_root) if data_root else None,
    )
    archs = select_cells(space, n_cells, seed)
    mark_resumable()  # rows are written as cells finish: a rerun continues
    with progress() as bar:
        task = bar.add_task(f"proxies on {dataset}", total=len(archs))
        path = compute_proxy_table(
            out_file,
            config,
            archs,
            workers=workers,
            on_cell=lambda done, total: bar.update(task, completed=done),
            device=device,
        )
    out.print(f"proxies: {path} ({len(archs)} cells)")


def _proxy_batch(proxy_batch: int, old_batch_size: int | None) -> int:
    """``--proxy-batch``, or the value given under its old name ``--batch-size``."""
    if old_batch_size is None:
        return proxy_batch
    if proxy_batch != PROXY_BATCH.default:
        raise ConfigurationError("give --proxy-batch, not --batch-size (its old name) as well")
    log.warning("proxies: --batch-size is now called --proxy-batch")
    return old_batch_size
