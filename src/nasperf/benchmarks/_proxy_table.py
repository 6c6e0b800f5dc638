"""Compute zero-cost proxies for many cells of a search space and write them as a table.

The table is a CSV with one row per cell: ``arch`` (the space's canonical string), one column
``zc_<proxy>`` per proxy, ``seconds`` (compute time of the row) and ``errors`` (why a proxy has
no value for that cell, empty otherwise). ``nasperf evaluate --scores FILE`` joins it onto a
benchmark, so ``col:zc_synflow`` ranks the benchmark's cells by our own synflow.

The cells run on any :class:`~nasperf.execution.Executor`; rows are appended (flushed and
fsynced, see :mod:`nasperf.store`) as each cell finishes; a sidecar ``FILE.meta.json`` records
the settings. Rerun with the same settings, the job skips the cells already in the file (a row
cut short by a kill is dropped and recomputed), so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError, NasperfError, UnknownNameError
from ..store import CsvRowFile, Journal
from ..validation import Interval, validate_params

if TYPE_CHECKING:  # pragma: no cover
    from ..execution import Executor

__all__ = [
    "ProxyTableConfig",
    "IncompleteTableError",
    "compute_proxy_table",
    "read_proxy_table",
    "COLUMN_PREFIX",
]

log = logging.getLogger(__name__)

COLUMN_PREFIX = "zc_"


@dataclass(frozen=True)
class ProxyTableConfig:
    """The settings a proxy table is computed with (all of them must match to resume)."""

    space: str = "nb201"
    dataset: str = "mnist"
    proxies: tuple[str, ...] = ()
    batch_size: int = 64
    seed: int = 0
    size: int | None = 32
    channels: int | None = 3
    data_root: str | None = None


class IncompleteTableError(NasperfError, RuntimeError):
    """Some cells could not be scored (their task raised or their worker died every attempt);
    the table holds the others, and a rerun computes the missing ones."""


# -- one cell (runs on a worker) -----------------------------------------------------------------
@dataclass(frozen=True)
class _CellTask:
    config: ProxyTableConfig
    arch: str
    threads: int
    device: str = "cpu"

    def __repr__(self) -> str:
        return f"cell {self.arch}"


@lru_cache(maxsize=2)
def _table_batch(config: ProxyTableConfig) -> tuple[Any, Any, tuple[int, ...], int]:
    """The fixed batch of ``config`` with the input shape and class count of its dataset,
    loaded once per process (the key is the whole config)."""
    from ..data import load_dataset

    data = load_dataset(
        config.dataset,
        root=config.data_root,
        size=config.size,
        channels=config.channels,
        seed=config.seed,
    )
    inputs, targets = data.batch(config.batch_size, "train", seed=config.seed)
    return inputs, targets, tuple(data.input_shape), int(data.num_classes)


def _score_cell(task: _CellTask) -> dict[str, object]:
    """Build the cell under the table's seed and compute every proxy on the fixed batch."""
    from ..predictors.zero_cost import compute_proxies_or_errors
    from ..spaces import get_space
    from ..training import seeded, torch_threads  # seeded: every device's RNG saved, restored

    config = task.config
    with torch_threads(task.threads):
        inputs, targets, shape, classes = _table_batch(config)
        start = time.perf_counter()
        with seeded(config.seed):
            model = get_space(config.space).build(
                task.arch, in_channels=shape[0], num_classes=classes
            )
        model = model.to(task.device)  # the batch follows the model's device
        values, errors = compute_proxies_or_errors(
            model, inputs, targets, config.proxies, seed=config.seed
        )
    row: dict[str, object] = {"arch": task.arch}
    for name in config.proxies:
        row[COLUMN_PREFIX + name] = repr(values[name]) if name in values else ""
    row["seconds"] = f"{time.perf_counter() - start:.4f}"
    row["errors"] = " | ".join(f"{name}: {why}" for name, why in errors.items())
    return row


# -- driver side ---------------------------------------------------------------------------------
def _header(config: ProxyTableConfig) -> list[str]:
    return ["arch", *(COLUMN_PREFIX + p for p in config.proxies), "seconds", "errors"]


