"""Executors: one contract (results, retries of raising and dying tasks, lazy items, stopping
early) run over the in-process executor, the process pool and Ray; then what only one of them
does (in-process order, the pool's isolation of a dying task) and the registry."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nasperf.exceptions import ConfigurationError, OptionalDependencyError, UnknownNameError
from nasperf.execution import (
    Executor,
    LocalExecutor,
    RayExecutor,
    TaskOutcome,
    make_executor,
)


# -- tasks (top level, so the spawned workers can import them) ----------------------------------
def square(x: int) -> int:
    if x < 0:
        raise ValueError(f"negative input {x}")
    return x * x


def flaky(item: tuple[str, int]) -> int:
    """Fail the first time an item is seen (a marker file remembers it), then succeed."""
    marker, x = Path(item[0]), item[1]
    if not marker.exists():
        marker.touch()
        raise RuntimeError("first attempt fails")
    return x * x


def dies(item: tuple[str, str, int]) -> int:
    """``once``: kill the worker the first time; ``always``: every time; else square."""
    marker, mode, x = Path(item[0]), item[1], item[2]
    if mode == "always" or (mode == "once" and not marker.exists()):
        marker.touch()
        os._exit(3)
    return x * x


def innocent_or_culprit(item: tuple[str, str, int]) -> int:
    """``innocent``: say it started (a marker file), then work 1 s and square; ``culprit``:
    wait until the innocent one has started, then kill the worker; ``idle``: square."""
    marker, role, x = Path(item[0]), item[1], item[2]
    if role == "innocent":
        marker.touch()
        time.sleep(1.0)
    elif role == "culprit":
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        os._exit(3)
    return x * x


def by_item(outcomes: list[TaskOutcome]) -> dict:
    return {o.item: o for o in outcomes}


# -- the contract, for every executor ----------------------------------------------------------
KINDS = [
    pytest.param("in-process", id="in-process"),
    pytest.param("pool", id="pool"),
    pytest.param("ray", id="ray", marks=pytest.mark.ray),
]
#: the executors whose tasks run in other processes, so a task may kill its worker
ISOLATED = [p for p in KINDS if p.values[0] != "in-process"]


def build(kind: str) -> Executor:
    if kind == "in-process":
        return LocalExecutor(workers=1)
    if kind == "pool":
        return LocalExecutor(workers=2)
    return RayExecutor(workers=2)


@pytest.fixture(scope="module")
def executor(request: pytest.FixtureRequest) -> Iterator[Executor]:
    """One executor per kind for the whole module (a pool or Ray starts once)."""
    with build(request.param) as ex:
        yield ex


def contract(kinds: list) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("executor", kinds, indirect=True)


@contract(KINDS)
def test_results_and_a_raising_task(executor: Executor) -> None:
    got = by_item(list(executor.map_unordered(square, [3, -1, 2])))
    assert sorted(got) == [-1, 2, 3]
    assert got[3].ok and got[3].result == 9 and got[3].attempts == 1
    assert got[2].ok and got[2].result == 4 and got[2].error is None
    bad = got[-1]
    assert not bad.ok and bad.result is None and bad.attempts == 2  # tried, then retried once
    assert bad.error == "ValueError: negative input -1"


@contract(KINDS)
def test_a_task_failing_once_succeeds_on_its_retry(executor: Executor, tmp_path) -> None:
    (once,) = executor.map_unordered(flaky, [(str(tmp_path / "m"), 4)])
    assert once.ok and once.result == 16 and once.attempts == 2


@contract(KINDS)
def test_retries_bound_the_attempts(executor: Executor) -> None:
    (none,) = executor.map_unordered(square, [-2], retries=0)
    assert not none.ok and none.attempts == 1 and "negative input -2" in none.error
    (three,) = executor.map_unordered(square, [-3], retries=2)
    assert not three.ok and three.attempts == 3
    for bad in (-1, True, 1.5):
        with pytest.raises(ConfigurationError, match="retries must be an integer >= 0"):
            list(executor.map_unordered(square, [1], retries=bad))


@contract(KINDS)
def test_items_are_pulled_lazily_and_each_runs_once(executor: Executor) -> None:
    pulled = 0

    def items() -> Iterator[int]:
        nonlocal pulled
        for x in [*range(12), -5]:
            pulled += 1
            yield x

    stream = executor.map_unordered(square, items())
    first = next(stream)
    assert pulled <= 2 * executor.workers  # at most 2 * workers tasks in flight
    outcomes = [first, *stream]
    got = by_item(outcomes)
    assert len(outcomes) == 13 and sorted(got) == [-5, *range(12)]
    assert all(got[x].ok and got[x].result == x * x for x in range(12))
    assert not got[-5].ok and got[-5].attempts == 2


@contract(KINDS)
def test_stopping_early_leaves_the_executor_usable(executor: Executor) -> None:
    stream = executor.map_unordered(square, range(100))
    first = next(stream)
    assert first.ok and first.result == first.item**2
    stream.close()  # the caller stops reading: the tasks not started are dropped
    (again,) = executor.map_unordered(square, [7])
    assert again.ok and again.result == 49


@contract(ISOLATED)
def test_a_task_that_kills_its_worker_fails_alone(executor: Executor, tmp_path) -> None:
    tasks = [(str(tmp_path / f"m{i}"), "ok", i) for i in range(4)]
    tasks.insert(1, (str(tmp_path / "once"), "once", 10))
    tasks.insert(3, (str(tmp_path / "always"), "always", 11))
    got = by_item(list(executor.map_unordered(dies, tasks)))
    assert len(got) == len(tasks)
    assert all(got[t].ok and got[t].result == t[2] ** 2 for t in tasks if t[1] == "ok")
    once = got[tasks[1]]
    assert once.ok and once.result == 100 and once.attempts == 2
    always = got[tasks[3]]
    assert not always.ok and always.result is None and always.attempts == 2
    assert "worker" in always.error and "died" in always.error
    # the workers are replaced: the executor serves the next call
    (again,) = executor.map_unordered(square, [5])
    assert again.ok and again.result == 25


# -- what only one executor does ---------------------------------------------------------------
def test_in_process_runs_one_task_at_a_time_in_order() -> None:
    pulled = []

    def items() -> Iterator[int]:
        for x in (3, -1, 2):
            pulled.append(x)
            yield x

    seen = []
    for outcome in LocalExecutor(workers=1).map_unordered(square, items()):
        seen.append(outcome.item)
        assert pulled == seen  # the next item is only read once this one is done
    assert seen == [3, -1, 2]


def test_pool_break_charges_the_started_tasks_only(tmp_path) -> None:
    """A worker dies while another task runs beside it and two wait: the running one is rerun
    alone and completes (two attempts), the waiting ones run as if nothing happened (one
    attempt), and the task that dies again alone is given up."""
    marker = str(tmp_path / "started")
    innocent, culprit = (marker, "innocent", 5), (marker, "culprit", 6)
    waiting = [(marker, "idle", 7), (marker, "idle", 8)]
    with LocalExecutor(workers=2) as ex:
        got = by_item(list(ex.map_unordered(innocent_or_culprit, [innocent, culprit, *waiting])))
    assert got[innocent].ok and got[innocent].result == 25 and got[innocent].attempts == 2
    assert all(got[t].ok and got[t].result == t[2] ** 2 and got[t].attempts == 1 for t in waiting)
    assert not got[culprit].ok and got[culprit].attempts == 2
    assert "worker process died" in got[culprit].error


# -- registry and Ray --------------------------------------------------------------------------
def test_make_executor_checks() -> None:
    local = make_executor("local", workers=3)
    assert isinstance(local, LocalExecutor) and local.workers == 3
    with pytest.raises(UnknownNameError, match="unknown executor 'dask'.*local, ray"):
        make_executor("dask")
    with pytest.raises(ConfigurationError, match="only applies to the ray executor"):
        make_executor("local", address="auto")
    for bad in (0, -1, True, 2.0):
        with pytest.raises(ConfigurationError, match="workers must be an integer >= 1"):
            make_executor("local", workers=bad)


def test_ray_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    with pytest.raises(OptionalDependencyError, match=r"nasperf\[ray\]"):
        RayExecutor(address="auto", workers=2)
    with pytest.raises(OptionalDependencyError, match=r"nasperf\[ray\]"):
        make_executor("ray", workers=2)

