"""Short-budget estimators as a search's fitness (Cao et al. 2021, arXiv:2103.04450).

An estimate backend answers a query (``max_epochs`` 1) with a short-budget estimate instead of
the final value: :class:`ShortBudgetBackend` with a learning-curve estimator after E epochs of
another backend (a table's curves), :class:`LiveEstimateBackend` with a feature-history estimate
trained live on an executor. Any scheduler runs on one; :func:`estimate_then_train` then trains
its top k candidates by estimate to the end and returns the best. Sample-and-estimate is random
search configured this way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..exceptions import ConfigurationError
from ..predictors.training_based import (
    FearEstimator,
    FearSettings,
    FeatureHistoryEstimator,
    FeatureHistorySettings,
    TimeRatioRule,
    calibrate_threshold,
)
from ..training import RunStatus
from ._backends import Backend, Event, ExecutorBackend
from ._loop import Scheduler, run_search

__all__ = [
    "EstimateTask",
    "estimate_cells",
    "ShortBudgetBackend",
    "LiveEstimateBackend",
    "estimate_then_train",
    "SampleSearchResult",
    "sample_and_estimate",
    "sample_and_estimate_curves",
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


def _first_epoch(task: EstimateTask) -> float | None:
    """A reference model's first-epoch accuracy, for FEAR's calibrated threshold."""
    from ..benchmarks.cells import build_cell, cell_data
    from ..training import torch_threads

    with torch_threads(task.threads):
        data = cell_data(task.config)
        model, _, _ = build_cell(task.config, task.arch, task.seed, data, task.device)
        est = FearEstimator(task.settings, task.config.train_config(task.seed, task.threads))
        return est.first_epoch_accuracy(model, data)


def _estimate(task: EstimateTask) -> dict[str, Any]:
    from ..benchmarks.cells import build_cell, cell_data
    from ..training import torch_threads

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


def estimate_cells(
    config: Any,
    archs: Sequence[str],
    executor: Any,
    settings: FeatureHistorySettings | None = None,
    seed: int = 0,
    device: str = "cpu",
    on_cell: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Feature-history estimates of ``archs`` (in that order) with ``settings`` (default
    :class:`FeatureHistorySettings`), trained in parallel on ``executor`` on ``device``
    (``"auto"``: a GPU when there is one). A failed cell (diverged, crashed twice) has
    ``estimate`` None and a reason. ``on_cell(done, total)`` is called as cells finish."""
    from ..training import resolve_device

    settings = FeatureHistorySettings() if settings is None else settings
    device = resolve_device(device)
    if settings.epochs > config.epochs:
        raise ConfigurationError(
            f"the short budget of {settings.epochs} epochs is longer than a full run "
            f"({config.epochs})"
        )
    from ..benchmarks.cells import cell_seed
    from ..execution import threads_per_worker

    threads = threads_per_worker(executor)  # as many as a full run gets on these workers
    tasks = [EstimateTask(config, a, cell_seed(seed, a), settings, threads, device) for a in archs]
    rows: dict[str, dict[str, Any]] = {}
    for outcome in executor.map_unordered(_estimate, tasks, retries=1):
        if outcome.ok:
            rows[outcome.item.arch] = outcome.result
        else:
            rows[outcome.item.arch] = {
                "arch": outcome.item.arch,
                "status": RunStatus.FAILED,
                "reason": outcome.error,
                "estimate": None,
            }
        if on_cell is not None:
            on_cell(len(rows), len(archs))
    return [rows[a] for a in archs]


@dataclass
class SampleSearchResult:
    """The returned cell, what every candidate was estimated at, and the wall-clock split."""

    best_arch: Hashable | None
    best_value: float | None
    estimates: list[dict[str, Any]] = field(default_factory=list)
    finals: dict[Hashable, float] = field(default_factory=dict)
    estimate_seconds: float = 0.0
    train_seconds: float = 0.0

    @property
    def seconds(self) -> float:
        return self.estimate_seconds + self.train_seconds


class _EstimateRows:
    """The estimate of each candidate queried, as a row (arch, status, estimate, reason...)."""

    def __init__(self) -> None:
        self.rows: dict[Hashable, dict[str, Any]] = {}
        self.on_cell: Callable[[int], None] | None = None

    def add(self, arch: Hashable, row: dict[str, Any]) -> None:
        self.rows[arch] = row
        if self.on_cell is not None:
            self.on_cell(len(self.rows))


