"""Sampling-based search with a short-budget estimator (Cao et al. 2021, arXiv:2103.04450).

Sample many candidates, estimate each with a short training budget (feature history), in
parallel on an executor; fully train only the top k, in parallel too; return the best of those.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import ConfigurationError
from ..predictors.training_based import FeatureHistoryEstimator, FeatureHistorySettings
from ..training import RunStatus

__all__ = [
    "EstimateTask",
    "estimate_cells",
    "SampleSearchResult",
    "sample_and_estimate",
    "sample_and_estimate_curves",
    "finish_times",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EstimateTask:
    """One NB201 cell to estimate: the live-benchmark settings, the cell and its seed."""

    config: Any  # LiveBenchmarkConfig
    arch: str
    seed: int
    settings: FeatureHistorySettings
    threads: int = 1
    device: str = "cpu"

    def __repr__(self) -> str:
        return f"estimate {self.arch} ({self.settings.epochs} epochs)"


def _estimate(task: EstimateTask) -> dict[str, Any]:
    from ..benchmarks.cells import build_cell, cell_data
    from ..training import torch_threads

    with torch_threads(task.threads):
        data = cell_data(task.config)
        model, params_m, flops = build_cell(task.config, task.arch, task.seed, data, task.device)
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
    tasks = [
        EstimateTask(config, a, cell_seed(seed, a), settings, threads, device)
        for a in archs
    ]
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

    best_arch: str | None
    best_value: float | None
    estimates: list[dict[str, Any]] = field(default_factory=list)
    finals: dict[str, float] = field(default_factory=dict)
    estimate_seconds: float = 0.0
    train_seconds: float = 0.0

    @property
    def seconds(self) -> float:
        return self.estimate_seconds + self.train_seconds


def sample_and_estimate(
    config: Any,
    archs: Sequence[str],
    executor: Any,
    evaluator: Any,
    settings: FeatureHistorySettings | None = None,
    top_k: int = 2,
    seed: int = 0,
    on_cell: Callable[[int, int], None] | None = None,
) -> SampleSearchResult:
    """Estimate every cell of ``archs`` with ``settings`` (E epochs of training each), fully
    train the ``top_k`` best estimates with ``evaluator`` (a :class:`LiveCurveEvaluator`) and
    return the best of them. ``on_cell(done, total)`` is called as estimates finish."""
    if top_k < 1:
        raise ConfigurationError(f"top_k must be >= 1, got {top_k}")
    tick = time.perf_counter()
    device = getattr(evaluator, "device", "cpu")  # the estimates train where the full runs do
    rows = estimate_cells(config, archs, executor, settings, seed, device, on_cell)
    est_s = time.perf_counter() - tick
    ranked = sorted(
        (r for r in rows if r.get("estimate") is not None),
        key=lambda r: r["estimate"],
        reverse=True,
    )
    top = [r["arch"] for r in ranked[:top_k]]
    before = evaluator.seconds_used
    runs = evaluator.advance([(a, evaluator.max_epochs) for a in top])
    finals = {
        a: float(r.last) for a, r in zip(top, runs, strict=True) if not isinstance(r, Exception)
    }
    best = max(finals, key=finals.get) if finals else None
    return SampleSearchResult(
        best,
        finals.get(best) if best else None,
        rows,
        finals,
        est_s,
        evaluator.seconds_used - before,
    )


def finish_times(costs: Sequence[float], workers: int) -> list[float]:
    """When each job ends, run in order on ``workers`` (each job to the first free worker)."""
    import heapq

    free = [0.0] * workers
    ends = []
    for c in costs:
        t = heapq.heappop(free) + c
        ends.append(t)
        heapq.heappush(free, t)
    return ends


def sample_and_estimate_curves(
    evaluator: Any,
    archs: Sequence[Hashable],
    epochs: int,
    top_k: int = 2,
    estimator: str = "sotl-e",
    workers: int = 2,
) -> SampleSearchResult:
    """Sample-and-estimate in simulated time on a benchmark's learning curves.

    Every candidate of ``archs`` is trained for ``epochs`` through ``evaluator`` (a
    :class:`TabularCurveEvaluator`: the cost is the table's recorded time), ranked by the
    learning-curve predictor ``estimator`` at that fidelity (one that needs no training data:
    ``early-stop-acc``, ``early-stop-loss``, ``sotl``, ``sotl-e`` or ``lce``), and the ``top_k``
    best are trained to the end. The seconds are the makespan on ``workers`` parallel workers.
    Feature histories need live training (:func:`sample_and_estimate`); the tables hold none.
    """
    from ..predictors import make_predictor

    if top_k < 1 or workers < 1:
        raise ConfigurationError(f"top_k and workers must be >= 1, got {top_k} and {workers}")
    if not 1 <= epochs < evaluator.max_epochs:
        raise ConfigurationError(
            f"the short budget must be 1..{evaluator.max_epochs - 1} epochs, got {epochs}"
        )
    predictor = make_predictor(estimator, fidelity=epochs)
    if predictor.capabilities().requires.targets:
        raise ConfigurationError(
            f"{estimator} learns from fully trained curves; sample-and-estimate needs an "
            "estimator that needs none: early-stop-acc, early-stop-loss, sotl, sotl-e or lce"
        )
    predictor.fit([])

    def timed(jobs: list[tuple[Hashable, int]]) -> tuple[list[Any], list[float]]:
        runs, costs = [], []
        for job in jobs:  # one at a time, to know each job's cost
            before = evaluator.seconds_used
            runs += evaluator.advance([job])
            costs.append(evaluator.seconds_used - before)
        return runs, costs

    runs, costs = timed([(a, epochs) for a in archs])
    ok = [r for r in runs if not isinstance(r, Exception)]
    scores = predictor.predict([r.record() for r in ok]) if ok else []
    rows: dict[Hashable, dict[str, Any]] = {
        a: {"arch": a, "status": RunStatus.FAILED, "estimate": None, "reason": str(r)}
        for a, r in zip(archs, runs, strict=True)
        if isinstance(r, Exception)
    }
    for r, s in zip(ok, scores, strict=True):
        rows[r.arch] = {"arch": r.arch, "status": RunStatus.OK, "estimate": float(s)}
    top = sorted(ok, key=lambda r: rows[r.arch]["estimate"], reverse=True)[:top_k]
    full, full_costs = timed([(r.arch, evaluator.max_epochs) for r in top])
    finals = {r.arch: r.last for r in full if not isinstance(r, Exception)}
    best = max(finals, key=finals.get) if finals else None
    return SampleSearchResult(
        best,
        finals.get(best) if best is not None else None,
        [rows[a] for a in archs],
        finals,
        max(finish_times(costs, workers), default=0.0),
        max(finish_times(full_costs, workers), default=0.0),
    )
