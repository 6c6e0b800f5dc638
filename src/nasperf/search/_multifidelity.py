"""Searches over learning curves: random search, successive halving, Hyperband and ASHA, each
with or without an early-stopping rule, on any :class:`CurveEvaluator`.

The incumbent is the best run trained to the last epoch (by its observed final value); every
time it may change, the trace records the epochs and seconds spent so far, so anytime
performance can be compared at equal cost.

A budget of epochs is never exceeded: a strategy starts a run, a rung or a bracket only when
its full cost fits in what is left, and a budget too small for its first one is an error that
names the minimum (:func:`minimum_budget`).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from ..exceptions import ConfigurationError
from ._evaluators import CurveEvaluator, TrainingFailed
from ._stopping import Run, StoppingRule

__all__ = [
    "SearchResult",
    "TracePoint",
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

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TracePoint:
    """The incumbent after ``epochs`` epochs and ``seconds`` of (simulated) training."""

    epochs: int
    seconds: float
    arch: Hashable
    value: float  # its observed final validation accuracy
    true_value: float | None  # its final accuracy in the table, where known


@dataclass
class SearchResult:
    """What a search returns: the incumbent, its trace, and what it cost."""

    strategy: str
    best_arch: Hashable | None = None
    best_value: float | None = None
    trace: list[TracePoint] = field(default_factory=list)
    epochs_used: int = 0
    seconds_used: float = 0.0
    configs: int = 0  # candidates started
    completed: int = 0  # candidates trained to the last epoch
    stopped: int = 0  # candidates stopped by the rule
    failed: int = 0  # candidates whose training failed

    def value_at(self, epochs: float) -> float | None:
        """The (true where known, else observed) final value of the incumbent at ``epochs``."""
        best = None
        for p in self.trace:
            if p.epochs > epochs:
                break
            best = p.true_value if p.true_value is not None else p.value
        return best


def _budget_error(strategy: str, budget: int, epochs: int, what: str) -> ConfigurationError:
    return ConfigurationError(
        f"a budget of {budget} epochs is too small for {strategy}: {what} takes up to "
        f"{epochs}; give a budget of at least {epochs}"
    )


class _Search:
    """Bookkeeping shared by the strategies: incumbent, rule, budget, trace."""

    def __init__(
        self,
        name: str,
        evaluator: CurveEvaluator,
        rule: StoppingRule | None,
        budget_epochs: int | None,
    ) -> None:
        if budget_epochs is not None and budget_epochs < 1:
            raise ConfigurationError(f"budget must be at least one epoch, got {budget_epochs}")
        self.ev = evaluator
        self.rule = rule
        self.budget = budget_epochs
        self.result = SearchResult(name)
        self.checkpoints = rule.checkpoints_for(evaluator.max_epochs) if rule else []
        self.started: set[Hashable] = set()

    @property
    def exhausted(self) -> bool:
        return self.budget is not None and self.ev.epochs_used >= self.budget

    def fits(self, epochs: int) -> bool:
        """Whether ``epochs`` more epochs stay within the budget."""
        return self.budget is None or self.ev.epochs_used + epochs <= self.budget

    def require(self, epochs: int, what: str) -> None:
        """Raise ConfigurationError if the budget cannot pay for ``what`` (``epochs``)."""
        if self.budget is not None and self.budget < epochs:
            raise _budget_error(self.result.strategy, self.budget, epochs, what)

    def start(self, arch: Hashable) -> None:
        if arch not in self.started:
            self.started.add(arch)
            self.result.configs += 1

    def train(self, archs: list[Hashable], target: int) -> list[Run]:
        """Bring ``archs`` to epoch ``target``, asking the rule at each checkpoint on the way.

        Returns the runs that got there; stopped and failed ones are counted and dropped.
        """
        for a in archs:
            self.start(a)
        active = list(archs)
        low = min((self.ev.run(a).epochs for a in active), default=target)
        stops = [c for c in self.checkpoints if low < c < target] + [target]
        for stop in stops:
            jobs = [(a, stop) for a in active if self.ev.run(a).epochs < stop]
            if jobs:
                outcome = dict(zip([a for a, _ in jobs], self.ev.advance(jobs), strict=True))
                for a, res in outcome.items():
                    if isinstance(res, TrainingFailed):
                        logger.warning("%s", res)
                        self.result.failed += 1
                        active.remove(a)
            if stop < target and self.rule is not None:
                keep = []
                for a in active:
                    run = self.ev.run(a)
                    if run.epochs == stop and self.rule.should_stop(run, self.result.best_value):
                        self.result.stopped += 1
                    else:
                        keep.append(a)
                active = keep
        return [self.ev.run(a) for a in active]

    def complete(self, run: Run, seconds: float | None = None, epochs: int | None = None) -> None:
        """Record a run trained to the last epoch: update incumbent, rule and trace (at
        ``epochs`` and ``seconds`` where a simulated clock knows them better)."""
        self.result.completed += 1
        if self.rule is not None:
            self.rule.observe(run)
        if self.result.best_value is None or run.last > self.result.best_value:
            self.result.best_value, self.result.best_arch = run.last, run.arch
        self.result.trace.append(
            TracePoint(
                self.ev.epochs_used if epochs is None else epochs,
                self.ev.seconds_used if seconds is None else seconds,
                self.result.best_arch,
                self.result.best_value,
                self.ev.true_final(self.result.best_arch),
            )
        )

    def finish(self) -> SearchResult:
        self.result.epochs_used = self.ev.epochs_used
        self.result.seconds_used = self.ev.seconds_used
        return self.result


def _check_eta(eta: object) -> int:
    if isinstance(eta, bool) or not isinstance(eta, int) or eta < 2:
        raise ConfigurationError(f"eta must be an int >= 2, got {eta!r}")
    return eta


def random_search(
    evaluator: CurveEvaluator,
    candidates: Iterable[Hashable],
    budget_epochs: int | None = None,
    rule: StoppingRule | None = None,
) -> SearchResult:
    """Train candidates one after another to the last epoch (or until ``rule`` stops them)."""
    search = _Search(
        "random" + ("+" + type(rule).__name__ if rule else ""), evaluator, rule, budget_epochs
    )
    top = evaluator.max_epochs
    search.require(top, f"one full run ({top} epochs)")
    for arch in candidates:
        if not search.fits(top):
            break
        for run in search.train([arch], top):
            search.complete(run)
    return search.finish()


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
    return _rungs(max_epochs / eta**s, max_epochs, eta)


def _rungs(min_epochs: float, max_epochs: int, eta: int) -> list[int]:
    """Rung epochs min, min·η, ... up to max (rounded, distinct, ending at max)."""
    out: list[int] = []
    r = float(min_epochs)
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
    if strategy == "random":
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
    :func:`minimum_budget` (the strategies check it too, when they start)."""
    if budget is None:
        return
    if budget < 1:
        raise ConfigurationError(f"budget must be at least one epoch, got {budget}")
    need, what = minimum_budget(
        strategy, max_epochs, candidates, n=n, min_epochs=min_epochs, eta=eta
    )
    if budget < need:
        raise _budget_error(strategy, budget, need, what)


