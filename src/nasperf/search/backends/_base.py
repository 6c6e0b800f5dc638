"""Backends: train a candidate's run from where it stands to an epoch, and say when it ends.

A :class:`Backend` takes segments (:meth:`Backend.submit`: bring ``arch`` to epoch ``upto``)
and hands back the next one to finish (:meth:`Backend.next_event`) with its clock, so one
loop runs on either: :class:`TabularBackend` replays a benchmark's curves in simulated time
through an event queue (the recorded per-epoch cost; one unit per epoch where none is recorded),
:class:`LiveBackend` trains on an executor (process pool or Ray), continuing a run from its
checkpoint, and its clock is the wall clock.
"""

from __future__ import annotations

import abc
import logging
import time
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from typing import Any

from ...exceptions import ConfigurationError
from .._types import Run

__all__ = ["Backend", "Event", "ExecutorBackend"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """A segment ended: ``arch`` trained ``epochs`` more epochs, or failed with ``error``."""

    arch: Hashable
    epochs: int
    error: str | None = None


class Backend(abc.ABC):
    """Trains runs in segments and keeps the clock of the search.

    ``max_epochs`` is a full run (1 for a table without curves: a query is the final value);
    ``space`` names the search space. At most one segment per candidate is in flight.
    """

    max_epochs: int
    space: str
    #: where runs train (``cpu`` where nothing trains)
    device: str = "cpu"

    def __init__(self) -> None:
        self._runs: dict[Hashable, Run] = {}
        self.now = 0.0

    def run(self, arch: Hashable) -> Run:
        """The run of ``arch`` as far as it has been trained (created empty on first use)."""
        if arch not in self._runs:
            self._runs[arch] = Run(arch=arch, space=self.space)
        return self._runs[arch]

    @property
    def search_space(self) -> Any:
        """The :class:`~nasperf.spaces.SearchSpace` of the candidates."""
        from ...spaces import get_space

        return get_space(self.space)

    @abc.abstractmethod
    def submit(self, arch: Hashable, upto: int) -> None:
        """Start training ``arch`` from its current epoch to epoch ``upto``."""

    @abc.abstractmethod
    def next_event(self) -> Event:
        """Wait for the next segment to end; the clock (:attr:`now`) moves to its end."""

    def archs(self) -> list[Hashable] | None:
        """Every candidate a table holds, in a fixed order (None: any cell of the space)."""
        return None

    def contains(self, arch: Hashable) -> bool:
        """Whether ``arch`` can be evaluated here."""
        return True

    def scores(self, arch: Hashable) -> dict[str, float]:
        """What is known of ``arch`` without training it (a table's zero-cost columns)."""
        return {}

    def true_final(self, arch: Hashable) -> float | None:
        """The final validation value of ``arch`` where known without training (tables)."""
        return None

    def test_value(self, arch: Hashable) -> float | None:
        """The test value of ``arch`` where known (a table's column; a live run's test)."""
        return None

    def close(self) -> None:
        """Release what the backend holds (nothing by default)."""
        return None  # tables hold nothing


class ExecutorBackend(Backend):
    """What the live backends share: segments run as tasks on an executor, as soon as they
    are submitted, through a :class:`~nasperf.execution.Feed`; the clock is the wall clock
    since the first segment. A task that raises or whose worker dies is retried once, then
    reported as failed. Subclasses give the task (:meth:`_task`, :attr:`_fn`) and read its
    result into the run (:meth:`_apply`)."""

    def __init__(self, executor: Any, seed: int = 0) -> None:
        from ...execution import Feed

        super().__init__()
        self.executor = executor
        self.seed = seed
        self.failed: dict[Hashable, str] = {}
        self._feed = Feed()
        self._outcomes: Iterator[Any] | None = None
        self._pending: dict[str, tuple[Hashable, int]] = {}
        self._start: float | None = None

    @staticmethod
    def _fn(task: Any) -> Any:  # pragma: no cover - replaced by each subclass
        raise NotImplementedError

    @abc.abstractmethod
    def _task(self, arch: str, upto: int) -> Any: ...

    @abc.abstractmethod
    def _apply(self, arch: Hashable, upto: int, result: Any) -> Event: ...

    def submit(self, arch: Hashable, upto: int) -> None:
        if not 1 <= upto <= self.max_epochs:
            raise ConfigurationError(f"epoch {upto} is outside 1..{self.max_epochs}")
        if self._start is None:
            self._start = time.perf_counter()
        self._pending[str(arch)] = (arch, upto)
        self._feed.put(self._task(str(arch), upto))

    def _next_outcome(self) -> Any:
        while True:
            if self._outcomes is None:
                self._outcomes = self.executor.map_unordered(type(self)._fn, self._feed, retries=1)
            try:
                return next(self._outcomes)
            except StopIteration:
                self._outcomes = None
                if not len(self._feed):
                    raise RuntimeError("next_event() with no segment running") from None

    def next_event(self) -> Event:
        outcome = self._next_outcome()
        self.now = time.perf_counter() - (self._start or time.perf_counter())
        arch, upto = self._pending.pop(outcome.item.arch)
        if not outcome.ok:
            self.failed[arch] = str(outcome.error)
            return Event(arch, 0, f"{arch}: {outcome.error}")
        return self._apply(arch, upto, outcome.result)

    def close(self) -> None:
        if self._outcomes is not None:
            self._outcomes.close()  # type: ignore[attr-defined]
            self._outcomes = None
