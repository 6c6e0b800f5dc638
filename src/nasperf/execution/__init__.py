"""Executors: run one picklable function over many items in this process, on a pool of
processes or on Ray, retrying tasks that raise or whose worker dies.

An :class:`Executor` knows nothing of what it runs: search strategies, the live benchmark and
the proxy table hand it a picklable top-level function and the items to call it on, and read
back one :class:`TaskOutcome` per item as each finishes (in completion order). A task that
raises, or whose worker process dies, is run again up to ``retries`` times and then reported as
failed with the reason; the other tasks go on.

>>> from nasperf.execution import make_executor
>>> with make_executor("local", workers=2) as ex:  # doctest: +SKIP
...     for outcome in ex.map_unordered(train_cell, cells):
...         print(outcome.item, outcome.ok, outcome.error)

``local`` runs in this process (``workers=1``) or on a pool of ``workers`` spawned processes;
``ray`` runs Ray remote tasks on a local or existing Ray cluster (``pip install 'nasperf[ray]'``).
"""

from __future__ import annotations

from ._base import Executor, Feed, TaskOutcome
from ._factory import EXECUTORS, make_executor, threads_per_worker
from ._local import LocalExecutor
from ._ray import RayExecutor

__all__ = [
    "Executor",
    "Feed",
    "LocalExecutor",
    "RayExecutor",
    "TaskOutcome",
    "EXECUTORS",
    "make_executor",
    "threads_per_worker",
]