def _halve(search: _Search, archs: list[Hashable], rungs: list[int], eta: int) -> None:
    n = len(archs)
    for i, epochs in enumerate(rungs):
        if search.exhausted or not archs:
            return
        runs = search.train(archs, epochs)
        if epochs == search.ev.max_epochs:
            for run in runs:
                search.complete(run)
            return
        keep = max(1, math.floor(n / eta ** (i + 1)))
        runs.sort(key=lambda r: r.last, reverse=True)
        archs = [r.arch for r in runs[:keep]]


def successive_halving(
    evaluator: CurveEvaluator,
    candidates: Iterable[Hashable],
    n: int,
    min_epochs: int = 1,
    eta: int = 3,
    budget_epochs: int | None = None,
    rule: StoppingRule | None = None,
) -> SearchResult:
    """One bracket: ``n`` candidates from ``min_epochs``, the top 1/η promoted at each rung."""
    eta = _check_eta(eta)
    min_epochs = _check_min_epochs(min_epochs, evaluator.max_epochs)
    if n < 1:
        raise ConfigurationError(f"n must be >= 1, got {n}")
    search = _Search(
        "sh" + ("+" + type(rule).__name__ if rule else ""), evaluator, rule, budget_epochs
    )
    it = iter(candidates)
    archs = [a for _, a in zip(range(n), it, strict=False)]
    rungs = _ladder(_halvings(min_epochs, evaluator.max_epochs, eta), evaluator.max_epochs, eta)
    cost = bracket_cost(len(archs), rungs, eta)
    search.require(cost, f"its bracket of {len(archs)} runs ({_rungs_text(rungs)})")
    _halve(search, archs, rungs, eta)
    return search.finish()


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


def hyperband(
    evaluator: CurveEvaluator,
    candidates: Iterable[Hashable],
    budget_epochs: int,
    min_epochs: int = 1,
    eta: int = 3,
    rule: StoppingRule | None = None,
) -> SearchResult:
    """Hyperband (Li et al. 2017): loops over its brackets of successive halving until the
    epoch budget is spent; ``rule`` also stops runs inside each rung (Baker et al.'s use).

    It ends before the first bracket whose full cost (:func:`bracket_cost`) would exceed what
    is left of the budget.
    """
    search = _Search(
        "hyperband" + ("+" + type(rule).__name__ if rule else ""), evaluator, rule, budget_epochs
    )
    brackets = hyperband_brackets(evaluator.max_epochs, min_epochs, eta)
    it: Iterator[Hashable] = iter(candidates)
    while True:
        for n, rungs in brackets:
            archs = [a for _, a in zip(range(n), it, strict=False)]
            cost = bracket_cost(len(archs), rungs, eta)
            if not search.result.configs:
                search.require(cost, f"its first bracket ({len(archs)} runs, {_rungs_text(rungs)})")
            if not archs or not search.fits(cost):
                return search.finish()
            _halve(search, archs, rungs, eta)


