"""Multi-fidelity schedulers on the search loop: random search, successive halving, Hyperband
and ASHA, and their one-call forms (:func:`random_search`, :func:`hyperband`, ...).

A budget of epochs is never exceeded: a scheduler starts a run, a rung or a bracket only when
its full cost fits in what is left, and a budget too small for its first one is an error that
names the minimum (:func:`minimum_budget`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable, Iterable, Iterator, Sized
from typing import Any

import numpy as np

from ...exceptions import ConfigurationError
from ...validation import Interval, Validated, validate_arguments, validate_params
from .._loop import Scheduler, SearchState, run_search
from .._types import Job, Run, SearchResult
from ..backends import Backend
from ..rules import StoppingRule

__all__ = [
    "RandomSearch",
    "SuccessiveHalving",
    "Hyperband",
    "ASHA",
    "random_search",
    "successive_halving",
    "hyperband",
    "asha",
    "hyperband_brackets",
    "bracket_cost",
    "permuted",
]


#: the settings of the halving schedulers
_ETA = {"eta": [Interval(int, 2, None)]}
_HALVING = {**_ETA, "min_epochs": [Interval(int, 1, None)]}


def _check_min_epochs(min_epochs: int, max_epochs: int, owner: str) -> int:
    """``min_epochs`` within the full run of ``max_epochs`` (known only once bound)."""
    within = {"min_epochs": [Interval(int, 1, max_epochs)]}
    validate_params({"min_epochs": min_epochs}, within, owner)
    return int(min_epochs)


def _halvings(min_epochs: int, max_epochs: int, eta: int) -> int:
    """Li et al.'s s_max: how many factors of η fit between ``min_epochs`` and the full run."""
    return int(math.floor(math.log(max_epochs / min_epochs, eta) + 1e-9))


def _ladder(s: int, max_epochs: int, eta: int) -> list[int]:
    """Successive halving's rungs as Li et al. build them: R·η^-s, ..., R/η, R, so that every
    step is a factor η (rounded)."""
    out: list[int] = []
    r = max_epochs / eta**s
    while r < max_epochs - 1e-9:
        e = max(1, round(r))
        if not out or e > out[-1]:
            out.append(e)
        r *= eta
    if not out or out[-1] != max_epochs:
        out.append(max_epochs)
    return out


def bracket_cost(n: int, rungs: list[int], eta: int) -> int:
    """The most epochs a successive-halving bracket spends: ``n`` fresh runs to the first
    rung, the top 1/η of them on to the next, and so on (fewer when runs stop or fail)."""
    cost, before = 0, 0
    for i, epochs in enumerate(rungs):
        count = n if i == 0 else max(1, math.floor(n / eta**i))
        cost += min(count, n) * (epochs - before)
        before = epochs
    return cost


def _rungs_text(rungs: list[int]) -> str:
    return "rungs at " + ", ".join(map(str, rungs)) + " epochs"


@validate_arguments(_HALVING)
def hyperband_brackets(
    max_epochs: int, min_epochs: int = 1, eta: int = 3
) -> list[tuple[int, list[int]]]:
    """Hyperband's brackets as (number of candidates, rung epochs), most aggressive first."""
    min_epochs = _check_min_epochs(min_epochs, max_epochs, "hyperband_brackets")
    s_max = _halvings(min_epochs, max_epochs, eta)
    out = []
    for s in range(s_max, -1, -1):
        n = int(math.ceil((s_max + 1) / (s + 1) * eta**s))
        out.append((n, _ladder(s, max_epochs, eta)))
    return out


def permuted(archs: list[Hashable], seed: int) -> Iterator[Hashable]:
    """The candidates in a seeded random order, each once (a search ends when they run out)."""
    rng = np.random.default_rng(seed)
    for i in rng.permutation(len(archs)):
        yield archs[i]


class _Candidates:
    """The candidates a scheduler starts: those given, in order, else the state's draws."""

    def __init__(self, given: Iterable[Hashable] | None) -> None:
        self.count = len(given) if isinstance(given, Sized) else None  # None: not known
        self.given = None if given is None else iter(given)
        self.state: SearchState | None = None

    def next(self) -> Hashable | None:
        if self.given is not None:
            return next(self.given, None)
        assert self.state is not None
        return self.state.draw()

    def take(self, n: int) -> list[Hashable]:
        out = []
        while len(out) < n:
            arch = self.next()
            if arch is None:
                break
            out.append(arch)
        return out


class RandomSearch(Scheduler):
    """Train candidates to the last epoch, one per free worker, while a full run fits."""

    name = "random"
    takes_candidates = True

    def __init__(self, candidates: Iterable[Hashable] | None = None) -> None:
        self._candidates = _Candidates(candidates)

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        self._candidates.state = state
        self.check_budget(state.budget_epochs, state.max_epochs, 1)

    def suggest(self) -> Job | None:
        if not self.state.fits(self.state.max_epochs):
            return None
        arch = self._candidates.next()
        return None if arch is None else Job(arch, self.state.max_epochs)