def _journal(out: Path, config: ProxyTableConfig) -> Journal:
    """The table ``out`` as a journal: its rows, and ``OUT.meta.json`` with the settings."""
    where = Journal.beside(out, ".meta.json")
    return Journal(settings=asdict(config), header=_header(config), what="proxy scores", **where)


def _checked_config(config: ProxyTableConfig, workers: int, threads: int) -> ProxyTableConfig:
    """``config`` with every proxy if it names none; the settings checked."""
    from ..predictors.zero_cost import PROXY_NAMES

    config = replace(config, proxies=tuple(config.proxies or PROXY_NAMES))
    unknown = [p for p in config.proxies if p not in PROXY_NAMES]
    if unknown:
        raise UnknownNameError("proxy", unknown[0], list(PROXY_NAMES))
    if len(set(config.proxies)) != len(config.proxies):
        raise ConfigurationError("--proxies names a proxy twice")
    if config.batch_size < 2:
        raise ConfigurationError("the proxy batch (--proxy-batch) must be at least 2")
    if workers < 1:
        raise ConfigurationError("--workers must be at least 1")
    validate_params({"threads": threads}, {"threads": [Interval(int, 1, None)]}, "proxies")
    return config


def compute_proxy_table(
    out: str | Path,
    config: ProxyTableConfig,
    cells: Sequence[str],
    *,
    workers: int = 1,
    on_cell: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
    threads: int = 1,
    retries: int = 1,
    device: str = "cpu",
) -> Path:
    """Compute ``config.proxies`` for ``cells`` into the CSV ``out``, resuming if it exists.

    ``executor`` (a :class:`~nasperf.execution.Executor`; default: a local one with ``workers``
    processes) runs the cells, each on ``threads`` torch threads and on ``device`` (``"auto"``:
    a GPU when there is one); a cell whose task raises or
    whose worker dies is tried ``retries`` more times, then left out of the table (a rerun
    computes it) and :class:`IncompleteTableError` is raised once every other cell is written.
    ``on_cell(done, total)`` is called after each finished cell. Returns ``out``.
    """
    from ..execution import LocalExecutor
    from ..training import resolve_device

    out = Path(out)
    config = _checked_config(config, workers, threads)
    device = resolve_device(device)
    # fail on bad data settings here, before any file is written
    _table_batch(config)
    journal = _journal(out, config)
    # a kill can leave half a line at the end: it is cut off, and that cell is recomputed
    done = {row["arch"] for row in journal.read()}
    todo = [_CellTask(config, arch, threads, device) for arch in cells if arch not in done]
    total = len(cells)
    finished = total - len(todo)
    log.info("%s: %d of %d cells already done", out, finished, total)
    if on_cell is not None:
        on_cell(finished, total)
    if not todo:
        if not journal.rows.exists():
            with journal.open():  # the settings and the header of an empty table
                pass
        return out
    own = executor is None
    runner = LocalExecutor(workers) if executor is None else executor
    failed: list[str] = []
    try:
        with journal.open() as rows:
            for outcome in runner.map_unordered(_score_cell, todo, retries=retries):
                if not outcome.ok:
                    failed.append(f"{outcome.item.arch} ({outcome.error})")
                    log.warning(
                        "%r: gave up after %d attempt(s): %s",
                        outcome.item,
                        outcome.attempts,
                        outcome.error,
                    )
                    continue
                row = outcome.result
                rows.append(row)
                finished += 1
                if row["errors"]:
                    log.warning("%s: %s", row["arch"], row["errors"])
                if on_cell is not None:
                    on_cell(finished, total)
    finally:
        if own:
            runner.close()
    if failed:
        raise IncompleteTableError(
            f"{out}: {len(failed)} of {total} cells could not be scored (first: {failed[0]}); "
            "rerun the same command to compute them"
        )
    return out


def read_proxy_table(path: str | Path) -> dict[str, dict[str, float]]:
    """The finite proxy values of a table, by cell (missing values left out)."""
    out: dict[str, dict[str, float]] = {}
    for row in CsvRowFile(path).read():
        out[row["arch"]] = {
            k[len(COLUMN_PREFIX) :]: float(v)
            for k, v in row.items()
            if k.startswith(COLUMN_PREFIX) and v and math.isfinite(float(v))
        }
    return out
