"""Executors: run one picklable function over many items in this process, on a pool of
processes or on Ray, retrying tasks that raise or whose worker dies.

Search strategies, the live benchmark and the proxy table hand an :class:`Executor` a top-level
function and its items and read back one :class:`TaskOutcome` per item as each finishes.

>>> from nasperf.execution import make_executor
>>> with make_executor("local", workers=2) as ex:  # doctest: +SKIP
...     for outcome in ex.map_unordered(train_cell, cells):
...         print(outcome.item, outcome.ok, outcome.error)
"""

from __future__ import annotations

from ._executors import (
    EXECUTORS,
    Executor,
    LocalExecutor,
    RayExecutor,
    TaskOutcome,
    make_executor,
    threads_per_worker,
)

__all__ = [
    "Executor",
    "LocalExecutor",
    "RayExecutor",
    "TaskOutcome",
    "EXECUTORS",
    "make_executor",
    "threads_per_worker",
]