class ShortBudgetBackend(_EstimateRows, Backend):
    """Queries answered by a learning-curve ``estimator`` (one that needs no training data:
    ``early-stop-acc``, ``early-stop-loss``, ``sotl``, ``sotl-e`` or ``lce``) after ``epochs``
    epochs of ``inner`` (a backend with curves), at their cost on ``inner``'s clock."""

    def __init__(self, inner: Backend, estimator: str = "sotl-e", epochs: int = 1) -> None:
        from ..predictors import make_predictor

        Backend.__init__(self)
        _EstimateRows.__init__(self)
        if inner.max_epochs < 2:
            raise ConfigurationError("a short budget needs a backend with learning curves")
        if isinstance(epochs, bool) or not isinstance(epochs, int):
            raise ConfigurationError(f"the short budget must be a number of epochs, got {epochs!r}")
        if not 1 <= epochs < inner.max_epochs:
            raise ConfigurationError(
                f"the short budget must be 1..{inner.max_epochs - 1} epochs, got {epochs}"
            )
        predictor = make_predictor(estimator, fidelity=epochs)
        if predictor.capabilities().requires.targets:
            raise ConfigurationError(
                f"{estimator} learns from fully trained curves; a short-budget estimate needs "
                "an estimator that needs none: early-stop-acc, early-stop-loss, sotl, sotl-e "
                "or lce"
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
            self.add(event.arch, {"arch": event.arch, "status": RunStatus.FAILED,
                                  "estimate": None, "reason": event.error})  # fmt: skip
            return Event(event.arch, 0, event.error)
        score = float(self.predictor.predict([self.inner.run(event.arch).record()])[0])
        if not np.isfinite(score):
            reason = f"{event.arch}: its {self.predictor_name} estimate is not finite"
            self.add(event.arch, {"arch": event.arch, "status": RunStatus.FAILED,
                                  "estimate": None, "reason": reason})  # fmt: skip
            return Event(event.arch, 0, reason)
        self.run(event.arch).curves = {"val_acc": np.asarray([score])}
        self.add(event.arch, {"arch": event.arch, "status": RunStatus.OK, "estimate": score})
        return Event(event.arch, 1)

    def archs(self) -> list[Hashable] | None:
        return self.inner.archs()

    def contains(self, arch: Hashable) -> bool:
        return self.inner.contains(arch)

    def scores(self, arch: Hashable) -> dict[str, float]:
        return self.inner.scores(arch)

    def true_final(self, arch: Hashable) -> float | None:
        return self.inner.true_final(arch)

    def test_value(self, arch: Hashable) -> float | None:
        return self.inner.test_value(arch)


class LiveEstimateBackend(_EstimateRows, ExecutorBackend):
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

    _fn = staticmethod(_estimate)

    def __init__(
        self,
        config: Any,
        executor: Any,
        settings: FeatureHistorySettings | FearSettings | None = None,
        seed: int = 0,
        device: str = "cpu",
        time_ratio: float | None = None,
    ) -> None:
        from ..training import resolve_device

        ExecutorBackend.__init__(self, executor, seed)
        _EstimateRows.__init__(self)
        self.settings = FeatureHistorySettings() if settings is None else settings
        fear = isinstance(self.settings, FearSettings)
        budget = self.settings.max_epochs if fear else self.settings.epochs
        if budget > config.epochs:
            raise ConfigurationError(
                f"the short budget of {budget} epochs is longer than a full run "
                f"({config.epochs})"
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
        from ..execution import threads_per_worker

        return threads_per_worker(self.executor)  # as many as a full run gets

    def calibrate(self) -> float:
        """FEAR's threshold from reference cells' first epoch (see the class doc)."""
        from ..benchmarks.cells import cell_seed
        from ..spaces import get_space

        space = get_space(self.config.space)
        rng = np.random.default_rng([self.seed, 0xFEA])
        archs: list[str] = []
        while len(archs) < self.settings.calibration:
            arch = str(space.sample(rng))
            if arch not in archs:
                archs.append(arch)
        tasks = [EstimateTask(self.config, a, cell_seed(self.seed, a), self.settings,
                              self._threads(), self.device) for a in archs]  # fmt: skip
        accs = [o.result for o in self.executor.map_unordered(_first_epoch, tasks, retries=1)
                if o.ok]  # fmt: skip
        self.threshold = calibrate_threshold(accs, self.settings.quantile)
        logger.info("FEAR threshold %.3f from %d reference cells", self.threshold, len(accs))
        return self.threshold

    def _task(self, arch: str, upto: int) -> EstimateTask:
        from ..benchmarks.cells import cell_seed

        fear = isinstance(self.settings, FearSettings)
        if fear and self.threshold is None:
            self.calibrate()
        limit = self.rule.limit() if self.rule is not None else None
        return EstimateTask(self.config, arch, cell_seed(self.seed, arch), self.settings,
                            self._threads(), self.device, self.threshold, limit)  # fmt: skip

    def next_event(self) -> Event:
        event = super().next_event()
        if event.error is not None and event.arch not in self.rows:
            self.add(event.arch, {"arch": event.arch, "status": RunStatus.FAILED,
                                  "estimate": None, "reason": event.error})  # fmt: skip
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


def estimate_then_train(
    scheduler: Scheduler,
    estimates: Backend,
    full: Backend,
    top_k: int = 2,
    *,
    workers: int = 1,
    budget: int | None = None,
    seed: int = 0,
) -> SampleSearchResult:
    """Run ``scheduler`` on ``estimates`` (at most ``budget`` queries), then train its ``top_k``
    candidates by estimate to the end on ``full`` and return the best of them.

    ``estimates`` and ``full`` may share a clock (a :class:`ShortBudgetBackend` over ``full``
    continues its runs from the short budget), else the seconds add up.
    """
    from ._schedulers import RandomSearch

    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ConfigurationError(f"top_k must be an int >= 1, got {top_k!r}")
    run_search(scheduler, estimates, workers=workers, budget_epochs=budget, seed=seed)
    estimates.close()  # its workers' results are all in
    est_s = estimates.now
    rows: dict[Hashable, dict[str, Any]] = getattr(estimates, "rows", {})
    scored = [a for a, r in rows.items() if r.get("estimate") is not None]
    top = sorted(scored, key=lambda a: rows[a]["estimate"], reverse=True)[:top_k]
    start = full.now if full is getattr(estimates, "inner", None) else 0.0
    trained = run_search(RandomSearch(top), full, workers=workers, seed=seed)
    finals = {a: full.run(a).last for a in top if full.run(a).epochs == full.max_epochs}
    best = trained.best_arch
    return SampleSearchResult(
        best,
        finals.get(best) if best is not None else None,
        list(rows.values()),
        finals,
        est_s,
        full.now - start,
    )


def sample_and_estimate(
    config: Any,
    archs: Sequence[str],
    executor: Any,
    backend: Backend,
    settings: FeatureHistorySettings | None = None,
    top_k: int = 2,
    seed: int = 0,
    on_cell: Callable[[int, int], None] | None = None,
) -> SampleSearchResult:
    """Estimate every cell of ``archs`` with ``settings`` (E epochs of training each), fully
    train the ``top_k`` best estimates on ``backend`` (a :class:`LiveBackend`) and return the
    best of them: :func:`estimate_then_train` with random search over ``archs``.
    ``on_cell(done, total)`` is called as estimates finish."""
    from ._schedulers import RandomSearch

    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ConfigurationError(f"top_k must be an int >= 1, got {top_k!r}")
    device = getattr(backend, "device", "cpu")  # the estimates train where the full runs do
    estimates = LiveEstimateBackend(config, executor, settings, seed, device)
    if on_cell is not None:
        estimates.on_cell = lambda done: on_cell(done, len(archs))
    try:
        found = estimate_then_train(
            RandomSearch(list(archs)), estimates, backend, top_k,
            workers=executor.workers, seed=seed,
        )  # fmt: skip
    finally:
        estimates.close()
    found.estimates = [estimates.rows[a] for a in archs if a in estimates.rows]
    return found


def sample_and_estimate_curves(
    backend: Backend,
    archs: Sequence[Hashable],
    epochs: int,
    top_k: int = 2,
    estimator: str = "sotl-e",
    workers: int = 2,
) -> SampleSearchResult:
    """Sample-and-estimate in simulated time on a benchmark's learning curves.

    Every candidate of ``archs`` is trained for ``epochs`` on ``backend`` (a
    :class:`TabularBackend`: the cost is the table's recorded time), ranked by the learning-curve
    ``estimator`` at that fidelity, and the ``top_k`` best are trained to the end, on
    ``workers`` parallel workers. Feature histories need live training
    (:func:`sample_and_estimate`); the tables hold none.
    """
    from ._schedulers import RandomSearch

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigurationError(f"workers must be an int >= 1, got {workers!r}")
    estimates = ShortBudgetBackend(backend, estimator, epochs)
    found = estimate_then_train(
        RandomSearch(list(archs)), estimates, backend, top_k, workers=workers
    )
    found.estimates = [estimates.rows[a] for a in archs if a in estimates.rows]
    return found
