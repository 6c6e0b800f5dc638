"""Multi-fidelity schedulers on the search loop: random search, successive halving, Hyperband
and ASHA, and their one-call forms (:func:`random_search`, :func:`hyperband`, ...).

A budget of epochs is never exceeded: a scheduler starts a run, a rung or a bracket only when
its full cost fits in what is left, and a budget too small for its first one is an error that
names the minimum (:func:`minimum_budget`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable, Iterable, Iterator

import numpy as np

from ..exceptions import ConfigurationError
from ._backends import Backend
from ._loop import Job, Scheduler, SearchResult, SearchState, run_search
from ._stopping import Run, StoppingRule

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
    "minimum_budget",
    "check_budget",
    "permuted",
]


def _budget_error(strategy: str, budget: int, epochs: int, what: str) -> ConfigurationError:
    return ConfigurationError(
        f"a budget of {budget} epochs is too small for {strategy}: {what} takes up to "
        f"{epochs}; give a budget of at least {epochs}"
    )


def _require(state: SearchState, strategy: str, epochs: int, what: str) -> None:
    if state.budget_epochs is not None and state.budget_epochs < epochs:
        raise _budget_error(strategy, state.budget_epochs, epochs, what)


def _check_eta(eta: object) -> int:
    if isinstance(eta, bool) or not isinstance(eta, int) or eta < 2:
        raise ConfigurationError(f"eta must be an int >= 2, got {eta!r}")
    return eta


def _check_min_epochs(min_epochs: object, max_epochs: int) -> int:
    if (
        isinstance(min_epochs, bool)
        or not isinstance(min_epochs, (int, np.integer))
        or not 1 <= min_epochs <= max_epochs
    ):
        raise ConfigurationError(
            f"min_epochs must be an int in 1..{max_epochs} (the full run), got {min_epochs!r}"
        )
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


def hyperband_brackets(
    max_epochs: int, min_epochs: int = 1, eta: int = 3
) -> list[tuple[int, list[int]]]:
    """Hyperband's brackets as (number of candidates, rung epochs), most aggressive first."""
    eta = _check_eta(eta)
    min_epochs = _check_min_epochs(min_epochs, max_epochs)
    s_max = _halvings(min_epochs, max_epochs, eta)
    out = []
    for s in range(s_max, -1, -1):
        n = int(math.ceil((s_max + 1) / (s + 1) * eta**s))
        out.append((n, _ladder(s, max_epochs, eta)))
    return out


def minimum_budget(
    strategy: str,
    max_epochs: int,
    candidates: int,
    *,
    n: int | None = None,
    min_epochs: int = 1,
    eta: int = 3,
) -> tuple[int, str]:
    """The fewest epochs ``strategy`` (random, sh, hyperband or asha) needs to bring one run to
    ``max_epochs`` among ``candidates`` (``n`` of them in an sh bracket), and what that is.

    Random search needs one full run; successive halving its whole bracket; Hyperband its
    first bracket; ASHA as much as that bracket, the fewest runs whose top 1/η at each rung
    leaves one to promote to the last.
    """
    if strategy not in ("sh", "hyperband", "asha"):
        return max_epochs, f"one full run ({max_epochs} epochs)"
    eta = _check_eta(eta)
    min_epochs = _check_min_epochs(min_epochs, max_epochs)
    if strategy == "sh":
        k = min(n or candidates, candidates)
        rungs = _ladder(_halvings(min_epochs, max_epochs, eta), max_epochs, eta)
        return bracket_cost(k, rungs, eta), f"its bracket of {k} runs ({_rungs_text(rungs)})"
    first, rungs = hyperband_brackets(max_epochs, min_epochs, eta)[0]
    k = min(first, candidates)
    what = "its first bracket" if strategy == "hyperband" else "bringing one run to the end"
    return bracket_cost(k, rungs, eta), f"{what} ({k} runs, {_rungs_text(rungs)})"


