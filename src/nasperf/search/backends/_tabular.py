"""A benchmark table replayed in simulated time."""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Hashable

import numpy as np

from ...benchmarks import Benchmark
from ...exceptions import ConfigurationError
from ...records import arch_scores
from .._types import Run
from ._base import Backend, Event

__all__ = ["TabularBackend", "TEST_COLUMNS"]

#: the score columns a benchmark's test accuracy is read from, first found first
TEST_COLUMNS = ("test_acc_200ep", "test_acc")


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
