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
import heapq
import itertools
import logging
import math
import time
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...benchmarks import Benchmark
from ...exceptions import ConfigurationError
from ...records import arch_scores
from ...training import RunStatus
from .._types import Run

__all__ = [
    "Backend",
    "Event",
    "TabularBackend",
    "ExecutorBackend",
    "LiveBackend",
    "TEST_COLUMNS",
]

logger = logging.getLogger(__name__)

#: the score columns a benchmark's test accuracy is read from, first found first
TEST_COLUMNS = ("test_acc_200ep", "test_acc")


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


class TabularBackend(Backend):
    """Replays a benchmark in simulated time: the cost of bringing a run from epoch a to b is
    the recorded time of epochs a+1..b (``Benchmark.cost``; one unit per epoch where none is
    recorded). On a benchmark with curves a run's ``val_acc`` is the benchmark's
    ``target_curve`` (or ``curve``); on one without, a query (``max_epochs`` 1) returns the
    final value at the cost of a full run.
    """

    def __init__(self, benchmark: Benchmark, curve: str | None = None) -> None:
        super().__init__()
        self.benchmark = benchmark
        self.has_curves = benchmark.max_fidelity is not None
        if curve is not None and not self.has_curves:
            raise ConfigurationError(
                f"benchmark {benchmark.name!r} has no learning curves to choose {curve!r} from"
            )
        self.max_epochs = int(benchmark.max_fidelity) if self.has_curves else 1
        self.space = benchmark.space
        self.curve = benchmark.target_curve if curve is None else curve
        self._queue: list[tuple[float, int, Hashable, int]] = []
        self._seq = itertools.count()
        self._archs: list[Hashable] | None = None
        self._keys: set[Hashable] | None = None

    def archs(self) -> list[Hashable]:
        if self._archs is None:
            self._archs = [r.arch for r in self.benchmark.records()]
            self._keys = set(self._archs)
        return self._archs

    def contains(self, arch: Hashable) -> bool:
        self.archs()
        return arch in self._keys  # type: ignore[operator]

    def _cost(self, arch: Hashable, epochs: int) -> float:
        if epochs == 0:
            return 0.0
        return self.benchmark.cost(arch, epochs if self.has_curves else None)

    def submit(self, arch: Hashable, upto: int) -> None:
        if not 1 <= upto <= self.max_epochs:
            raise ConfigurationError(f"epoch {upto} is outside 1..{self.max_epochs}")
        have = self.run(arch).epochs
        finish = self.now + self._cost(arch, upto) - self._cost(arch, have)
        heapq.heappush(self._queue, (finish, next(self._seq), arch, upto))

    def next_event(self) -> Event:
        if not self._queue:
            raise RuntimeError("next_event() with no segment running")
        finish, _, arch, upto = heapq.heappop(self._queue)
        self.now = max(self.now, finish)
        run = self.run(arch)
        have = run.epochs
        rec = self.benchmark.query(arch)
        if not self.has_curves:
            run.curves = {"val_acc": np.asarray([float(rec.target)])}
        else:
            curve = np.asarray(rec.curves.get(self.curve, ()), dtype=np.float64)
            if len(curve) < upto:
                return Event(arch, 0, f"{arch}: its {self.curve} curve holds {len(curve)} epochs")
            if not math.isfinite(curve[upto - 1]):
                return Event(arch, 0, f"{arch}: {self.curve} is not finite at epoch {upto}")
            run.curves = Run.from_record(rec, self.curve, upto).curves
        run.scores, run.features = arch_scores(rec.scores), rec.features
        return Event(arch, upto - have)

    def scores(self, arch: Hashable) -> dict[str, float]:
        return dict(self.benchmark.query(arch).scores)

    def true_final(self, arch: Hashable) -> float | None:
        return float(self.benchmark.query(arch).target)

    def test_value(self, arch: Hashable) -> float | None:
        scores = self.benchmark.query(arch).scores
        for name in TEST_COLUMNS:
            if name in scores:
                return float(scores[name])
        return None


