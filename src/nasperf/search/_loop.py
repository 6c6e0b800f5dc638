"""One search loop: a scheduler decides, a backend executes, the loop keeps one clock.

A :class:`Scheduler` suggests the next :class:`Job` (a candidate and the epoch to bring it to)
and hears what became of each job. A :class:`~nasperf.search.Backend` trains: on a table in
simulated time, or live on executors. :func:`run_search` keeps ``workers`` jobs in flight,
splits a job at the stopping rule's checkpoints and asks the rule there, and records one trace
(time, epochs spent, jobs, the incumbent and its test value) every time the incumbent may change.

Budgets are in epochs: a job starts only when its epochs fit in what is left after the epochs
spent and those the running jobs may still take, so the budget is never exceeded.
"""

from __future__ import annotations

import abc
import logging
import math
from collections.abc import Callable, Hashable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..exceptions import ConfigurationError
from ._types import Job, Run, SchedulerError, SearchResult, TracePoint, search_label
from .rules import StoppingRule

if TYPE_CHECKING:
    from .backends import Backend, Event

__all__ = ["Scheduler", "SearchState", "run_search"]

logger = logging.getLogger(__name__)


class SearchState:
    """What a scheduler may read and draw on: the space, the budget, the runs, the incumbent.

    Owned by the loop; a scheduler never changes it except through :meth:`draw` (the next
    unseen candidate) and :attr:`rng`.
    """

    def __init__(
        self,
        backend: Backend,
        budget_epochs: int | None,
        seed: int,
        rule: StoppingRule | None = None,
    ) -> None:
        self.backend = backend
        self.rule = rule  # the stopping rule the loop asks, if any
        self.max_epochs = backend.max_epochs
        self.budget_epochs = budget_epochs
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.epochs_spent = 0
        self.committed = 0  # epochs the running jobs may still take
        self.running: dict[Hashable, Job] = {}
        self.best_arch: Hashable | None = None
        self.best_value: float | None = None
        self.finals: dict[Hashable, float] = {}  # completed candidates: their final value
        self.seen: set[Hashable] = set()  # candidates started or drawn
        self._order: Iterator[Hashable] | None = None

    @property
    def space(self) -> Any:
        """The backend's :class:`~nasperf.spaces.SearchSpace` object."""
        return self.backend.search_space

    @property
    def space_name(self) -> str:
        """The name of the search space (a record's ``space``)."""
        return self.backend.space

    def archs(self) -> list[Hashable] | None:
        """Every candidate of a table (None: a space sampled live)."""
        return self.backend.archs()

    def scores(self, arch: Hashable) -> dict[str, float]:
        """What is known of ``arch`` without training it (a table's zero-cost columns)."""
        return self.backend.scores(arch)

    def run(self, arch: Hashable) -> Run:
        """The run of ``arch`` as far as it has been trained."""
        return self.backend.run(arch)

    def remaining(self) -> float:
        """Epochs that a new job may still take (``inf`` without a budget)."""
        if self.budget_epochs is None:
            return math.inf
        return self.budget_epochs - self.epochs_spent - self.committed

    def fits(self, epochs: int) -> bool:
        """Whether a job of ``epochs`` more epochs fits in the budget now."""
        return epochs <= self.remaining()

    def cost(self, job: Job) -> int:
        """The epochs ``job`` takes from where its run stands."""
        return max(job.epochs - self.run(job.arch).epochs, 0)

    def draw(self) -> Hashable | None:
        """The next candidate never started nor drawn: the table's in a seeded random order, or
        a random sample of the space (None once a table is used up)."""
        while True:
            arch = self._next_candidate()
            if arch is None:
                return None
            if arch not in self.seen:
                self.seen.add(arch)
                return arch

    def _next_candidate(self) -> Hashable | None:
        archs = self.backend.archs()
        if archs is None:
            for _ in range(1000):
                arch = self.space.parse(self.space.sample(self.rng))
                if arch not in self.seen:
                    return arch
            return None
        if self._order is None:
            self._order = (archs[i] for i in self.rng.permutation(len(archs)))
        return next(self._order, None)

    def sample_unseen(self, n: int) -> list[Hashable]:
        """Up to ``n`` random candidates never started nor drawn, without drawing them."""
        archs = self.backend.archs()
        if archs is None:
            out: dict[Hashable, None] = {}
            for _ in range(10 * n):
                arch = self.space.parse(self.space.sample(self.rng))
                if arch not in self.seen:
                    out[arch] = None
                if len(out) == n:
                    break
            return list(out)
        unseen = [a for a in archs if a not in self.seen]
        if len(unseen) <= n:
            return unseen
        return [unseen[i] for i in self.rng.choice(len(unseen), size=n, replace=False)]

    def contains(self, arch: Hashable) -> bool:
        """Whether ``arch`` can be evaluated (every cell of a space; a table's own rows)."""
        return self.backend.contains(arch)


