"""Search: executors that run candidate evaluations in parallel (strategies never see how).

:mod:`nasperf.search.executors` runs a picklable function over many items in this process, on
a pool of processes or on Ray, retrying tasks that raise or whose worker dies.
"""

from __future__ import annotations

from .executors import EXECUTORS, Executor, LocalExecutor, RayExecutor, TaskOutcome, make_executor

__all__ = [
    "Executor",
    "LocalExecutor",
    "RayExecutor",
    "TaskOutcome",
    "EXECUTORS",
    "make_executor",
]