class _Bracket:
    """One successive-halving bracket: every run of a rung ends before the next rung starts."""

    def __init__(self, archs: list[Hashable], rungs: list[int], eta: int) -> None:
        self.n = len(archs)
        self.rungs = rungs
        self.eta = eta
        self.rung = 0
        self.todo = list(archs)
        self.running = 0
        self.results: dict[Hashable, float] = {}
        self.done = not archs

    def suggest(self, state: SearchState) -> Job | None:
        if self.done:
            return None
        if self.todo:
            self.running += 1
            return Job(self.todo.pop(0), self.rungs[self.rung])
        if self.running:
            return None  # wait for the rung
        self._promote(state)
        return self.suggest(state)

    def _promote(self, state: SearchState) -> None:
        exhausted = state.budget_epochs is not None and state.epochs_spent >= state.budget_epochs
        if self.rung + 1 >= len(self.rungs) or not self.results or exhausted:
            self.done = True
            return
        keep = max(1, math.floor(self.n / self.eta ** (self.rung + 1)))
        ranked = sorted(self.results, key=self.results.get, reverse=True)  # type: ignore[arg-type]
        self.todo = ranked[:keep]
        self.results = {}
        self.rung += 1

    def heard(self, job: Job, run: Run | None) -> None:
        self.running -= 1
        if run is not None:
            self.results[job.arch] = run.last


class _Halving(Validated, Scheduler):
    """What the halving schedulers share: the rate η, the lowest rung, the candidates."""

    multi_fidelity = True
    takes_candidates = True
    _parameter_constraints = _HALVING

    def __init__(
        self, min_epochs: int = 1, eta: int = 3, candidates: Iterable[Hashable] | None = None
    ) -> None:
        self._validate({"min_epochs": min_epochs, "eta": eta})
        self.min_epochs = min_epochs
        self.eta = eta
        self._candidates = _Candidates(candidates)

    def _rungs(self, max_epochs: int) -> list[int]:
        min_epochs = _check_min_epochs(self.min_epochs, max_epochs, type(self).__name__)
        return _ladder(_halvings(min_epochs, max_epochs, self.eta), max_epochs, self.eta)

    #: what its minimum budget buys: Hyperband's first bracket (SH overrides it)
    _first: str = "its first bracket"

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        self._candidates.state = state

    def minimum_budget(self, max_epochs: int, candidates: int) -> tuple[int, str]:
        """The cost of Hyperband's first bracket on ``candidates``."""
        first, rungs = hyperband_brackets(max_epochs, self.min_epochs, self.eta)[0]
        k = min(first, candidates)
        return bracket_cost(k, rungs, self.eta), f"{self._first} ({k} runs, {_rungs_text(rungs)})"


class SuccessiveHalving(_Halving):
    """One bracket: ``n`` candidates (None: all of a table's) from ``min_epochs``, the top 1/η
    promoted at each rung."""

    name = "sh"
    _parameter_constraints = {"n": [Interval(int, 1, None), None]}

    def __init__(
        self,
        n: int | None = None,
        min_epochs: int = 1,
        eta: int = 3,
        candidates: Iterable[Hashable] | None = None,
    ) -> None:
        self._validate({"n": n})
        super().__init__(min_epochs, eta, candidates)
        self.n = n

    def minimum_budget(self, max_epochs: int, candidates: int) -> tuple[int, str]:
        k = min(self.n or candidates, candidates)
        rungs = self._rungs(max_epochs)
        return bracket_cost(k, rungs, self.eta), f"its bracket of {k} runs ({_rungs_text(rungs)})"

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        n = self.n
        if n is None:
            n = self._candidates.count or len(state.archs() or ())
            if not n:
                raise ConfigurationError("sh needs n (candidates in its bracket) on a space")
        archs = self._candidates.take(n)
        self.check_budget(state.budget_epochs, state.max_epochs, len(archs))
        self.bracket = _Bracket(archs, self._rungs(state.max_epochs), self.eta)

    def suggest(self) -> Job | None:
        return self.bracket.suggest(self.state)

    def on_result(self, job: Job, run: Run) -> None:
        self.bracket.heard(job, run)

    def on_stop(self, job: Job, run: Run, reason: str) -> None:
        self.bracket.heard(job, None)


