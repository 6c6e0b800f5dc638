"""A backend on an executor's workers: a worker that dies mid-job is retried once, then the job
is recorded as failed and the search goes on."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nasperf.execution import LocalExecutor
from nasperf.search import Event, RandomSearch, run_search
from nasperf.search.backends import ExecutorBackend


@dataclass(frozen=True)
class Task:
    arch: str
    upto: int
    marker: str


def train(task: Task) -> np.ndarray:
    """A curve rising to the arch's level; ``dies`` kills its worker every time, ``once`` the
    first time only (a marker file remembers)."""
    marker = Path(task.marker)
    if task.arch == "dies" or (task.arch == "once" and not marker.exists()):
        marker.touch()
        os._exit(3)
    level = {"a": 70.0, "b": 80.0, "once": 90.0}[task.arch]
    return level * (1 - 0.5 / np.arange(1, task.upto + 1))


class CurveBackend(ExecutorBackend):
    """Curves computed on the executor's workers, 5 epochs a run."""

    _fn = staticmethod(train)

    def __init__(self, executor: LocalExecutor, tmp: Path) -> None:
        super().__init__(executor)
        self.max_epochs = 5
        self.space = "custom"
        self.tmp = tmp

    def _task(self, arch: str, upto: int) -> Task:
        return Task(arch, upto, str(self.tmp / f"{arch}.marker"))

    def _apply(self, arch: object, upto: int, result: np.ndarray) -> Event:
        run = self.run(arch)
        have = run.epochs
        run.curves = {"val_acc": result}
        return Event(arch, upto - have)


def test_a_dying_worker_is_retried_once_then_the_job_is_recorded(tmp_path, caplog) -> None:  # noqa: ANN001
    with LocalExecutor(2) as ex:
        backend = CurveBackend(ex, tmp_path)
        res = run_search(RandomSearch(["a", "dies", "once", "b"]), backend, workers=2)
        backend.close()
    assert res.failed == 1 and res.completed == 3 and res.configs == 4
    assert res.best_arch == "once"  # its worker died once, the retry completed it
    assert backend.failed.keys() == {"dies"} and "died" in backend.failed["dies"]
    assert res.epochs_used == 15  # the failed job spent nothing
