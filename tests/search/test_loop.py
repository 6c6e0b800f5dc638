"""The search loop's contract on a tiny table: every scheduler finds the best candidate, a budget
is never exceeded, a seed fixes the trace, ``workers`` jobs run at once on one clock, a
scheduler that breaks the contract is caught, and failed or stopped runs are counted and heard.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np
import pytest

from nasperf.benchmarks import TabularBenchmark
from nasperf.exceptions import ConfigurationError
from nasperf.records import Record
from nasperf.search import (
    ASHA,
    BakerRule,
    Event,
    Hyperband,
    Job,
    MedianRule,
    RandomSearch,
    Run,
    Scheduler,
    SchedulerError,
    SearchResult,
    SearchState,
    SuccessiveHalving,
    TabularBackend,
    run_search,
)

EPOCHS = 9  # eta 3 from 1 epoch: rungs at 1, 3 and 9
#: each candidate's final level; the curves rise towards it in the same order at every epoch
LEVELS = {f"c{i}": 40.0 + 5 * ((4 * i) % 9) for i in range(9)}
BEST = max(LEVELS, key=LEVELS.get)  # c2


def curve(level: float, epochs: int = EPOCHS) -> np.ndarray:
    return level * (1 - np.exp(-np.arange(1, epochs + 1) / 3))


def table(extra: dict[str, np.ndarray] | None = None) -> TabularBenchmark:
    """Nine candidates with 9-epoch curves, no recorded time (one unit an epoch) and a test
    value one point below the final; ``extra`` adds candidates with the given curves."""
    curves = {arch: curve(level) for arch, level in LEVELS.items()} | (extra or {})
    recs = [
        Record(arch=arch, space="custom", target=float(values[-1]),
               curves={"val_acc": values}, scores={"test_acc": float(values[-1]) - 1})
        for arch, values in curves.items()
    ]  # fmt: skip
    return TabularBenchmark("tiny", "custom", "final", recs, max_fidelity=EPOCHS)


def final(arch: str) -> float:
    return float(curve(LEVELS[arch])[-1])


SCHEDULERS: dict[str, Callable[[], Scheduler]] = {
    "random": RandomSearch,
    "sh": lambda: SuccessiveHalving(9, min_epochs=1, eta=3),
    "hyperband": lambda: Hyperband(min_epochs=1, eta=3),
    "asha": lambda: ASHA(min_epochs=1, eta=3),
}


class Watch(Scheduler):
    """Runs ``inner`` and notes what it suggests, what it hears and the most jobs in flight."""

    def __init__(self, inner: Scheduler) -> None:
        self.inner = inner
        self.name = inner.name
        self.jobs: list[Job] = []
        self.heard: list[tuple[Hashable, str]] = []
        self.most = 0

    def bind(self, state: SearchState) -> None:
        super().bind(state)
        self.inner.bind(state)

    def suggest(self) -> Job | None:
        job = self.inner.suggest()
        if job is not None:
            self.jobs.append(job)
        return job

    def _ended(self, job: Job, what: str) -> None:
        self.heard.append((job.arch, what))
        self.most = max(self.most, len(self.state.running) + 1)  # this job and the others

    def on_result(self, job: Job, run: Run) -> None:
        self._ended(job, "result")
        self.inner.on_result(job, run)

    def on_stop(self, job: Job, run: Run, reason: str) -> None:
        self._ended(job, reason)
        self.inner.on_stop(job, run, reason)


def trained(backend: TabularBackend) -> int:
    """The epochs the runs on ``backend`` hold."""
    return sum(backend.run(a).epochs for a in backend.archs())


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_every_scheduler_finds_the_best_candidate(name: str, workers: int) -> None:
    backend = TabularBackend(table())
    res = run_search(SCHEDULERS[name](), backend, workers=workers, budget_epochs=9 * EPOCHS)
    assert isinstance(res, SearchResult) and res.strategy == name
    assert res.best_arch == BEST and res.best_value == pytest.approx(final(BEST))
    assert res.best_test == pytest.approx(final(BEST) - 1)
    assert res.trace[-1].true_value == res.best_value and res.completed == len(res.trace)
    assert res.epochs_used == trained(backend) <= 9 * EPOCHS and res.seconds_used == backend.now
    assert res.configs == 9 and res.failed == res.stopped == 0


@pytest.mark.parametrize("budget", [21, 30, 47, 60, 81])
@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_a_budget_is_never_exceeded(name: str, workers: int, budget: int) -> None:
    backend = TabularBackend(table())
    res = run_search(SCHEDULERS[name](), backend, workers=workers, budget_epochs=budget)
    assert res.epochs_used <= budget and res.epochs_used == trained(backend)
    assert res.completed >= 1 and res.trace[-1].epochs <= res.epochs_used


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_a_seed_fixes_the_trace_and_another_changes_the_order(name: str) -> None:
    def search(seed: int) -> tuple[Watch, SearchResult]:
        watch = Watch(SCHEDULERS[name]())
        res = run_search(watch, TabularBackend(table()), workers=2, budget_epochs=60, seed=seed)
        return watch, res

    (first, res), (again, res2), (other, res3) = search(0), search(0), search(1)
    assert res.trace == res2.trace and first.jobs == again.jobs and res.seed == 0
    assert [j.arch for j in first.jobs] != [j.arch for j in other.jobs] and res3.seed == 1


def test_workers_run_at_once_and_the_clock_is_the_makespan() -> None:
    watch = Watch(RandomSearch())
    backend = TabularBackend(table())
    res = run_search(watch, backend, workers=3)
    assert watch.most == 3  # three jobs in flight at once
    assert res.completed == 9 and res.epochs_used == 9 * EPOCHS  # serial: 81 units
    assert res.seconds_used == backend.now == 3 * EPOCHS  # three rounds of three
    assert [p.seconds for p in res.trace] == sorted(p.seconds for p in res.trace)
    asha = Watch(ASHA(min_epochs=1, eta=3))
    res = run_search(asha, TabularBackend(table()), workers=3, budget_epochs=60)
    assert asha.most == 3 and res.seconds_used < res.epochs_used


def test_workers_must_be_a_positive_int() -> None:
    for workers in (0, -1, 1.5, True):
        with pytest.raises(ConfigurationError, match="workers must be an integer >= 1"):
            run_search(RandomSearch(), TabularBackend(table()), workers=workers)


class Scripted(Scheduler):
    """Suggests ``jobs`` in turn, then nothing."""

    def __init__(self, jobs: list[object]) -> None:
        self.jobs = list(jobs)

    def suggest(self) -> Job | None:
        return self.jobs.pop(0) if self.jobs else None  # type: ignore[return-value]


@pytest.mark.parametrize(
    "jobs, budget, message",
    [
        ([Job("c0", EPOCHS)], 5, "takes 9 epochs; only 5 are left"),
        ([Job("c0", 3), Job("c1", 3)], 5, "takes 3 epochs; only 2 are left"),  # 3 committed
        ([Job("c0", 3), Job("c0", EPOCHS)], None, "'c0' is running already"),
        ([Job("c0", EPOCHS + 1)], None, "outside epochs 1..9"),
        ([("c0", 3)], None, "not a Job"),
    ],
)
def test_a_scheduler_that_breaks_the_contract_is_an_error(jobs, budget, message) -> None:  # noqa: ANN001
    backend = TabularBackend(table())
    with pytest.raises(SchedulerError, match=message):
        run_search(Scripted(jobs), backend, workers=2, budget_epochs=budget)


def test_a_failed_segment_is_counted_and_heard() -> None:
    short = curve(90.0, 4)  # the best level, but its curve stops at epoch 4 of 9
    backend = TabularBackend(table({"short": short}))
    watch = Watch(RandomSearch(["short", "c1", "c4"]))
    res = run_search(watch, backend, workers=2)
    assert res.failed == 1 and ("short", "failed") in watch.heard
    assert res.completed == 2 and res.configs == 3 and res.best_arch == "c4"
    assert sorted(a for a, what in watch.heard if what == "result") == ["c1", "c4"]
    assert res.epochs_used == 2 * EPOCHS  # nothing is charged for the failed segment
    assert watch.state.committed == 0 and not watch.state.running


@pytest.mark.parametrize("rule", [MedianRule, BakerRule])
def test_stopped_runs_are_counted_and_heard(rule) -> None:  # noqa: ANN001
    order = sorted(LEVELS, key=LEVELS.get, reverse=True)  # the best first: the rest stop
    stopping = rule(checkpoints=[3], min_completed=3)
    watch = Watch(RandomSearch(order))
    res = run_search(watch, TabularBackend(table()), rule=stopping)
    stopped = [a for a, what in watch.heard if what == "stopped"]
    assert res.stopped == len(stopped) == stopping.stopped > 0
    assert res.completed + res.stopped == res.configs == 9 and res.best_arch == BEST
    assert res.epochs_used == res.completed * EPOCHS + res.stopped * 3
    assert watch.state.committed == 0 and not watch.state.running
    assert res.strategy == f"random+{rule.__name__}"


def test_progress_is_reported_at_each_completed_run() -> None:
    seen: list[tuple[int, int, float]] = []

    def note(res: SearchResult) -> None:
        seen.append((res.completed, res.epochs_used, res.seconds_used))

    res = run_search(RandomSearch(), TabularBackend(table()), workers=3, on_progress=note)
    assert [c for c, _, _ in seen] == list(range(1, 10))
    assert [(e, s) for _, e, s in seen] == [(p.epochs, p.seconds) for p in res.trace]


class Diverging(TabularBackend):
    """A table whose runs of ``diverge`` train their segment, then fail: the epochs were spent
    and the run stays where it stood (as a live run that diverged)."""

    def __init__(self, bench: TabularBenchmark, diverge: set[str]) -> None:
        super().__init__(bench)
        self.diverge = diverge

    def next_event(self) -> Event:
        event = super().next_event()
        if event.arch not in self.diverge:
            return event
        run = self.run(event.arch)
        run.curves = {k: v[: run.epochs - event.epochs] for k, v in run.curves.items()}
        return Event(event.arch, event.epochs, f"{event.arch}: diverged")


def test_the_epochs_of_a_diverged_run_count_against_the_budget() -> None:
    scheduler = RandomSearch(["c0", "c1", "c2"])
    res = run_search(scheduler, Diverging(table(), {"c0"}), budget_epochs=2 * EPOCHS)
    assert res.failed == 1 and res.completed == 1 and res.configs == 2
    assert res.epochs_used == 2 * EPOCHS  # c0's 9 epochs and c1's: no room left for c2
    assert scheduler.state.committed == 0 and not scheduler.state.running


def test_asha_takes_no_candidate_that_cannot_start() -> None:
    from nasperf.benchmarks import load_benchmark
    from nasperf.search import ASHA, TabularBackend, run_search

    sched = ASHA(min_epochs=2)
    res = run_search(sched, TabularBackend(load_benchmark("nb201-digits")), budget_epochs=150,
                     workers=4, seed=0)  # fmt: skip
    assert res.epochs_used <= 150
    assert len(sched.state.seen) == res.configs  # no candidate drawn and dropped


def test_a_run_already_complete_counts_as_completed() -> None:
    from nasperf.search import RandomSearch, TabularBackend, run_search

    backend = TabularBackend(table())
    first = run_search(RandomSearch(), backend, seed=0)
    again = run_search(RandomSearch(), backend, seed=0)  # every run is complete already
    assert again.completed == first.completed and again.best_arch == first.best_arch
    assert again.epochs_used == 0
