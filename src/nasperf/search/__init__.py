"""Search: schedulers decide, backends execute, one loop with one clock joins them.

- :class:`SearchSpec` describes a search on a table or live, with its rule and fitness;
  :func:`run_spec` runs one seed, :func:`run_seeds` many (journalled, on any executor).
- The loop (:func:`run_search`) asks a :class:`Scheduler` for :class:`Job` s, hands them to a
  backend and asks a stopping rule at its checkpoints; it returns a :class:`SearchResult`.
- :mod:`nasperf.search.schedulers` (random, SH, Hyperband, ASHA, RE, LS, BANANAS, NPENAS,
  MetaQNN), :mod:`nasperf.search.backends` (:class:`TabularBackend`, :class:`LiveBackend`, the
  estimate backends) and :mod:`nasperf.search.rules` (:class:`BakerRule`, :class:`MedianRule`).
- :data:`STRATEGIES` and :data:`RULES` name them (:mod:`nasperf.search.strategies`).

This package exports what a user of searches needs; the parts for those who extend them
(``ExecutorBackend``, ``EstimateBackend``, ``bracket_cost``, ...) are in its subpackages, the
journal rows of results (``result_row``) in :mod:`nasperf.search.spec`.
"""

from __future__ import annotations

from ._fitness import (
    estimate_cells,
    estimate_then_train,
    sample_and_estimate,
    sample_and_estimate_curves,
)
from ._loop import Scheduler, SearchState, run_search
from ._results import (
    ShownMetric,
    anytime,
    plot_anytime,
    records_time,
    summarise,
    write_results,
)
from ._types import Job, Run, SchedulerError, SearchResult, TracePoint
from .backends import (
    Backend,
    Event,
    LiveBackend,
    LiveEstimateBackend,
    TabularBackend,
)
from .rules import (
    BakerRule,
    MedianRule,
    StoppingRule,
    check_delta,
    default_checkpoints,
    dense_checkpoints,
    probability_at_least,
)
from .schedulers import (
    ASHA,
    BANANAS,
    NPENAS,
    Hyperband,
    LocalSearch,
    MetaQNN,
    RandomSearch,
    RegularizedEvolution,
    SuccessiveHalving,
    asha,
    hyperband,
    metaqnn_schedule,
    permuted,
    random_search,
    successive_halving,
)
from .spec import (
    LiveRuns,
    SearchSpec,
    run_seeds,
    run_spec,
)
from .strategies import (
    RULES,
    STRATEGIES,
    make_rule,
    make_scheduler,
    minimum_budget,
    strategy_class,
)

__all__ = [
    # a search as data, and its seeds
    "SearchSpec",
    "LiveRuns",
    "run_spec",
    "run_seeds",
    "STRATEGIES",
    "RULES",
    "make_scheduler",
    "make_rule",
    "strategy_class",
    "minimum_budget",
    "anytime",
    "plot_anytime",
    "summarise",
    "ShownMetric",
    "write_results",
    "records_time",
    # the loop and its types
    "run_search",
    "Scheduler",
    "SearchState",
    "Job",
    "Run",
    "SearchResult",
    "TracePoint",
    "SchedulerError",
    # schedulers
    "RandomSearch",
    "SuccessiveHalving",
    "Hyperband",
    "ASHA",
    "RegularizedEvolution",
    "LocalSearch",
    "BANANAS",
    "NPENAS",
    "MetaQNN",
    "metaqnn_schedule",
    "permuted",
    "random_search",
    "successive_halving",
    "hyperband",
    "asha",
    # backends
    "Backend",
    "Event",
    "TabularBackend",
    "LiveBackend",
    "LiveEstimateBackend",
    # stopping rules
    "StoppingRule",
    "BakerRule",
    "MedianRule",
    "default_checkpoints",
    "dense_checkpoints",
    "check_delta",
    "probability_at_least",
    # short-budget fitness drivers
    "estimate_then_train",
    "estimate_cells",
    "sample_and_estimate",
    "sample_and_estimate_curves",
]
