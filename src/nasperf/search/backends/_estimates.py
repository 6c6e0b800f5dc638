"""Short-budget estimators as a search's fitness (Cao et al. 2021, arXiv:2103.04450).

An :class:`EstimateBackend` answers a query (``max_epochs`` 1) with a short-budget estimate
instead of the final value, and keeps each candidate's estimate as a row (:attr:`rows`):
:class:`ShortBudgetBackend` with a learning-curve estimator after E epochs of another backend (a
table's curves), :class:`LiveEstimateBackend` with a feature-history estimate or FEAR trained
live on an executor. The drivers that train the top k of a search on them are in
:mod:`nasperf.search` (``estimate_then_train``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...exceptions import ConfigurationError
from ...predictors.training_based import (
    FearEstimator,
    FearSettings,
    FeatureHistoryEstimator,
    FeatureHistorySettings,
    TimeRatioRule,
    calibrate_threshold,
)
from ...training import RunStatus
from ._base import Backend, Event, ExecutorBackend

__all__ = [
    "EstimateTask",
    "estimate_cell",
    "first_epoch_accuracy",
    "failed_estimate",
    "EstimateBackend",
    "ShortBudgetBackend",
    "LiveEstimateBackend",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EstimateTask:
    """One NB201 cell to estimate: the live-benchmark settings, the cell and its seed, and the
    estimator's settings (feature history or FEAR, with FEAR's threshold and time limit)."""

    config: Any  # LiveBenchmarkConfig
    arch: str
    seed: int
    settings: FeatureHistorySettings | FearSettings
    threads: int = 1
    device: str = "cpu"
    threshold: float | None = None
    time_limit: float | None = None

    def __repr__(self) -> str:
        if isinstance(self.settings, FearSettings):
            return f"FEAR {self.arch}"
        return f"estimate {self.arch} ({self.settings.epochs} epochs)"


def _fear(task: EstimateTask, model: Any, data: Any) -> dict[str, Any]:
    est = FearEstimator(
        task.settings, task.config.train_config(task.seed, task.threads), task.seed % (2**31)
    )
    res = est.estimate(model, data, task.threshold, task.time_limit)
    return {"estimate": res.score, **{k: v for k, v in res.row().items() if k != "score"}}


def first_epoch_accuracy(task: EstimateTask) -> float | None:
    """A reference model's first-epoch accuracy, for FEAR's calibrated threshold."""
    from ...benchmarks.cells import build_cell, cell_data
    from ...training import torch_threads

    with torch_threads(task.threads):
        data = cell_data(task.config)
        model, _, _ = build_cell(task.config, task.arch, task.seed, data, task.device)
        est = FearEstimator(task.settings, task.config.train_config(task.seed, task.threads))
        return est.first_epoch_accuracy(model, data)


def estimate_cell(task: EstimateTask) -> dict[str, Any]:
    from ...benchmarks.cells import build_cell, cell_data
    from ...training import torch_threads

    with torch_threads(task.threads):
        data = cell_data(task.config)
        model, params_m, flops = build_cell(task.config, task.arch, task.seed, data, task.device)
        if isinstance(task.settings, FearSettings):
            return {"arch": task.arch, **_fear(task, model, data), "params_m": params_m,
                    "flops": flops}  # fmt: skip
        est = FeatureHistoryEstimator(
            task.settings,
            train_config=task.config.train_config(task.seed, task.threads),
            random_state=task.seed % (2**31),
        )
        res = est.estimate(model, data)
    return {
        "arch": task.arch,
        "status": res.status,
        "reason": res.reason,
        "estimate": res.estimate,
        "network_val_acc": res.network_val_acc,
        "variants": res.variants,
        "feature_bytes": res.feature_bytes,
        "seconds": res.seconds,
        "params_m": params_m,
        "flops": flops,
    }


def failed_estimate(arch: Hashable, reason: str | None) -> dict[str, Any]:
    """The row of an estimate of ``arch`` that failed (diverged, crashed) for ``reason``."""
    return {"arch": arch, "status": RunStatus.FAILED, "estimate": None, "reason": reason}


class EstimateBackend(Backend):
    """A backend whose query (``max_epochs`` 1) is a short-budget estimate.

    What it offers beyond :class:`Backend`: :attr:`rows`, each queried candidate's estimate as
    a row (``arch``, ``status``, ``estimate``, ``reason``, ...; ``estimate`` None when it
    failed), :attr:`on_cell` (called with the number of rows as each arrives), and
    :meth:`shares_clock_with`: whether full runs on another backend continue on its clock.
    """

    def __init__(self) -> None:  # after the backend's own __init__: it only adds the rows
        self.rows: dict[Hashable, dict[str, Any]] = {}
        self.on_cell: Callable[[int], None] | None = None
        self.max_epochs = 1

    def add(self, arch: Hashable, row: dict[str, Any]) -> None:
        """Keep ``row`` as the estimate of ``arch``."""
        self.rows[arch] = row
        if self.on_cell is not None:
            self.on_cell(len(self.rows))

    def failed_row(self, arch: Hashable, reason: str | None) -> None:
        """Keep a failed estimate of ``arch``."""
        self.add(arch, failed_estimate(arch, reason))

    def shares_clock_with(self, full: Backend) -> bool:
        """Whether full runs on ``full`` continue this backend's runs on its clock."""
        return False


