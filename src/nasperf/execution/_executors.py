"""Run one function over many items, in parallel, surviving tasks that raise or crash.

An :class:`Executor` knows nothing of what it runs: search strategies and the live benchmark
hand it a picklable top-level function and the items to call it on, and read back one
:class:`TaskOutcome` per item as each finishes (in completion order). A task that raises, or
whose worker process dies, is run again up to ``retries`` times and then reported as failed
with the reason; the other tasks go on.

>>> from nasperf.execution import make_executor
>>> with make_executor("local", workers=2) as ex:  # doctest: +SKIP
...     for outcome in ex.map_unordered(train_cell, cells):
...         print(outcome.item, outcome.ok, outcome.error)

``local`` runs in this process (``workers=1``) or on a pool of ``workers`` spawned processes;
``ray`` runs Ray remote tasks on a local or existing Ray cluster (``pip install 'nasperf[ray]'``).
"""

from __future__ import annotations

import abc
import itertools
import logging
import math
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar

from ..exceptions import ConfigurationError, require
from ..registry import Registry

__all__ = [
    "Executor",
    "LocalExecutor",
    "RayExecutor",
    "TaskOutcome",
    "EXECUTORS",
    "make_executor",
    "threads_per_worker",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

_END = object()  # marks the end of the items


@dataclass(frozen=True)
class TaskOutcome(Generic[T, R]):
    """What became of one item: ``result`` when it succeeded, else ``error`` (the reason).

    ``attempts`` counts the runs the item was given, the successful one included.
    """

    item: T
    result: R | None
    error: str | None
    attempts: int

    @property
    def ok(self) -> bool:
        """Whether the task succeeded (``error`` is None)."""
        return self.error is None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _check_retries(retries: object) -> int:
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ConfigurationError(f"retries must be an integer >= 0, got {retries!r}")
    return retries


def _check_workers(workers: object) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigurationError(f"workers must be an integer >= 1, got {workers!r}")
    return workers


class Executor(abc.ABC):
    """Runs ``fn(item)`` for many items and yields a :class:`TaskOutcome` per item.

    ``workers`` is how many tasks run at the same time. Executors hold resources (processes,
    a Ray connection) between calls: use them as context managers or call :meth:`close`.
    """

    name: str = ""
    workers: int = 1

    @abc.abstractmethod
    def map_unordered(
        self, fn: Callable[[T], R], items: Iterable[T], *, retries: int = 1
    ) -> Iterator[TaskOutcome[T, R]]:
        """Yield one outcome per item, in the order the tasks finish.

        ``fn`` must be picklable (a top-level function, or a ``functools.partial`` of one);
        ``items`` is consumed lazily, at most ``2 * workers`` tasks being in flight. A task
        that raises or whose worker dies is run again up to ``retries`` times, then yielded
        with its ``error``; the remaining items still run.
        """

    def close(self) -> None:
        """Release worker processes or connections (idempotent)."""
        return None  # an executor that holds nothing has nothing to release

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(workers={self.workers})"


class _Task:
    """Bookkeeping of one item: runs, failures counted against it, last error."""

    __slots__ = ("item", "attempts", "charged", "error", "token")

    def __init__(self, item: object) -> None:
        self.item = item
        self.attempts = 0
        self.charged = 0
        self.error: str | None = None
        self.token = -1


# -- worker side of the process pool: report each task as it starts -----------------------------
_STARTED: Any = None


def _init_worker(started: Any) -> None:
    global _STARTED
    _STARTED = started


def _traced(fn: Callable[[T], R], token: int, item: T) -> R:
    """Tell the driver that submission ``token`` started, then run ``fn(item)``."""
    _STARTED.put(token)
    return fn(item)


class LocalExecutor(Executor):
    """Run tasks in this process (``workers=1``) or on a pool of spawned processes.

    With ``workers=1`` each task runs in the calling process: exceptions are retried, but a
    task that kills the process takes the run with it. With ``workers > 1`` the tasks run on
    a ``spawn`` process pool (fresh interpreters, so torch state is never forked). A worker
    that dies (``os._exit``, a signal, the OOM killer) breaks the pool and fails every task
    in flight: the pool is recreated, the tasks that had not started yet are put back as if
    never submitted, and each task that had started counts a failed attempt and runs again
    alone. A task is only given up after a failure that is certainly its own (it raised, or
    its worker died while it ran alone), so the innocent ones complete.
    """

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        self.workers = _check_workers(workers)
        self._pool: ProcessPoolExecutor | None = None
        self._queue: Any = None  # on which the pool's workers report the tasks they start
        self._started: set[int] = set()  # tokens of the tasks that started, still unfinished
        self._tokens = itertools.count()  # one per submission, never reused

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._queue.close()

    def map_unordered(
        self, fn: Callable[[T], R], items: Iterable[T], *, retries: int = 1
    ) -> Iterator[TaskOutcome[T, R]]:
        retries = _check_retries(retries)
        if self.workers == 1:
            return self._in_process(fn, items, retries)
        return self._on_pool(fn, items, retries)

    # -- workers == 1 --------------------------------------------------------------------------
    @staticmethod
    def _in_process(
        fn: Callable[[T], R], items: Iterable[T], retries: int
    ) -> Iterator[TaskOutcome[T, R]]:
        for item in items:
            for attempt in range(1, retries + 2):
                try:
                    result = fn(item)
                except Exception as exc:  # reported, not raised
                    error = _describe(exc)
                    log.warning("task %r failed (attempt %d): %s", item, attempt, error)
                    if attempt > retries:
                        yield TaskOutcome(item, None, error, attempt)
                else:
                    yield TaskOutcome(item, result, None, attempt)
                    break

    # -- workers > 1 ---------------------------------------------------------------------------
    def _new_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._queue = ctx.SimpleQueue()
            self._started = set()
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=ctx,
                initializer=_init_worker,
                initargs=(self._queue,),
            )
        return self._pool

    def _drain(self) -> None:
        """Move the start reports of the workers into ``_started`` (keeps the pipe empty)."""
        if self._pool is not None:
            while not self._queue.empty():
                self._started.add(self._queue.get())

    def _drop_pool(self) -> set[int]:
        """Shut a broken pool down; return the tokens of its started, unfinished tasks."""
        self._drain()
        started, self._started = self._started, set()
        if self._pool is not None:
            # quick: a broken pool has already killed its workers; waiting for them keeps the
            # queue alive until no process can still be unpickling it
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._queue.close()
        return started

    def _on_pool(
        self, fn: Callable[[T], R], items: Iterable[T], retries: int
    ) -> Iterator[TaskOutcome[T, R]]:
        source = iter(items)
        exhausted = False
        limit = 2 * self.workers
        again: deque[_Task] = deque()  # tasks to run again, before new items
        isolate = 0  # the first ``isolate`` tasks of ``again`` run alone, one at a time
        running: dict[Future, _Task] = {}

        def submit(task: _Task) -> bool:
            token = next(self._tokens)
            try:
                future = self._new_pool().submit(_traced, fn, token, task.item)
            except BrokenProcessPool:  # a worker died since the last look
                if running:  # their futures report the break: sort that out first
                    again.appendleft(task)
                    return False
                self._drop_pool()
                future = self._new_pool().submit(_traced, fn, token, task.item)
            task.attempts += 1
            task.token = token
            running[future] = task
            return True

        def fill() -> None:
            nonlocal exhausted, isolate
            if isolate:
                if not running:
                    isolate -= 1
                    submit(again.popleft())
                return
            while len(running) < limit and again:
                if not submit(again.popleft()):
                    return
            while len(running) < limit and not exhausted:
                item = next(source, _END)
                if item is _END:
                    exhausted = True
                elif not submit(_Task(item)):
                    return

        try:
            fill()
            while running:
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                if any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                    # a broken pool fails every other future at once; sort them all out now
                    done, _ = wait(list(running))
                broken: list[_Task] = []
                self._drain()
                for future in done:
                    task = running.pop(future)
                    exc = future.exception()
                    if not isinstance(exc, BrokenProcessPool):
                        self._started.discard(task.token)
                    if exc is None:
                        yield TaskOutcome(task.item, future.result(), None, task.attempts)
                    elif isinstance(exc, BrokenProcessPool):
                        task.error = f"the worker process died ({_describe(exc)})"
                        broken.append(task)
                    else:
                        task.charged += 1
                        task.error = _describe(exc)
                        log.warning(
                            "task %r failed (attempt %d): %s", task.item, task.attempts, task.error
                        )
                        if task.charged > retries:
                            yield TaskOutcome(task.item, None, task.error, task.attempts)
                        else:
                            again.append(task)
                if broken:
                    started = self._drop_pool()
                    given_up, alone, unstarted = self._after_break(broken, started, retries)
                    yield from given_up
                    isolated = [again.popleft() for _ in range(isolate)]
                    again.extendleft(reversed(unstarted))
                    again.extendleft(reversed(isolated + alone))
                    isolate = len(isolated) + len(alone)
                fill()
        finally:  # stopped early: drop what has not started; the pool stays for close()
            for future in running:
                future.cancel()

    @staticmethod
    def _after_break(
        broken: list[_Task], started: set[int], retries: int
    ) -> tuple[list[TaskOutcome], list[_Task], list[_Task]]:
        """Sort out the tasks a pool break took down.

        Returns the outcomes of the tasks given up, the tasks to run again alone, and the
        tasks that had not started (put back as if never submitted). A lone started task is
        charged with the death; several are each charged, but all run again alone before any
        can be given up, so the innocent ones complete.
        """
        ran = [t for t in broken if t.token in started]
        if not ran:  # the workers died before running anything: charge every task
            ran = broken
        unstarted = [t for t in broken if t not in ran]
        for task in unstarted:
            task.attempts -= 1
        given_up: list[TaskOutcome] = []
        alone: list[_Task] = []
        for task in ran:
            task.charged += 1
            log.warning(
                "worker died running task %r (attempt %d%s)",
                task.item,
                task.attempts,
                "" if len(ran) == 1 else f", one of {len(ran)} running",
            )
            if len(ran) == 1 and task.charged > retries:
                given_up.append(TaskOutcome(task.item, None, task.error, task.attempts))
            else:
                alone.append(task)
        return given_up, alone, unstarted