def check_budget(
    strategy: str,
    budget: int | None,
    max_epochs: int,
    candidates: int,
    *,
    n: int | None = None,
    min_epochs: int = 1,
    eta: int = 3,
) -> None:
    """Raise ConfigurationError, before any training, if ``budget`` (None: no limit) is below
    :func:`minimum_budget` (the schedulers check it too, when they start)."""
    if budget is None:
        return
    if budget < 1:
        raise ConfigurationError(f"budget must be at least one epoch, got {budget}")
    need, what = minimum_budget(
        strategy, max_epochs, candidates, n=n, min_epochs=min_epochs, eta=eta
    )
    if budget < need:
        raise _budget_error(strategy, budget, need, what)


def permuted(archs: list[Hashable], seed: int) -> Iterator[Hashable]:
    """The candidates in a seeded random order, each once (a search ends when they run out)."""
    rng = np.random.default_rng(seed)
    for i in rng.permutation(len(archs)):
        yield archs[i]


class _Candidates:
    """The candidates a scheduler starts: those given, in order, else the state's draws."""

    def __init__(self, given: Iterable[Hashable] | None) -> None:
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

    def __init__(self, candidates: Iterable[Hashable] | None = None) -> None:
        self._candidates = _Candidates(candidates)

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        self._candidates.state = state
        top = state.max_epochs
        _require(state, self.name, top, f"one full run ({top} epochs)")

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


class SuccessiveHalving(Scheduler):
    """One bracket: ``n`` candidates from ``min_epochs``, the top 1/η promoted at each rung."""

    name = "sh"

    def __init__(
        self,
        n: int,
        min_epochs: int = 1,
        eta: int = 3,
        candidates: Iterable[Hashable] | None = None,
    ) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ConfigurationError(f"n must be an int >= 1, got {n!r}")
        self.n = n
        self.min_epochs = min_epochs
        self.eta = _check_eta(eta)
        self._candidates = _Candidates(candidates)

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        self._candidates.state = state
        top = state.max_epochs
        min_epochs = _check_min_epochs(self.min_epochs, top)
        rungs = _ladder(_halvings(min_epochs, top, self.eta), top, self.eta)
        archs = self._candidates.take(self.n)
        cost = bracket_cost(len(archs), rungs, self.eta)
        _require(state, self.name, cost, f"its bracket of {len(archs)} runs ({_rungs_text(rungs)})")
        self.bracket = _Bracket(archs, rungs, self.eta)

    def suggest(self) -> Job | None:
        return self.bracket.suggest(self.state)

    def on_result(self, job: Job, run: Run) -> None:
        self.bracket.heard(job, run)

    def on_stop(self, job: Job, run: Run, reason: str) -> None:
        self.bracket.heard(job, None)


class Hyperband(Scheduler):
    """Hyperband (Li et al. 2017): its brackets of successive halving in turn, most aggressive
    first, again and again, until the next bracket's full cost (:func:`bracket_cost`) would
    exceed what is left of the budget or the candidates run out."""

    name = "hyperband"

    def __init__(
        self, min_epochs: int = 1, eta: int = 3, candidates: Iterable[Hashable] | None = None
    ) -> None:
        self.min_epochs = min_epochs
        self.eta = _check_eta(eta)
        self._candidates = _Candidates(candidates)

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        self._candidates.state = state
        self.brackets = hyperband_brackets(state.max_epochs, self.min_epochs, self.eta)
        self._next = itertools.cycle(self.brackets)
        self.bracket: _Bracket | None = None
        self.opened = 0

    def _open(self) -> _Bracket | None:
        n, rungs = next(self._next)
        archs = self._candidates.take(n)
        cost = bracket_cost(len(archs), rungs, self.eta)
        if not self.opened:
            what = f"its first bracket ({len(archs)} runs, {_rungs_text(rungs)})"
            _require(self.state, self.name, cost, what)
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