class ShortBudgetBackend(EstimateBackend):
    """Queries answered by a learning-curve ``estimator`` (one that needs no training data:
    ``early-stop-acc``, ``early-stop-loss``, ``sotl``, ``sotl-e``, ``lce`` or ``lc-pfn``) after
    ``epochs``
    epochs of ``inner`` (a backend with curves), at their cost on ``inner``'s clock."""

    def __init__(self, inner: Backend, estimator: str = "sotl-e", epochs: int = 1) -> None:
        from ...predictors import make_predictor

        Backend.__init__(self)
        EstimateBackend.__init__(self)
        if inner.max_epochs < 2:
            raise ConfigurationError("a short budget needs a backend with learning curves")
        if isinstance(epochs, bool) or not isinstance(epochs, int):
            raise ConfigurationError(f"the short budget must be a number of epochs, got {epochs!r}")
        if not 1 <= epochs < inner.max_epochs:
            raise ConfigurationError(
                f"the short budget must be 1..{inner.max_epochs - 1} epochs, got {epochs}"
            )
        predictor = make_predictor(estimator, fidelity=epochs)
        if "epochs" in predictor.get_params():  # the curve PFN: told the full run's length
            predictor.set_params(epochs=inner.max_epochs)
        if predictor.capabilities().requires.targets:
            raise ConfigurationError(
                f"{estimator} learns from fully trained curves; a short-budget estimate needs "
                "an estimator that needs none: early-stop-acc, early-stop-loss, sotl, sotl-e, "
                "lce or lc-pfn"
            )
        self.predictor = predictor.fit([])
        self.predictor_name = estimator
        self.inner = inner
        self.epochs = epochs
        self.max_epochs = 1
        self.space = inner.space

    def submit(self, arch: Hashable, upto: int) -> None:
        self.inner.submit(arch, self.epochs)

    def next_event(self) -> Event:
        event = self.inner.next_event()
        self.now = self.inner.now
        if event.error is not None:
            self.failed_row(event.arch, event.error)
            return Event(event.arch, 0, event.error)
        score = float(self.predictor.predict([self.inner.run(event.arch).record()])[0])
        if not np.isfinite(score):
            reason = f"{event.arch}: its {self.predictor_name} estimate is not finite"
            self.failed_row(event.arch, reason)
            return Event(event.arch, 0, reason)
        self.run(event.arch).curves = {"val_acc": np.asarray([score])}
        self.add(event.arch, {"arch": event.arch, "status": RunStatus.OK, "estimate": score})
        return Event(event.arch, 1)

    def archs(self) -> list[Hashable] | None:
        return self.inner.archs()

    def contains(self, arch: Hashable) -> bool:
        return self.inner.contains(arch)

    def shares_clock_with(self, full: Backend) -> bool:
        return full is self.inner

    def scores(self, arch: Hashable) -> dict[str, float]:
        return self.inner.scores(arch)

    def true_final(self, arch: Hashable) -> float | None:
        return self.inner.true_final(arch)

    def test_value(self, arch: Hashable) -> float | None:
        return self.inner.test_value(arch)