def _call(fn: Callable[[T], R], item: T) -> R:
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
        self.workers = _check_workers(workers)
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
        self, fn: Callable[[T], R], items: Iterable[T], *, retries: int = 1
    ) -> Iterator[TaskOutcome[T, R]]:
        retries = _check_retries(retries)
        return self._run(fn, items, retries)

    def _run(
        self, fn: Callable[[T], R], items: Iterable[T], retries: int
    ) -> Iterator[TaskOutcome[T, R]]:
        ray = self._connect()
        remote = ray.remote(num_cpus=1, max_retries=0)(_call)
        source = iter(items)
        limit = 2 * self.workers
        running: dict[Any, _Task] = {}
        again: deque[_Task] = deque()

        def fill() -> None:
            while len(running) < limit:
                if again:
                    task = again.popleft()
                else:
                    item = next(source, _END)
                    if item is _END:
                        return
                    task = _Task(item)
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
                    task.error = _describe(cause) if cause is not None else _describe(exc)
                except ray.exceptions.RayError as exc:  # worker or node died, task lost
                    task.error = f"the Ray worker died ({_describe(exc)})"
                else:
                    yield TaskOutcome(task.item, result, None, task.attempts)
                    fill()
                    continue
                task.charged += 1
                log.warning("task %r failed (attempt %d): %s", task.item, task.attempts, task.error)
                if task.charged > retries:
                    yield TaskOutcome(task.item, None, task.error, task.attempts)
                else:
                    again.append(task)
                fill()
        finally:
            for ref in running:
                ray.cancel(ref, force=True)

    def __repr__(self) -> str:
        return f"RayExecutor(address={self.address!r}, workers={self.workers})"


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
