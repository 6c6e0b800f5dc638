"""Curve evaluators: train candidates up to a number of epochs, continuing where they stopped.

Strategies ask an evaluator to bring runs to an epoch and read back their curves; they never
know whether the curves come from a table (simulated time: the recorded per-epoch cost) or from
live training on executors. Both count the epochs and seconds spent.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..benchmarks import Benchmark
from ..exceptions import ConfigurationError, NasperfError
from ..predictors.learning_curve import ARCH_COLUMNS
from ..training import RunStatus
from ._stopping import Run

__all__ = ["CurveEvaluator", "TabularCurveEvaluator", "LiveCurveEvaluator", "TrainingFailed"]

logger = logging.getLogger(__name__)


class TrainingFailed(NasperfError):
    """A run could not be trained to the requested epoch (diverged, crashed)."""


class CurveEvaluator(abc.ABC):
    """Brings runs to a given epoch; keeps the epochs and seconds spent.

    ``on_advance(epochs_used)``, when set, is called after each batch of jobs (progress).
    """

    max_epochs: int
    space: str

    def __init__(self) -> None:
        self.epochs_used = 0
        self.seconds_used = 0.0
        self._runs: dict[Hashable, Run] = {}
        self.on_advance: Callable[[int], None] | None = None

    def run(self, arch: Hashable) -> Run:
        """The run of ``arch`` (created empty on first use)."""
        if arch not in self._runs:
            self._runs[arch] = Run(arch=arch, space=self.space)
        return self._runs[arch]

    def advance(self, jobs: Sequence[tuple[Hashable, int]]) -> list[Run | TrainingFailed]:
        """Train each ``(arch, epoch)`` up to that epoch; a run already there costs nothing.

        Returns the runs (or the failure of each run that could not get there) in job order.
        """
        for _, upto in jobs:
            if not 1 <= upto <= self.max_epochs:
                raise ConfigurationError(f"epoch {upto} is outside 1..{self.max_epochs}")
        out = self._advance(list(jobs))
        if self.on_advance is not None:
            self.on_advance(self.epochs_used)
        return out

    @abc.abstractmethod
    def _advance(self, jobs: list[tuple[Hashable, int]]) -> list[Run | TrainingFailed]: ...

    def true_final(self, arch: Hashable) -> float | None:
        """The final accuracy of ``arch`` where it is known without training (tables)."""
        return None


class TabularCurveEvaluator(CurveEvaluator):
    """Reads curves from a benchmark with learning curves; time is simulated from its records.

    The cost of continuing a run from epoch a to b is the recorded time of epochs a+1..b
    (``Benchmark.cost``; one unit per epoch when a benchmark records no time). The runs'
    ``val_acc`` is the benchmark's ``target_curve`` (higher is better) unless ``curve`` names
    another.
    """

    def __init__(self, benchmark: Benchmark, curve: str | None = None) -> None:
        super().__init__()
        if benchmark.max_fidelity is None:
            raise ConfigurationError(
                f"benchmark {benchmark.name!r} has no learning curves; multi-fidelity search "
                "needs one (e.g. nb201-digits or nb201-cifar10-curves)"
            )
        self.benchmark = benchmark
        self.max_epochs = int(benchmark.max_fidelity)
        self.space = benchmark.space
        self.curve = benchmark.target_curve if curve is None else curve

    def _advance(self, jobs: list[tuple[Hashable, int]]) -> list[Run | TrainingFailed]:
        out: list[Run | TrainingFailed] = []
        for arch, upto in jobs:
            run = self.run(arch)
            have = run.epochs
            if upto > have:
                rec = self.benchmark.query(arch)
                before = self.benchmark.cost(arch, have) if have else 0.0
                self.seconds_used += self.benchmark.cost(arch, upto) - before
                self.epochs_used += upto - have
                run.curves = {
                    name: np.asarray(values, dtype=np.float64)[:upto]
                    for name, values in rec.curves.items()
                    if len(values) >= upto
                }
                if self.curve != "val_acc":
                    run.curves["val_acc"] = run.curves[self.curve]
                run.scores = {k: v for k, v in rec.scores.items() if k in ARCH_COLUMNS}
                run.features = rec.features
            out.append(run)
        return out

    def true_final(self, arch: Hashable) -> float | None:
        return float(self.benchmark.query(arch).target)


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
    from ..benchmarks.cells import build_cell, cell_data
    from ..training import Trainer, torch_threads

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
    }


class LiveCurveEvaluator(CurveEvaluator):
    """Trains NB201 cells for real on an executor (process pool or Ray), one checkpoint each.

    ``config`` is a :class:`~nasperf.benchmarks.LiveBenchmarkConfig` (dataset, epochs, optimiser,
    C and N); every run of a batch goes to the executor at once, so a rung trains in parallel.
    Promoting a run continues it from its checkpoint under the schedule of the full
    ``config.epochs``. Time is the wall clock of each batch. Runs train on ``device``
    (``"auto"``: a GPU when there is one).
    """

    def __init__(
        self,
        config: Any,
        executor: Any,
        workdir: str | Path,
        seed: int = 0,
        device: str = "cpu",
    ) -> None:
        from ..training import resolve_device

        super().__init__()
        self.device = resolve_device(device)
        self.config = config
        self.executor = executor
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.max_epochs = int(config.epochs)
        self.space = config.space
        self.seed = seed
        self.failed: dict[Hashable, str] = {}

    def _task(self, arch: str, upto: int) -> _LiveTask:
        from ..benchmarks.cells import cell_key, cell_seed
        from ..execution import threads_per_worker

        key = cell_key(self.seed, arch)
        seed = cell_seed(self.seed, arch)
        threads = threads_per_worker(self.executor)
        path = str(self.workdir / f"{key}.pt")
        return _LiveTask(arch, upto, seed, path, self.config, threads, self.device)

    def _advance(self, jobs: list[tuple[Hashable, int]]) -> list[Run | TrainingFailed]:
        import time

        todo = [
            self._task(str(a), u)
            for a, u in jobs
            if a not in self.failed and self.run(a).epochs < u
        ]
        results: dict[str, dict[str, Any] | str] = {}
        if todo:
            tick = time.perf_counter()
            for outcome in self.executor.map_unordered(_train_until, todo, retries=1):
                results[outcome.item.arch] = outcome.result if outcome.ok else str(outcome.error)
            self.seconds_used += time.perf_counter() - tick
        out: list[Run | TrainingFailed] = []
        for arch, upto in jobs:
            run = self.run(arch)
            got = results.get(str(arch))
            if isinstance(got, dict):
                new = len(got["curves"]["val_acc"])
                if new > upto:  # a checkpoint left by an earlier search in the same directory
                    logger.warning(
                        "%s: its checkpoint in %s already holds %d epochs; using the first %d. "
                        "Epochs count as if trained, but the times are not this search's: use "
                        "a fresh directory to measure wall-clock",
                        arch,
                        self.workdir,
                        new,
                        upto,
                    )
                self.epochs_used += max(min(new, upto) - run.epochs, 0)
                if got["status"] not in (RunStatus.OK, RunStatus.PAUSED):
                    self.failed[arch] = got["reason"]
                else:
                    run.curves = {k: v[:upto] for k, v in got["curves"].items()}
                    run.scores = got["scores"]
            elif isinstance(got, str):
                self.failed[arch] = got
            if arch in self.failed:
                out.append(TrainingFailed(f"{arch}: {self.failed[arch]}"))
            else:
                out.append(run)
        return out
