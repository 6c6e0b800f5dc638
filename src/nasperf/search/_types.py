"""The search's types: a job, a run being trained, a trace point and a search's result.

:class:`Job` is what a scheduler asks for (a candidate and the epoch to bring it to), :class:`Run`
what a backend holds of a candidate (its curves so far), :class:`TracePoint` the incumbent at one
moment and :class:`SearchResult` what a search returns and what it cost.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..exceptions import NasperfError
from ..records import Record, arch_scores

__all__ = ["Job", "Run", "TracePoint", "SearchResult", "SchedulerError", "search_label"]


@dataclass
class Run:
    """A candidate being trained: its curves so far (``val_acc`` at least) and what is known."""

    arch: Hashable
    space: str
    curves: dict[str, np.ndarray] = field(default_factory=dict)
    scores: Mapping[str, float] = field(default_factory=dict)
    features: np.ndarray | None = None

    @property
    def epochs(self) -> int:
        return len(self.curves.get("val_acc", ()))

    @property
    def last(self) -> float:
        return float(self.curves["val_acc"][-1])

    @classmethod
    def from_record(cls, rec: Record, curve: str = "val_acc", upto: int | None = None) -> Run:
        """The run of a record's curves to epoch ``upto`` (None: all), its ``val_acc`` the
        record's ``curve``; of its scores only those that describe the architecture."""
        cut = slice(None) if upto is None else slice(0, upto)
        curves = {
            name: np.asarray(values, dtype=np.float64)[cut]
            for name, values in rec.curves.items()
            if upto is None or len(values) >= upto
        }
        curves["val_acc"] = np.asarray(rec.curves[curve], dtype=np.float64)[cut]
        return cls(rec.arch, rec.space, curves, arch_scores(rec.scores), rec.features)

    def record(self, target: float | None = None) -> Record:
        """The run as a predictor record (target: its final value when complete)."""
        return Record(
            arch=self.arch,
            space=self.space,
            target=target,
            curves=self.curves,
            scores=self.scores,
            features=self.features,
        )


class SchedulerError(NasperfError):
    """A scheduler broke the loop's contract (a bug in the scheduler, not the user's input)."""


@dataclass(frozen=True)
class Job:
    """Bring the run of ``arch`` to epoch ``epochs`` (continuing it where it stands)."""

    arch: Hashable
    epochs: int


@dataclass(frozen=True)
class TracePoint:
    """The incumbent after ``epochs`` epochs, at time ``seconds`` on the loop's clock."""

    epochs: int
    seconds: float
    arch: Hashable
    value: float  # its observed final validation value
    true_value: float | None  # its final validation value in the table, where known
    jobs: int = 0  # runs completed so far (queries, for a table without curves)
    test_value: float | None = None  # its test value, where the benchmark records one


@dataclass
class SearchResult:
    """What a search returns: the incumbent, its trace, and what it cost."""

    strategy: str
    best_arch: Hashable | None = None
    best_value: float | None = None
    trace: list[TracePoint] = field(default_factory=list)
    epochs_used: int = 0
    seconds_used: float = 0.0  # the clock when the last job ended (makespan on the workers)
    configs: int = 0  # candidates started
    completed: int = 0  # candidates trained to the last epoch
    stopped: int = 0  # candidates stopped by the rule
    failed: int = 0  # candidates whose training failed
    jobs: int = 0  # jobs run (a promotion is a job)
    seed: int | None = None
    estimates: list[dict] = field(default_factory=list)  # a short-budget fitness's, per candidate
    stats: dict[str, float] = field(default_factory=dict)  # the scheduler's (surrogate fits)

    @property
    def best_test(self) -> float | None:
        """The test value of the incumbent (None when nothing completed)."""
        return self.trace[-1].test_value if self.trace else None

    def value_at(self, epochs: float) -> float | None:
        """The incumbent's final value in the table (else its observed one) at ``epochs``."""
        best = None
        for p in self.trace:
            if p.epochs > epochs:
                break
            best = p.true_value if p.true_value is not None else p.value
        return best

    def queries_to(self, archs: Iterable[Hashable]) -> int | None:
        """The runs completed when the incumbent first was one of ``archs`` (None: never)."""
        targets = set(archs)
        for p in self.trace:
            if p.arch in targets:
                return p.jobs
        return None


def search_label(strategy: str, rule: type | None = None) -> str:
    """What a result calls its search: the strategy, ``+`` its stopping rule's class name."""
    return strategy if rule is None else f"{strategy}+{rule.__name__}"
