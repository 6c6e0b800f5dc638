"""Executors: in-process and process-pool runs, retries of raising and dying tasks, Ray's extra."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from nasperf.exceptions import ConfigurationError, OptionalDependencyError, UnknownNameError
from nasperf.execution import (
    LocalExecutor,
    RayExecutor,
    TaskOutcome,
    make_executor,
)
from nasperf.execution._executors import _Task


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


def by_item(outcomes: list[TaskOutcome]) -> dict:
    return {o.item: o for o in outcomes}


# -- in process ------------------------------------------------------------------------------
def test_in_process_results_and_retries(tmp_path) -> None:
    with LocalExecutor(workers=1) as ex:
        outcomes = list(ex.map_unordered(square, [3, -1, 2]))
    assert [o.item for o in outcomes] == [3, -1, 2]  # in order: it runs one task at a time
    got = by_item(outcomes)
    assert got[3].ok and got[3].result == 9 and got[3].attempts == 1
    bad = got[-1]
    assert not bad.ok and bad.result is None and bad.attempts == 2
    assert bad.error == "ValueError: negative input -1"
    # a task that fails once succeeds on its retry; retries=0 gives up at once
    (once,) = LocalExecutor().map_unordered(flaky, [(str(tmp_path / "m"), 4)])
    assert once.ok and once.result == 16 and once.attempts == 2
    (none,) = LocalExecutor().map_unordered(square, [-2], retries=0)
    assert none.attempts == 1 and "negative input -2" in none.error


# -- process pool ------------------------------------------------------------------------------
def test_pool_results_bounded_in_flight_and_raising_task() -> None:
    pulled = 0

    def items():
        nonlocal pulled
        for x in [*range(8), -5]:
            pulled += 1
            yield x

    with LocalExecutor(workers=2) as ex:
        stream = ex.map_unordered(square, items())
        first = next(stream)
        assert pulled <= 4  # at most 2 * workers tasks in flight
        outcomes = [first, *stream]
    got = by_item(outcomes)
    assert sorted(got) == [-5, *range(8)] and len(outcomes) == 9
    assert all(got[x].ok and got[x].result == x * x for x in range(8))
    assert not got[-5].ok and got[-5].attempts == 2
    assert got[-5].error == "ValueError: negative input -5"


def test_pool_survives_killed_workers(tmp_path) -> None:
    tasks = [(str(tmp_path / f"m{i}"), "ok", i) for i in range(4)]
    tasks.insert(1, (str(tmp_path / "once"), "once", 10))
    tasks.insert(3, (str(tmp_path / "always"), "always", 11))
    with LocalExecutor(workers=2) as ex:
        got = by_item(list(ex.map_unordered(dies, tasks)))
        # the pool is recreated after the breaks and still serves a second call
        again = list(ex.map_unordered(square, [5]))
    assert len(got) == len(tasks)
    assert all(got[t].ok and got[t].result == t[2] ** 2 for t in tasks if t[1] == "ok")
    once = got[tasks[1]]
    assert once.ok and once.result == 100 and once.attempts == 2
    always = got[tasks[3]]
    assert not always.ok and "worker process died" in always.error
    assert always.attempts == 2  # its worker died, then died again while it ran alone
    assert again[0].result == 25


def test_break_bookkeeping() -> None:
    """Who is blamed when a pool breaks: started tasks only; a lone one is given up."""
    tasks = [_Task(name) for name in "abc"]
    for token, task in enumerate(tasks):
        task.token, task.attempts, task.error = token, 1, "died"
    # two had started: both charged and rerun alone; the unstarted one was never run
    given_up, alone, unstarted = LocalExecutor._after_break(tasks, {0, 1}, retries=1)
    assert given_up == [] and alone == tasks[:2] and unstarted == [tasks[2]]
    assert [t.charged for t in tasks] == [1, 1, 0] and tasks[2].attempts == 0
    # running alone, "a" dies again: that is its second failure, it is given up
    tasks[0].attempts = 2
    given_up, alone, unstarted = LocalExecutor._after_break(tasks[:1], {0}, retries=1)
    assert given_up == [TaskOutcome("a", None, "died", 2)] and alone == unstarted == []


# -- registry and Ray --------------------------------------------------------------------------
def test_make_executor_checks() -> None:
    assert isinstance(make_executor("local", workers=3), LocalExecutor)
    with pytest.raises(UnknownNameError, match="unknown executor 'dask'.*local, ray"):
        make_executor("dask")
    with pytest.raises(ConfigurationError, match="only applies to the ray executor"):
        make_executor("local", address="auto")
    with pytest.raises(ConfigurationError, match="workers must be an integer >= 1"):
        make_executor("local", workers=0)
    with pytest.raises(ConfigurationError, match="retries"):
        list(LocalExecutor().map_unordered(square, [1], retries=-1))


def test_ray_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    with pytest.raises(OptionalDependencyError, match=r"nasperf\[ray\]"):
        RayExecutor(address="auto", workers=2)
    with pytest.raises(OptionalDependencyError, match=r"nasperf\[ray\]"):
        make_executor("ray", workers=2)


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs the ray extra")
def test_ray_results_and_retries(tmp_path) -> None:
    with RayExecutor(workers=2) as executor:
        out = by_item(list(executor.map_unordered(square, [1, 2, -3, 4])))
        flaky_out = list(executor.map_unordered(flaky, [(str(tmp_path / "m"), 5)]))
    assert {k: o.result for k, o in out.items() if o.ok} == {1: 1, 2: 4, 4: 16}
    assert not out[-3].ok and "negative input -3" in out[-3].error and out[-3].attempts == 2
    assert flaky_out[0].ok and flaky_out[0].result == 25 and flaky_out[0].attempts == 2