class Hyperband(_Halving):
    """Hyperband (Li et al. 2017): its brackets of successive halving in turn, most aggressive
    first, again and again, until the next bracket's full cost (:func:`bracket_cost`) would
    exceed what is left of the budget or the candidates run out."""

    name = "hyperband"

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        self.brackets = hyperband_brackets(state.max_epochs, self.min_epochs, self.eta)
        self._next = itertools.cycle(self.brackets)
        self.bracket: _Bracket | None = None
        self.opened = 0

    def _open(self) -> _Bracket | None:
        n, rungs = next(self._next)
        archs = self._candidates.take(n)
        cost = bracket_cost(len(archs), rungs, self.eta)
        if not self.opened:
            self.check_budget(self.state.budget_epochs, self.state.max_epochs, len(archs))
        if not archs or not self.state.fits(cost):
            return None
        self.opened += 1
        return _Bracket(archs, rungs, self.eta)

    def suggest(self) -> Job | None:
        while True:
            if self.bracket is not None:
                job = self.bracket.suggest(self.state)
                if job is not None or not self.bracket.done:
                    return job
            self.bracket = self._open()
            if self.bracket is None:
                return None

    def on_result(self, job: Job, run: Run) -> None:
        assert self.bracket is not None
        self.bracket.heard(job, run)

    def on_stop(self, job: Job, run: Run, reason: str) -> None:
        assert self.bracket is not None
        self.bracket.heard(job, None)


class ASHA(_Halving):
    """Asynchronous successive halving (Li et al. 2020).

    A free worker promotes a run that is in the top 1/η of its rung (highest rung first),
    else starts a new candidate at the lowest rung; a job that no longer fits the budget is
    passed over for a cheaper one.
    """

    name = "asha"
    _first = "bringing one run to the end"

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        top = state.max_epochs
        first, _ = hyperband_brackets(top, self.min_epochs, self.eta)[0]
        head = self._candidates.take(first)  # as many as the fewest that promote one run
        self.check_budget(state.budget_epochs, top, len(head))
        self._head = head
        self.rungs = self._rungs(top)
        self.results: list[dict[Hashable, float]] = [{} for _ in self.rungs]
        self.promoted: list[set[Hashable]] = [set() for _ in self.rungs]

    def suggest(self) -> Job | None:
        """A promotion that fits (highest rung first), else a new candidate if its first rung
        fits; a job is taken (marked promoted, drawn) only when it is returned."""
        state = self.state
        if state.budget_epochs is not None and state.epochs_spent >= state.budget_epochs:
            return None
        for k in range(len(self.results) - 2, -1, -1):
            done = self.results[k]
            top = sorted(done, key=done.get, reverse=True)[: len(done) // self.eta]  # type: ignore[arg-type]
            for arch in top:
                job = Job(arch, self.rungs[k + 1])
                if arch not in self.promoted[k] and state.fits(state.cost(job)):
                    self.promoted[k].add(arch)
                    return job
        if not state.fits(self.rungs[0]):
            return None
        arch = self._head.pop(0) if self._head else self._candidates.next()
        return None if arch is None else Job(arch, self.rungs[0])

    def on_result(self, job: Job, run: Run) -> None:
        self.results[self.rungs.index(job.epochs)][job.arch] = run.last


def random_search(
    backend: Backend,
    candidates: Iterable[Hashable] | None = None,
    *,
    budget_epochs: int | None = None,
    rule: StoppingRule | None = None,
    workers: int = 1,
    seed: int = 0,
    on_progress: Callable[[SearchResult], None] | None = None,
) -> SearchResult:
    """:class:`RandomSearch` on ``backend`` (one call of :func:`run_search`; ``on_progress``
    is called with the result each time a run completes)."""
    return run_search(
        RandomSearch(candidates),
        backend,
        workers=workers,
        budget_epochs=budget_epochs,
        rule=rule,
        seed=seed,
        on_progress=on_progress,
    )


def successive_halving(
    backend: Backend,
    candidates: Iterable[Hashable] | None = None,
    *,
    n: int | None = None,
    min_epochs: int = 1,
    eta: int = 3,
    **options: Any,
) -> SearchResult:
    """:class:`SuccessiveHalving` on ``backend``; ``options`` are :func:`run_search`'s."""
    return run_search(SuccessiveHalving(n, min_epochs, eta, candidates), backend, **options)


def hyperband(
    backend: Backend,
    candidates: Iterable[Hashable] | None = None,
    *,
    min_epochs: int = 1,
    eta: int = 3,
    **options: Any,
) -> SearchResult:
    """:class:`Hyperband` on ``backend``; ``options`` are :func:`run_search`'s."""
    return run_search(Hyperband(min_epochs, eta, candidates), backend, **options)


def asha(
    backend: Backend,
    candidates: Iterable[Hashable] | None = None,
    *,
    min_epochs: int = 1,
    eta: int = 3,
    workers: int = 4,
    **options: Any,
) -> SearchResult:
    """:class:`ASHA` with ``workers`` jobs in flight; ``options`` are :func:`run_search`'s."""
    return run_search(ASHA(min_epochs, eta, candidates), backend, workers=workers, **options)