class Scheduler(abc.ABC):
    """Decides which job runs next and hears what became of each.

    The loop calls :meth:`bind` once, then :meth:`suggest` whenever a worker is free, and
    :meth:`on_result` when a job reached its epoch or :meth:`on_stop` when the stopping rule
    stopped it or its training failed. ``suggest`` returns None when nothing can start now;
    the search ends when it does so with no job running. A suggested job must fit the budget
    (:meth:`SearchState.fits`) and its candidate must not be running already.
    """

    name: str = ""
    state: SearchState
    #: it trains runs part of the way (rungs), so on a table it needs learning curves
    multi_fidelity: ClassVar[bool] = False
    #: it takes a fixed list of candidates (``candidates=``), e.g. the cells a live search drew
    takes_candidates: ClassVar[bool] = False

    def minimum_budget(self, max_epochs: int, candidates: int) -> tuple[int, str]:
        """The fewest epochs it needs to bring one run to ``max_epochs`` among ``candidates``,
        and what that is (one full run, unless a scheduler says otherwise)."""
        return max_epochs, f"one full run ({max_epochs} epochs)"

    def check_budget(self, budget: int | None, max_epochs: int, candidates: int) -> None:
        """Raise :class:`ConfigurationError`, before any training, if ``budget`` (None: no
        limit) is below :meth:`minimum_budget`."""
        if budget is None:
            return
        need, what = self.minimum_budget(max_epochs, candidates)
        if budget < need:
            name = self.name or type(self).__name__
            raise ConfigurationError(
                f"a budget of {budget} epochs is too small for {name}: {what} takes up to "
                f"{need}; give a budget of at least {need}"
            )

    def bind(self, state: SearchState) -> None:
        """Start a search on ``state`` (checks that need the backend go here)."""
        self.state = state

    @abc.abstractmethod
    def suggest(self) -> Job | None:
        """The next job, or None when nothing can start now."""

    def on_result(self, job: Job, run: Run) -> None:
        """``job`` reached its epoch; ``run`` holds its curves so far."""
        return None  # a scheduler that does not adapt needs nothing

    def on_stop(self, job: Job, run: Run, reason: str) -> None:
        """``job`` ended before its epoch: ``reason`` is ``"stopped"`` or ``"failed"``."""
        return None  # a scheduler that does not adapt needs nothing

    def stats(self) -> dict[str, float]:
        """What the scheduler spent beyond training (a surrogate's fits), for the result."""
        return {}


def _checked_job(job: object, state: SearchState) -> Job:
    if not isinstance(job, Job):
        raise SchedulerError(f"a scheduler suggested {job!r}, not a Job")
    if not 1 <= job.epochs <= state.max_epochs:
        raise SchedulerError(f"job {job} is outside epochs 1..{state.max_epochs}")
    if job.arch in state.running:
        raise SchedulerError(f"job {job}: {job.arch!r} is running already")
    if not state.fits(state.cost(job)):
        raise SchedulerError(
            f"job {job} takes {state.cost(job)} epochs; only {state.remaining():g} are left"
        )
    return job


