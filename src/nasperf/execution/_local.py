"""The ``local`` executor: tasks in this process, or on a pool of spawned worker processes."""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._base import Executor, Feed, TaskOutcome, _charge, _check_retries, _describe, _take

if TYPE_CHECKING:  # pragma: no cover
    from ._base import _R, _T, _Task

__all__ = [
    "LocalExecutor",
    "PARENT_POLL_S",
]

log = logging.getLogger(__name__)

# -- worker side of the process pool: report each task as it starts -----------------------------
_STARTED: Any = None

#: seconds between a worker's checks that the process that started it is still alive
PARENT_POLL_S = 0.5


#: seconds :meth:`LocalExecutor.terminate` gives the workers, then the pool's thread, to end
TERMINATE_GRACE_S = 5.0


def _settle_cancelled(manager: threading.Thread | None, timeout: float) -> None:
    """Wait (at most ``timeout`` seconds) until a pool's ``manager`` thread, told to shut down,
    has dropped the cancelled futures from its pending work (it does so when it wakes)."""
    deadline = time.monotonic() + timeout
    while manager is not None and manager.is_alive() and time.monotonic() < deadline:
        pending = list(getattr(manager, "pending_work_items", {}).values())
        if not any(item.future.cancelled() for item in pending):
            return
        time.sleep(0.01)


def _pool_processes(pool: ProcessPoolExecutor | None) -> list[Any]:
    """The worker processes of ``pool`` (none before it starts them, or without a pool)."""
    return list((getattr(pool, "_processes", None) or {}).values())


def _init_worker(started: Any, parent: int) -> None:
    """Set a new worker up: Ctrl-C is the driver's to handle (it ends the workers itself, so
    the terminal shows no worker traceback), and the worker exits when the driver dies."""
    global _STARTED
    _STARTED = started
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked by the driver while it spawned us
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _watch_parent(parent)