class ASHA(Scheduler):
    """Asynchronous successive halving (Li et al. 2020).

    A free worker promotes a run that is in the top 1/η of its rung (highest rung first),
    else starts a new candidate at the lowest rung; a job that no longer fits the budget is
    passed over for a cheaper one.
    """

    name = "asha"

    def __init__(
        self, min_epochs: int = 1, eta: int = 3, candidates: Iterable[Hashable] | None = None
    ) -> None:
        self.min_epochs = min_epochs
        self.eta = _check_eta(eta)
        self._candidates = _Candidates(candidates)

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        self._candidates.state = state
        top = state.max_epochs
        min_epochs = _check_min_epochs(self.min_epochs, top)
        first, first_rungs = hyperband_brackets(top, min_epochs, self.eta)[0]
        head = self._candidates.take(first)  # as many as the fewest that promote one run
        what = f"bringing one run to the end ({len(head)} runs, {_rungs_text(first_rungs)})"
        _require(state, self.name, bracket_cost(len(head), first_rungs, self.eta), what)
        self._head = head
        self.rungs = _ladder(_halvings(min_epochs, top, self.eta), top, self.eta)
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
    budget_epochs: int | None = None,
    rule: StoppingRule | None = None,
    *,
    workers: int = 1,
    seed: int = 0,
    on_progress: Callable[[SearchResult], None] | None = None,
) -> SearchResult:
    """:class:`RandomSearch` on ``backend`` (one call of :func:`run_search`; ``on_progress``
    is called with the result each time a run completes)."""
    return run_search(
        RandomSearch(candidates), backend, workers=workers, budget_epochs=budget_epochs,
        rule=rule, seed=seed, on_progress=on_progress,
    )  # fmt: skip


def successive_halving(
    backend: Backend,
    candidates: Iterable[Hashable] | None,
    n: int,
    min_epochs: int = 1,
    eta: int = 3,
    budget_epochs: int | None = None,
    rule: StoppingRule | None = None,
    *,
    workers: int = 1,
    seed: int = 0,
    on_progress: Callable[[SearchResult], None] | None = None,
) -> SearchResult:
    """:class:`SuccessiveHalving` on ``backend`` (one call of :func:`run_search`)."""
    scheduler = SuccessiveHalving(n, min_epochs, eta, candidates)
    return run_search(
        scheduler, backend, workers=workers, budget_epochs=budget_epochs, rule=rule, seed=seed,
        on_progress=on_progress,
    )  # fmt: skip


def hyperband(
    backend: Backend,
    candidates: Iterable[Hashable] | None,
    budget_epochs: int,
    min_epochs: int = 1,
    eta: int = 3,
    rule: StoppingRule | None = None,
    *,
    workers: int = 1,
    seed: int = 0,
    on_progress: Callable[[SearchResult], None] | None = None,
) -> SearchResult:
    """:class:`Hyperband` on ``backend`` (one call of :func:`run_search`)."""
    scheduler = Hyperband(min_epochs, eta, candidates)
    return run_search(
        scheduler, backend, workers=workers, budget_epochs=budget_epochs, rule=rule, seed=seed,
        on_progress=on_progress,
    )  # fmt: skip


def asha(
    backend: Backend,
    candidates: Iterable[Hashable] | None,
    budget_epochs: int,
    min_epochs: int = 1,
    eta: int = 3,
    workers: int = 4,
    rule: StoppingRule | None = None,
    *,
    seed: int = 0,
    on_progress: Callable[[SearchResult], None] | None = None,
) -> SearchResult:
    """:class:`ASHA` with ``workers`` jobs in flight (one call of :func:`run_search`)."""
    scheduler = ASHA(min_epochs, eta, candidates)
    return run_search(
        scheduler, backend, workers=workers, budget_epochs=budget_epochs, rule=rule, seed=seed,
        on_progress=on_progress,
    )  # fmt: skip