class _Loop:
    """One run of :func:`run_search`."""

    def __init__(
        self,
        scheduler: Scheduler,
        backend: Backend,
        workers: int,
        rule: StoppingRule | None,
        state: SearchState,
        hooks: tuple[Callable[[SearchResult], None] | None, Callable[..., None] | None],
    ) -> None:
        self.scheduler = scheduler
        self.backend = backend
        self.workers = workers
        self.rule = rule
        self.state = state
        self.on_progress, self.on_event = hooks
        name = scheduler.name or type(scheduler).__name__
        self.result = SearchResult(search_label(name, type(rule) if rule else None))
        self.result.seed = state.seed
        self.checkpoints = rule.checkpoints_for(backend.max_epochs) if rule else []
        self.started: set[Hashable] = set()

    def segment_end(self, arch: Hashable, job: Job) -> int:
        """Where the next segment of ``job`` ends: its next checkpoint, else its epoch."""
        have = self.backend.run(arch).epochs
        return min([c for c in self.checkpoints if have < c < job.epochs] + [job.epochs])

    def fill(self) -> None:
        while len(self.state.running) < self.workers:
            job = self.scheduler.suggest()
            if job is None:
                return
            job = _checked_job(job, self.state)
            cost = self.state.cost(job)
            if job.arch not in self.started:
                self.started.add(job.arch)
                self.state.seen.add(job.arch)
                self.result.configs += 1
            if cost == 0:  # already there (a run left by an earlier search): a result at once
                run = self.backend.run(job.arch)
                if run.epochs == self.backend.max_epochs and job.arch not in self.state.finals:
                    self.complete(run)
                self.scheduler.on_result(job, run)
                continue
            self.state.running[job.arch] = job
            self.state.committed += cost
            self.result.jobs += 1
            self.backend.submit(job.arch, self.segment_end(job.arch, job))

    def release(self, job: Job, unrecorded: int = 0) -> None:
        """Give back what ``job`` had committed and has not spent (``unrecorded``: epochs
        spent by a failed segment that its run does not hold)."""
        del self.state.running[job.arch]
        have = self.backend.run(job.arch).epochs + unrecorded
        self.state.committed -= max(job.epochs - have, 0)

    def step(self) -> None:
        event = self.backend.next_event()
        job = self.state.running[event.arch]
        self.state.epochs_spent += event.epochs
        self.state.committed -= event.epochs
        run = self.backend.run(event.arch)
        if self.on_event is not None:
            self.on_event(event, run, self.backend.now)
        if event.error is not None:
            logger.warning("%s", event.error)
            self.result.failed += 1
            self.release(job, event.epochs)
            self.scheduler.on_stop(job, run, "failed")
        elif run.epochs < job.epochs:  # at a checkpoint
            if self.rule is not None and self.rule.should_stop(run, self.state.best_value):
                self.result.stopped += 1
                self.release(job)
                self.scheduler.on_stop(job, run, "stopped")
            else:
                self.backend.submit(event.arch, self.segment_end(event.arch, job))
        else:
            self.release(job)
            if run.epochs == self.backend.max_epochs:
                self.complete(run)
            self.scheduler.on_result(job, run)

    def complete(self, run: Run) -> None:
        """Record a run trained to the last epoch: incumbent, rule and trace."""
        state, result = self.state, self.result
        result.completed += 1
        state.finals[run.arch] = run.last
        if self.rule is not None:
            self.rule.observe(run)
        if state.best_value is None or run.last > state.best_value:
            state.best_value, state.best_arch = run.last, run.arch
        result.best_value, result.best_arch = state.best_value, state.best_arch
        result.trace.append(
            TracePoint(
                state.epochs_spent,
                self.backend.now,
                state.best_arch,
                state.best_value,
                self.backend.true_final(state.best_arch),
                result.completed,
                self.backend.test_value(state.best_arch),
            )
        )
        if self.on_progress is not None:
            result.epochs_used, result.seconds_used = state.epochs_spent, self.backend.now
            self.on_progress(result)

    def run(self) -> SearchResult:
        self.fill()
        while self.state.running:
            self.step()
            self.fill()
        self.result.epochs_used = self.state.epochs_spent
        self.result.seconds_used = self.backend.now
        self.result.stats = dict(self.scheduler.stats())
        return self.result


def run_search(
    scheduler: Scheduler,
    backend: Backend,
    *,
    workers: int = 1,
    budget_epochs: int | None = None,
    rule: StoppingRule | None = None,
    seed: int = 0,
    on_progress: Callable[[SearchResult], None] | None = None,
    on_event: Callable[[Event, Run, float], None] | None = None,
) -> SearchResult:
    """Run ``scheduler`` on ``backend`` with ``workers`` jobs in flight until it has nothing
    left to suggest, within ``budget_epochs`` (None: no limit).

    ``rule`` (Baker's, the median rule) is asked at its checkpoints whether to stop a run.
    ``seed`` seeds the state's generator (the candidates' order, the scheduler's draws).
    ``on_progress(result)`` is called each time a run completes, ``on_event(event, run, now)``
    each time a segment ends (its event, the run as it stands, the loop's clock).
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigurationError(f"workers must be an integer >= 1, got {workers!r}")
    if budget_epochs is not None and (
        isinstance(budget_epochs, bool) or not isinstance(budget_epochs, (int, np.integer))
    ):
        raise ConfigurationError(f"budget must be a whole number of epochs, got {budget_epochs!r}")
    if budget_epochs is not None and budget_epochs < 1:
        raise ConfigurationError(f"budget must be at least one epoch, got {budget_epochs}")
    budget = None if budget_epochs is None else int(budget_epochs)
    state = SearchState(backend, budget, seed, rule)
    scheduler.bind(state)
    return _Loop(scheduler, backend, workers, rule, state, (on_progress, on_event)).run()