def _watch_parent(parent: int) -> None:
    """Exit this process once ``parent`` is gone (killed with SIGKILL, say), so no orphaned
    worker keeps its memory: a daemon thread polls the parent process id."""
    if os.getppid() != parent:  # already orphaned while starting
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL_S)
            if os.getppid() != parent:
                os._exit(1)  # no cleanup to run: the driver that wanted the results is gone

    threading.Thread(target=watch, name="nasperf-parent-watch", daemon=True).start()


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread while the block runs (a Ctrl-C is delivered after it).

    Processes spawned meanwhile inherit the mask, so a Ctrl-C while a worker is still
    importing cannot interrupt it with a traceback; the worker's initializer ignores SIGINT
    and unblocks it.
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    from multiprocessing import resource_tracker

    # started first: starting it (a pool's first queue does) unblocks SIGINT in this thread
    resource_tracker.ensure_running()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _traced(fn: Callable[[_T], _R], token: int, item: _T) -> _R:
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

    Pool workers ignore Ctrl-C (SIGINT): the driver gets it, and leaving a ``with`` block by
    an exception (KeyboardInterrupt included) ends the workers at once (:meth:`terminate`)
    instead of waiting for their tasks. A worker also exits by itself when the driver process
    dies (each polls its parent every :data:`PARENT_POLL_S` seconds), so a killed run leaves
    no orphan holding memory.
    """

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        super().__init__(workers)
        self._pool: ProcessPoolExecutor | None = None
        self._queue: Any = None  # on which the pool's workers report the tasks they start
        self._started: set[int] = set()  # tokens of the tasks that started, still unfinished
        self._tokens = itertools.count()  # one per submission, never reused

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._queue.close()

    def terminate(self) -> None:
        """End the pool's workers now (SIGTERM, SIGKILL after a grace period) and release it;
        tasks still running are lost. Used when the driver is interrupted. Never waits long:
        the pool's threads get a few seconds, and none is joined at the interpreter's exit."""
        if self._pool is not None:
            self._release_pool(kill=True)

    def _release_pool(self, *, kill: bool) -> None:
        """Shut the pool down without ever waiting long: its workers are ended (``kill``) or
        waited for (a broken pool has ended them already) for a few seconds, then killed; its
        thread gets as long; a queue feeder blocked on a pipe no worker reads is not joined."""
        pool = self._pool
        processes = _pool_processes(pool)
        manager = getattr(pool, "_executor_manager_thread", None)  # shutdown() forgets these
        call_queue = getattr(pool, "_call_queue", None)
        # the pool's own thread drops the futures cancelled while it was starting: Python 3.11
        # would fail setting an error on them once its workers die (InvalidStateError, and a
        # thread traceback), leaving its queue's feeder blocked, which hangs the exit
        pool.shutdown(wait=False, cancel_futures=True)
        _settle_cancelled(manager, TERMINATE_GRACE_S)
        if kill:
            for proc in processes:
                if proc.is_alive():
                    proc.terminate()
        deadline = time.monotonic() + TERMINATE_GRACE_S
        for proc in processes:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():  # pragma: no cover - a worker that ignores SIGTERM
                proc.kill()
                proc.join(1.0)
        if manager is not None:
            manager.join(max(0.0, deadline - time.monotonic()))
        if call_queue is not None:  # its feeder may be blocked on a pipe no worker reads
            call_queue.cancel_join_thread()
        self._pool = None
        self._queue.close()

    def map_unordered(
        self, fn: Callable[[_T], _R], items: Iterable[_T], *, retries: int = 1
    ) -> Iterator[TaskOutcome[_T, _R]]:
        retries = _check_retries(retries)
        if self.workers == 1:
            return self._in_process(fn, items, retries)
        return self._on_pool(fn, items, retries)

    # -- workers == 1 --------------------------------------------------------------------------
    @staticmethod
    def _in_process(
        fn: Callable[[_T], _R], items: Iterable[_T], retries: int
    ) -> Iterator[TaskOutcome[_T, _R]]:
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
                initargs=(self._queue, os.getpid()),
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
            # queue alive until no process can still be unpickling it (bounded: the pool's
            # thread could wait forever on its queue's feeder)
            self._release_pool(kill=False)
        return started

    def _on_pool(
        self, fn: Callable[[_T], _R], items: Iterable[_T], retries: int
    ) -> Iterator[TaskOutcome[_T, _R]]:
        schedule = _PoolSchedule(self, fn, items, retries)
        try:
            schedule.fill()
            while schedule.running:
                broken: list[_Task] = []
                yield from schedule.settle(schedule.wait(), broken)
                if broken:
                    yield from schedule.recover(broken)
                schedule.fill()
        except (GeneratorExit, Exception):  # stopped early: drop what has not started
            schedule.cancel()  # the pool stays for close()
            raise
        # Ctrl-C or SIGTERM (KeyboardInterrupt): nothing is cancelled here, terminate() ends the
        # pool; a future cancelled while its workers die trips Python 3.11's pool thread

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


class _PoolSchedule:
    """One :meth:`LocalExecutor.map_unordered` on the pool: what runs, what waits, what next.

    At most ``2 * workers`` tasks are in flight. Tasks to run again go before new items; after
    a pool break, the first ``isolate`` tasks of ``again`` run alone, one at a time.
    """

    def __init__(
        self, executor: LocalExecutor, fn: Callable[[Any], Any], items: Iterable[Any], retries: int
    ) -> None:
        self.executor = executor
        self.fn = fn
        self.retries = retries
        self.source = iter(items)
        self.exhausted = False
        self.limit = 2 * executor.workers
        self.again: deque[_Task] = deque()  # tasks to run again, before new items
        self.isolate = 0  # the first ``isolate`` tasks of ``again`` run alone, one at a time
        self.running: dict[Future, _Task] = {}

    def submit(self, task: _Task) -> bool:
        """Submit ``task`` to the pool; False (and the task put back first) if the pool broke
        while tasks are still running, whose futures must report the break first."""
        executor = self.executor
        token = next(executor._tokens)
        try:
            with _sigint_blocked():  # a worker spawned now starts with Ctrl-C blocked
                future = executor._new_pool().submit(_traced, self.fn, token, task.item)
        except BrokenProcessPool:  # a worker died since the last look
            if self.running:  # their futures report the break: sort that out first
                self.again.appendleft(task)
                return False
            executor._drop_pool()
            with _sigint_blocked():
                future = executor._new_pool().submit(_traced, self.fn, token, task.item)
        task.attempts += 1
        task.token = token
        self.running[future] = task
        return True

    def fill(self) -> None:
        """Submit tasks to run again, then new items, up to the limit (one while isolating)."""
        if self.isolate:
            if not self.running:
                self.isolate -= 1
                self.submit(self.again.popleft())
            return
        while len(self.running) < self.limit and self.again:
            if not self.submit(self.again.popleft()):
                return
        while len(self.running) < self.limit and not self.exhausted:
            task = _take(self.source)
            if task is None:
                if isinstance(self.source, Feed):  # empty for now: ask again after a result
                    return
                self.exhausted = True
            elif not self.submit(task):
                return

    def wait(self) -> set[Future]:
        """The futures that are done: at least one, and all of them once the pool broke."""
        done, _ = wait(list(self.running), return_when=FIRST_COMPLETED)
        if any(isinstance(f.exception(), BrokenProcessPool) for f in done):
            # a broken pool fails every other future at once; sort them all out now
            done, _ = wait(list(self.running))
        return done

    def settle(self, done: set[Future], broken: list[_Task]) -> Iterator[TaskOutcome]:
        """Yield the outcomes of the ``done`` futures that are final; queue the tasks that
        raised to run again and add those that a pool break took down to ``broken``."""
        self.executor._drain()
        for future in done:
            task = self.running.pop(future)
            exc = future.exception()
            if isinstance(exc, BrokenProcessPool):
                task.error = f"the worker process died ({_describe(exc)})"
                broken.append(task)
                continue
            self.executor._started.discard(task.token)
            if exc is None:
                yield TaskOutcome(task.item, future.result(), None, task.attempts)
            else:
                outcome = _charge(task, _describe(exc), self.retries, self.again)
                if outcome is not None:
                    yield outcome

    def recover(self, broken: list[_Task]) -> Iterator[TaskOutcome]:
        """After a pool break: yield the tasks given up, queue the others (to run alone if
        they had started, as if never submitted if not)."""
        started = self.executor._drop_pool()
        given_up, alone, unstarted = LocalExecutor._after_break(broken, started, self.retries)
        yield from given_up
        isolated = [self.again.popleft() for _ in range(self.isolate)]
        self.again.extendleft(reversed(unstarted))
        self.again.extendleft(reversed(isolated + alone))
        self.isolate = len(isolated) + len(alone)

    def cancel(self) -> None:
        """Cancel the futures that have not started (none once a worker died: the pool is
        breaking, and its thread fails them all)."""
        if not all(proc.is_alive() for proc in _pool_processes(self.executor._pool)):
            return
        for future in self.running:
            future.cancel()
