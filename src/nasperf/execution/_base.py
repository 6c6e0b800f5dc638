"""What every executor shares: the :class:`Executor` interface, the :class:`TaskOutcome` it
yields, and the bookkeeping of one item's attempts."""

from __future__ import annotations

import abc
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, TypeVar

from ..exceptions import ConfigurationError

__all__ = ["Executor", "TaskOutcome", "Feed"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_R = TypeVar("_R")

_END = object()  # marks the end of the items


@dataclass(frozen=True)
class TaskOutcome(Generic[_T, _R]):
    """What became of one item: ``result`` when it succeeded, else ``error`` (the reason).

    ``attempts`` counts the runs the item was given, the successful one included.
    """

    item: _T
    result: _R | None
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

    def __init__(self, workers: int = 1) -> None:
        self.workers = _check_workers(workers)

    @abc.abstractmethod
    def map_unordered(
        self, fn: Callable[[_T], _R], items: Iterable[_T], *, retries: int = 1
    ) -> Iterator[TaskOutcome[_T, _R]]:
        """Yield one outcome per item, in the order the tasks finish.

        ``fn`` must be picklable (a top-level function, or a ``functools.partial`` of one);
        ``items`` is consumed lazily, at most ``2 * workers`` tasks being in flight. A task
        that raises or whose worker dies is run again up to ``retries`` times, then yielded
        with its ``error``; the remaining items still run.
        """

    def close(self) -> None:
        """Release worker processes or connections (idempotent)."""
        return None  # an executor that holds nothing has nothing to release

    def terminate(self) -> None:
        """Release everything now, abandoning the tasks still running (default: :meth:`close`)."""
        self.close()

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close; leaving by an exception (Ctrl-C's KeyboardInterrupt too) terminates instead:
        nobody reads the running tasks' results, so nobody waits for them."""
        if exc_type is None:
            self.close()
        else:
            self.terminate()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(workers={self.workers})"


class Feed:
    """Items to hand to :meth:`Executor.map_unordered` while it runs, for a caller that decides
    the next task from the results of the last (a search loop).

    :meth:`put` adds an item. When the feed is empty the map waits for its running tasks and
    asks again after yielding each result; it ends once the feed is empty and nothing runs.
    """

    def __init__(self) -> None:
        self._items: deque[object] = deque()

    def put(self, item: object) -> None:
        """Add ``item``; it is submitted when the map next looks for work."""
        self._items.append(item)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Feed:
        return self

    def __next__(self) -> object:
        if not self._items:
            raise StopIteration
        return self._items.popleft()


class _Task:
    """Bookkeeping of one item: runs, failures counted against it, last error."""

    __slots__ = ("item", "attempts", "charged", "error", "token")

    def __init__(self, item: object) -> None:
        self.item = item
        self.attempts = 0
        self.charged = 0
        self.error: str | None = None
        self.token = -1


def _charge(task: _Task, error: str, retries: int, again: deque[_Task]) -> TaskOutcome | None:
    """Count a failure that is certainly ``task``'s own against it: its outcome once it has
    failed more than ``retries`` times, else None (and it waits in ``again`` to run again)."""
    task.charged += 1
    task.error = error
    log.warning("task %r failed (attempt %d): %s", task.item, task.attempts, task.error)
    if task.charged > retries:
        return TaskOutcome(task.item, None, task.error, task.attempts)
    again.append(task)
    return None


def _take(source: Iterator[object]) -> _Task | None:
    """A task for the next item of ``source``; None when there is none left."""
    item = next(source, _END)
    return None if item is _END else _Task(item)
