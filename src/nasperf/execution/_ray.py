"""The ``ray`` executor: tasks as Ray remote tasks (``pip install 'nasperf[ray]'``)."""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..exceptions import require
from ._base import Executor, TaskOutcome, _charge, _check_retries, _describe, _take

if TYPE_CHECKING:  # pragma: no cover
    from ._base import _R, _T, _Task

__all__ = ["RayExecutor"]


def _call(fn: Callable[[_T], _R], item: _T) -> _R:
    """Run ``fn(item)``; Ray remotes this one function, so ``fn`` may be any picklable callable."""
    return fn(item)


class RayExecutor(Executor):
    """Run tasks as Ray remote tasks (``pip install 'nasperf[ray]'``).

    ``address`` is None (start a local Ray instance with ``workers`` CPUs), ``"auto"`` (join
    the cluster this machine belongs to) or ``"HOST:PORT"``. Ray's own retries are turned off
    (``max_retries=0``); a task that raises or whose worker dies is retried here, ``retries``
    times, as with :class:`LocalExecutor`. Ray attributes a dead worker to its task, so no
    isolation is needed.
    """

    name = "ray"

    def __init__(self, address: str | None = None, workers: int = 1) -> None:
        super().__init__(workers)
        self.address = address
        self._ray = require("ray", "ray")
        self._owns_ray = False  # whether this executor called ray.init

    def _connect(self) -> Any:
        ray = self._ray
        if not ray.is_initialized():
            if self.address is None:
                # Local workers see the driver's sys.path, as spawned pool workers do, so
                # functions from scripts and test modules can be unpickled there.
                path = os.pathsep.join(p for p in sys.path if p)
                ray.init(
                    num_cpus=self.workers,
                    include_dashboard=False,
                    runtime_env={"env_vars": {"PYTHONPATH": path}},
                )
            else:
                ray.init(address=self.address)
            self._owns_ray = True
        return ray

    def close(self) -> None:
        if self._owns_ray:
            self._ray.shutdown()
            self._owns_ray = False

    def map_unordered(
        self, fn: Callable[[_T], _R], items: Iterable[_T], *, retries: int = 1
    ) -> Iterator[TaskOutcome[_T, _R]]:
        retries = _check_retries(retries)
        return self._run(fn, items, retries)

    def _run(
        self, fn: Callable[[_T], _R], items: Iterable[_T], retries: int
    ) -> Iterator[TaskOutcome[_T, _R]]:
        ray = self._connect()
        remote = ray.remote(num_cpus=1, max_retries=0)(_call)
        source = iter(items)
        limit = 2 * self.workers
        running: dict[Any, _Task] = {}
        again: deque[_Task] = deque()

        def fill() -> None:
            while len(running) < limit:
                task = again.popleft() if again else _take(source)
                if task is None:
                    return
                task.attempts += 1
                running[remote.remote(fn, task.item)] = task

        try:
            fill()
            while running:
                (ref,), _ = ray.wait(list(running), num_returns=1)
                task = running.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:
                    cause = getattr(exc, "cause", None)
                    error = _describe(cause) if cause is not None else _describe(exc)
                except ray.exceptions.RayError as exc:  # worker or node died, task lost
                    error = f"the Ray worker died ({_describe(exc)})"
                else:
                    yield TaskOutcome(task.item, result, None, task.attempts)
                    fill()
                    continue
                outcome = _charge(task, error, retries, again)
                if outcome is not None:
                    yield outcome
                fill()
        finally:
            for ref in running:
                ray.cancel(ref, force=True)

    def __repr__(self) -> str:
        return f"RayExecutor(address={self.address!r}, workers={self.workers})"