class LiveEstimateBackend(EstimateBackend, ExecutorBackend):
    """Queries answered by a short-budget estimate of each NB201 cell of ``config``, trained
    live on ``executor``: a feature-history estimate (``settings`` a
    :class:`FeatureHistorySettings`: E epochs and the proxy classifier) or FEAR (a
    :class:`FearSettings`).

    FEAR's threshold, when its settings leave it None, is calibrated once before the first
    estimate, from the first-epoch accuracy of ``settings.calibration`` cells drawn from the
    space (their time counts on the clock). ``time_ratio`` (FEAR only) applies
    :class:`TimeRatioRule`: each task gets the current limit, stops its stage 1 past it, and a
    result whose stage 1 is slower than the limit when it arrives is dropped too.
    """

    _fn = staticmethod(estimate_cell)

    def __init__(
        self,
        config: Any,
        executor: Any,
        settings: FeatureHistorySettings | FearSettings | None = None,
        seed: int = 0,
        device: str = "cpu",
        time_ratio: float | None = None,
    ) -> None:
        from ...training import resolve_device

        ExecutorBackend.__init__(self, executor, seed)
        EstimateBackend.__init__(self)
        self.settings = FeatureHistorySettings() if settings is None else settings
        fear = isinstance(self.settings, FearSettings)
        budget = self.settings.max_epochs if fear else self.settings.epochs
        if budget > config.epochs:
            raise ConfigurationError(
                f"the short budget of {budget} epochs is longer than a full run ({config.epochs})"
            )
        if time_ratio is not None and not fear:
            raise ConfigurationError("time_ratio is FEAR's rule; it needs FearSettings")
        self.rule = TimeRatioRule(time_ratio) if time_ratio is not None else None
        self.threshold = self.settings.threshold if fear else None
        self.config = config
        self.device = resolve_device(device)
        self.max_epochs = 1
        self.space = config.space

    def _threads(self) -> int:
        from ...execution import threads_per_worker

        return threads_per_worker(self.executor)  # as many as a full run gets

    def calibrate(self) -> float:
        """FEAR's threshold from reference cells' first epoch (see the class doc)."""
        from ...benchmarks.cells import cell_seed
        from ...spaces import get_space

        space = get_space(self.config.space)
        rng = np.random.default_rng([self.seed, 0xFEA])
        archs: list[str] = []
        while len(archs) < self.settings.calibration:
            arch = str(space.sample(rng))
            if arch not in archs:
                archs.append(arch)
        threads, config, settings = self._threads(), self.config, self.settings
        tasks = [
            EstimateTask(config, a, cell_seed(self.seed, a), settings, threads, self.device)
            for a in archs
        ]
        outcomes = self.executor.map_unordered(first_epoch_accuracy, tasks, retries=1)
        accs = [o.result for o in outcomes if o.ok]
        self.threshold = calibrate_threshold(accs, self.settings.quantile)
        logger.info("FEAR threshold %.3f from %d reference cells", self.threshold, len(accs))
        return self.threshold

    def _task(self, arch: str, upto: int) -> EstimateTask:
        from ...benchmarks.cells import cell_seed

        fear = isinstance(self.settings, FearSettings)
        if fear and self.threshold is None:
            self.calibrate()
        limit = self.rule.limit() if self.rule is not None else None
        return EstimateTask(self.config, arch, cell_seed(self.seed, arch), self.settings,
                            self._threads(), self.device, self.threshold, limit)  # fmt: skip

    def next_event(self) -> Event:
        event = super().next_event()
        if event.error is not None and event.arch not in self.rows:
            self.failed_row(event.arch, event.error)
        return event

    def _apply(self, arch: Hashable, upto: int, result: Any) -> Event:
        if self.rule is not None and result.get("estimate") is not None:
            seconds = float(result["stage1_seconds"])
            if not self.rule.admits(seconds):
                result = {**result, "estimate": None, "status": "dropped",
                          "reason": f"stage 1 took {seconds:.2f} s, past the time-ratio limit "
                          f"of {self.rule.limit():.2f} s"}  # fmt: skip
            elif result.get("reached"):
                self.rule.observe(seconds)
        self.add(arch, result)
        if result.get("estimate") is None:
            return Event(arch, 0, f"{arch}: {result.get('reason')}")
        self.run(arch).curves = {"val_acc": np.asarray([float(result["estimate"])])}
        return Event(arch, 1)
