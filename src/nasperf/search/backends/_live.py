"""Cells trained for real on an executor, each continued from its checkpoint."""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...training import RunStatus
from ._base import Event, ExecutorBackend

__all__ = ["LiveBackend"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _LiveTask:
    arch: str
    upto: int
    seed: int
    checkpoint: str
    config: Any  # LiveBenchmarkConfig: dataset, training and model settings
    threads: int = 1
    device: str = "cpu"

    def __repr__(self) -> str:
        return f"{self.arch} to epoch {self.upto}"


def _train_until(task: _LiveTask) -> dict[str, Any]:
    """Build the cell (seeded), train or continue it up to ``task.upto``; return its curves."""
    from ...benchmarks.cells import build_cell, cell_data
    from ...training import Trainer, torch_threads

    config = task.config
    with torch_threads(task.threads):
        data = cell_data(config)
        model, params_m, flops = build_cell(config, task.arch, task.seed, data, task.device)
        scores = {"params_m": params_m, "flops": flops}
        trainer = Trainer(config.train_config(task.seed, task.threads))
        result = trainer.fit(model, data, checkpoint=task.checkpoint, until=task.upto)
    return {
        "status": result.status,
        "reason": result.reason,
        "curves": {k: np.asarray(v, dtype=np.float64) for k, v in result.curves.items()},
        "scores": scores,
        "test_acc": result.test_acc,
    }


class LiveBackend(ExecutorBackend):
    """Trains NB201 cells for real on an executor (process pool or Ray), one checkpoint each.

    ``config`` is a :class:`~nasperf.benchmarks.LiveBenchmarkConfig` (dataset, epochs, optimiser,
    C and N). Every segment goes to the executor as soon as it is submitted, so ``workers``
    jobs train at once; a promoted run continues from its checkpoint under the schedule of the
    full ``config.epochs``. Runs train on ``device`` (``"auto"``: a GPU when there is one).
    """

    _fn = staticmethod(_train_until)

    def __init__(
        self,
        config: Any,
        executor: Any,
        workdir: str | Path,
        seed: int = 0,
        device: str = "cpu",
    ) -> None:
        from ...training import resolve_device

        super().__init__(executor, seed)
        self.device = resolve_device(device)
        self.config = config
        self.workdir = Path(workdir)  # made at the first segment: binding writes nothing
        self.max_epochs = int(config.epochs)
        self.space = config.space
        self._tests: dict[Hashable, float] = {}

    def _task(self, arch: str, upto: int) -> _LiveTask:
        from ...benchmarks.cells import cell_key, cell_seed
        from ...execution import threads_per_worker

        key = cell_key(self.seed, arch)
        self.workdir.mkdir(parents=True, exist_ok=True)
        path = str(self.workdir / f"{key}.pt")
        threads = threads_per_worker(self.executor)
        return _LiveTask(arch, upto, cell_seed(self.seed, arch), path, self.config, threads,
                         self.device)  # fmt: skip

    def _apply(self, arch: Hashable, upto: int, got: Any) -> Event:
        run = self.run(arch)
        have = run.epochs
        new = len(got["curves"].get("val_acc", ()))
        if new > upto:  # a checkpoint left by an earlier search in the same directory
            logger.warning(
                "%s: its checkpoint in %s already holds %d epochs; using the first %d. Epochs "
                "count as if trained, but the times are not this search's: use a fresh "
                "directory to measure wall-clock",
                arch,
                self.workdir,
                new,
                upto,
            )
        trained = max(min(new, upto) - have, 0)
        if got["status"] not in (RunStatus.OK, RunStatus.PAUSED):
            self.failed[arch] = got["reason"]
            return Event(arch, trained, f"{arch}: {got['reason']}")
        run.curves = {k: v[:upto] for k, v in got["curves"].items()}
        run.scores = got["scores"]
        if got.get("test_acc") is not None:
            self._tests[arch] = float(got["test_acc"])
        return Event(arch, trained)

    def test_value(self, arch: Hashable) -> float | None:
        return self._tests.get(arch)