def _asha_next_job(
    results: list[dict[Hashable, float]],
    promoted: list[set[Hashable]],
    eta: int,
    candidates: Iterator[Hashable],
) -> tuple[Hashable, int] | None:
    """ASHA's next job ``(arch, rung)``: a run in the top 1/η of its rung not promoted yet
    (highest rung first), else the next candidate at rung 0; None when there is neither."""
    for k in range(len(results) - 2, -1, -1):
        done = results[k]
        top = sorted(done, key=done.get, reverse=True)[: len(done) // eta]
        for arch in top:
            if arch not in promoted[k]:
                promoted[k].add(arch)
                return arch, k + 1
    arch = next(candidates, None)
    return None if arch is None else (arch, 0)


def asha(
    evaluator: CurveEvaluator,
    candidates: Iterable[Hashable],
    budget_epochs: int,
    min_epochs: int = 1,
    eta: int = 3,
    workers: int = 4,
    rule: StoppingRule | None = None,
) -> SearchResult:
    """Asynchronous successive halving (Li et al. 2020) with ``workers`` simulated workers.

    A free worker promotes a run that is in the top 1/η of its rung (highest rung first),
    else starts a new candidate at the lowest rung. Jobs finish in order of their training
    time (the evaluator's seconds), which is the trace's time axis.
    """
    eta = _check_eta(eta)
    min_epochs = _check_min_epochs(min_epochs, evaluator.max_epochs)
    if workers < 1:
        raise ConfigurationError(f"workers must be >= 1, got {workers}")
    search = _Search(
        "asha" + ("+" + type(rule).__name__ if rule else ""), evaluator, rule, budget_epochs
    )
    first, first_rungs = hyperband_brackets(evaluator.max_epochs, min_epochs, eta)[0]
    it: Iterator[Hashable] = iter(candidates)
    head = list(itertools.islice(it, first))  # as many as the fewest that promote one run
    search.require(
        bracket_cost(len(head), first_rungs, eta),
        f"bringing one run to the end ({len(head)} runs, {_rungs_text(first_rungs)})",
    )
    it = itertools.chain(head, it)
    rungs = _ladder(_halvings(min_epochs, evaluator.max_epochs, eta), evaluator.max_epochs, eta)
    results: list[dict[Hashable, float]] = [{} for _ in rungs]
    promoted: list[set[Hashable]] = [set() for _ in rungs]
    # (finish, seq, worker, arch, rung, epochs trained): jobs in flight in simulated time
    events: list[tuple[float, int, int, Hashable, int, int]] = []
    clock = [0.0] * workers
    seq = 0
    done_epochs = 0  # epochs of the jobs finished so far in simulated time (the trace's axis)

    def dispatch(worker: int) -> None:
        nonlocal seq, done_epochs
        while not search.exhausted:
            job = _asha_next_job(results, promoted, eta, it)
            if job is None:
                return
            arch, k = job
            if not search.fits(rungs[k] - evaluator.run(arch).epochs):
                continue  # never fits (the budget only shrinks): on to a cheaper job
            before, before_epochs = evaluator.seconds_used, evaluator.epochs_used
            runs = search.train([arch], rungs[k])
            finish = clock[worker] + (evaluator.seconds_used - before)
            trained = evaluator.epochs_used - before_epochs
            if runs:
                seq += 1
                heapq.heappush(events, (finish, seq, worker, arch, k, trained))
                return
            clock[worker] = finish  # stopped or failed: the worker is free again at once
            done_epochs += trained

    for w in range(workers):
        dispatch(w)
    while events:
        finish, _, worker, arch, k, trained = heapq.heappop(events)
        clock[worker] = finish
        done_epochs += trained
        run = evaluator.run(arch)
        results[k][arch] = run.last
        if rungs[k] == evaluator.max_epochs:
            search.complete(run, seconds=finish, epochs=done_epochs)
        dispatch(worker)
    result = search.finish()
    result.seconds_used = max(clock) if clock else 0.0
    return result


def permuted(archs: list[Hashable], seed: int) -> Iterator[Hashable]:
    """The candidates in a seeded random order, each once (a search ends when they run out)."""
    rng = np.random.default_rng(seed)
    for i in rng.permutation(len(archs)):
        yield archs[i]
