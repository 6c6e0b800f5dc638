"""Short-budget estimates as a search's fitness (Cao et al. 2021, arXiv:2103.04450): the drivers.

Any scheduler runs on an :class:`~nasperf.search.backends.EstimateBackend` (a query is a
short-budget estimate); :func:`estimate_then_train` then trains its top k candidates by estimate
to the end on a full backend and returns the best. Sample-and-estimate is random search
configured this way (:func:`sample_and_estimate`, :func:`sample_and_estimate_curves`);
:func:`estimate_cells` estimates a fixed list of cells on an executor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import ConfigurationError
from ..predictors.training_based import FeatureHistorySettings
from ..validation import Interval, validate_arguments
from ._loop import Scheduler, run_search
from .backends import (
    Backend,
    EstimateBackend,
    EstimateTask,
    LiveEstimateBackend,
    ShortBudgetBackend,
    estimate_cell,
    failed_estimate,
)

__all__ = [
    "estimate_cells",
    "SampleSearchResult",
    "estimate_then_train",
    "sample_and_estimate",
    "sample_and_estimate_curves",
]

logger = logging.getLogger(__name__)

_TOP_K = {"top_k": [Interval(int, 1, None)]}


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
    for outcome in executor.map_unordered(estimate_cell, tasks, retries=1):
        arch = outcome.item.arch
        rows[arch] = outcome.result if outcome.ok else failed_estimate(arch, outcome.error)
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


@validate_arguments({**_TOP_K, "workers": [Interval(int, 1, None)]})
def estimate_then_train(
    scheduler: Scheduler,
    estimates: EstimateBackend,
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
    from .schedulers import RandomSearch

    run_search(scheduler, estimates, workers=workers, budget_epochs=budget, seed=seed)
    estimates.close()  # its workers' results are all in
    est_s = estimates.now
    rows = estimates.rows
    scored = [a for a, r in rows.items() if r.get("estimate") is not None]
    top = sorted(scored, key=lambda a: rows[a]["estimate"], reverse=True)[:top_k]
    start = full.now if estimates.shares_clock_with(full) else 0.0
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


@validate_arguments(_TOP_K)
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
    from .schedulers import RandomSearch

    # the estimates train where the full runs do
    estimates = LiveEstimateBackend(config, executor, settings, seed, backend.device)
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


@validate_arguments({**_TOP_K, "workers": [Interval(int, 1, None)]})
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
    from .schedulers import RandomSearch

    estimates = ShortBudgetBackend(backend, estimator, epochs)
    found = estimate_then_train(
        RandomSearch(list(archs)), estimates, backend, top_k, workers=workers
    )
    found.estimates = [estimates.rows[a] for a in archs if a in estimates.rows]
    return found
