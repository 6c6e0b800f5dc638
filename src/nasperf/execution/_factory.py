"""The executors by name, and how many torch threads each worker gets."""

from __future__ import annotations

import math
import os
from typing import Any

from ..exceptions import ConfigurationError
from ..registry import Registry
from ._base import Executor
from ._local import LocalExecutor
from ._ray import RayExecutor

__all__ = ["EXECUTORS", "make_executor", "threads_per_worker"]

#: executor names accepted by :func:`make_executor`
EXECUTORS = Registry("executor")
EXECUTORS.add("local", LocalExecutor, "this process, or a pool of spawned worker processes")
EXECUTORS.add("ray", RayExecutor, "Ray remote tasks on a local or existing cluster", extra="ray")


def make_executor(name: str = "local", workers: int = 1, address: str | None = None) -> Executor:
    """The executor called ``name`` (see :data:`EXECUTORS`) running ``workers`` tasks at once.

    ``address`` (a Ray cluster: ``"auto"`` or ``"HOST:PORT"``) only applies to ``ray``.
    """
    cls = EXECUTORS.load(str(name))
    if cls is RayExecutor:
        return RayExecutor(address=address, workers=workers)
    if address is not None:
        raise ConfigurationError(
            f"an address ({address!r}) only applies to the ray executor, not {name!r}"
        )
    return cls(workers=workers)


def threads_per_worker(executor: Any) -> int:
    """Torch threads for each of the executor's workers: the CPUs shared out, at least one."""
    return max(1, math.floor((_cpu_count() or 1) / max(executor.workers, 1)))


def _cpu_count() -> int | None:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