@dataclass(frozen=True)
class _LiveTask:
    arch: str
    upto: int
    seed: int
    checkpoint: str
    config: Any  # LiveBenchmarkConfig: dataset, training and model settings
    threads: int = 1
    device: str = "cpu"

    def __repr__(self) -> str:
        return f"{self.arch} to epoch {self.upto}"


def _train_until(task: _LiveTask) -> dict[str, Any]:
    """Build the cell (seeded), train or continue it up to ``task.upto``; return its curves."""
    from ...benchmarks.cells import build_cell, cell_data
    from ...training import Trainer, torch_threads

    config = task.config
    with torch_threads(task.threads):
        data = cell_data(config)
        model, params_m, flops = build_cell(config, task.arch, task.seed, data, task.device)
        scores = {"params_m": params_m, "flops": flops}
        trainer = Trainer(config.train_config(task.seed, task.threads))
        result = trainer.fit(model, data, checkpoint=task.checkpoint, until=task.upto)
    return {
        "status": result.status,
        "reason": result.reason,
        "curves": {k: np.asarray(v, dtype=np.float64) for k, v in result.curves.items()},
        "scores": scores,
        "test_acc": getattr(result, "test_acc", None),
    }


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


class LiveBackend(ExecutorBackend):
    """Trains NB201 cells for real on an executor (process pool or Ray), one checkpoint each.

    ``config`` is a :class:`~nasperf.benchmarks.LiveBenchmarkConfig` (dataset, epochs, optimiser,
    C and N). Every segment goes to the executor as soon as it is submitted, so ``workers``
    jobs train at once; a promoted run continues from its checkpoint under the schedule of the
    full ``config.epochs``. Runs train on ``device`` (``"auto"``: a GPU when there is one).
    """

    _fn = staticmethod(_train_until)

    def __init__(
        self,
        config: Any,
        executor: Any,
        workdir: str | Path,
        seed: int = 0,
        device: str = "cpu",
    ) -> None:
        from ...training import resolve_device

        super().__init__(executor, seed)
        self.device = resolve_device(device)
        self.config = config
        self.workdir = Path(workdir)  # made at the first segment: binding writes nothing
        self.max_epochs = int(config.epochs)
        self.space = config.space
        self._tests: dict[Hashable, float] = {}

    def _task(self, arch: str, upto: int) -> _LiveTask:
        from ...benchmarks.cells import cell_key, cell_seed
        from ...execution import threads_per_worker

        key = cell_key(self.seed, arch)
        self.workdir.mkdir(parents=True, exist_ok=True)
        path = str(self.workdir / f"{key}.pt")
        threads = threads_per_worker(self.executor)
        return _LiveTask(arch, upto, cell_seed(self.seed, arch), path, self.config, threads,
                         self.device)  # fmt: skip

    def _apply(self, arch: Hashable, upto: int, got: Any) -> Event:
        run = self.run(arch)
        have = run.epochs
        new = len(got["curves"].get("val_acc", ()))
        if new > upto:  # a checkpoint left by an earlier search in the same directory
            logger.warning(
                "%s: its checkpoint in %s already holds %d epochs; using the first %d. Epochs "
                "count as if trained, but the times are not this search's: use a fresh "
                "directory to measure wall-clock",
                arch,
                self.workdir,
                new,
                upto,
            )
        trained = max(min(new, upto) - have, 0)
        if got["status"] not in (RunStatus.OK, RunStatus.PAUSED):
            self.failed[arch] = got["reason"]
            return Event(arch, trained, f"{arch}: {got['reason']}")
        run.curves = {k: v[:upto] for k, v in got["curves"].items()}
        run.scores = got["scores"]
        if got.get("test_acc") is not None:
            self._tests[arch] = float(got["test_acc"])
        return Event(arch, trained)

    def test_value(self, arch: Hashable) -> float | None:
        return self._tests.get(arch)
