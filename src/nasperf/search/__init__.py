"""Search: schedulers on one loop, backends that train, and early-stopping rules.

A :class:`Scheduler` decides (:class:`RandomSearch`, :class:`SuccessiveHalving`,
:class:`Hyperband`, :class:`ASHA`, ...): it suggests the next :class:`Job` and hears each
result. A :class:`Backend` executes: :class:`TabularBackend` replays a benchmark in simulated
time, :class:`LiveBackend` trains on a :mod:`nasperf.execution` executor. :func:`run_search`
joins them with one clock and ``workers`` jobs in flight, and asks a :class:`StoppingRule`
(:class:`BakerRule`, :class:`MedianRule`) at its checkpoints whether a run can still win.
"""

from __future__ import annotations

from ._backends import (
    TEST_COLUMNS,
    Backend,
    Event,
    ExecutorBackend,
    LiveBackend,
    TabularBackend,
)
from ._loop import (
    Job,
    Scheduler,
    SchedulerError,
    SearchResult,
    SearchState,
    TracePoint,
    run_search,
)
from ._metaqnn import MetaQNN, metaqnn_schedule
from ._nas import ACQUISITIONS, BANANAS, NPENAS, LocalSearch, RegularizedEvolution, mutant
from ._sampling import (
    LiveEstimateBackend,
    SampleSearchResult,
    ShortBudgetBackend,
    estimate_cells,
    estimate_then_train,
    sample_and_estimate,
    sample_and_estimate_curves,
)
from ._schedulers import (
    ASHA,
    Hyperband,
    RandomSearch,
    SuccessiveHalving,
    asha,
    bracket_cost,
    check_budget,
    hyperband,
    hyperband_brackets,
    minimum_budget,
    permuted,
    random_search,
    successive_halving,
)
from ._seeds import (
    RULES,
    STRATEGIES,
    SearchSpec,
    anytime,
    fitness_result,
    make_rule,
    make_scheduler,
    plot_anytime,
    result_from_row,
    result_row,
    run_seeds,
    run_spec,
)
from ._stop_check import CONTINUE, DONE, STOP, Decision, stop_check
from ._stopping import (
    BakerRule,
    MedianRule,
    Run,
    StoppingRule,
    check_delta,
    default_checkpoints,
    dense_checkpoints,
    probability_at_least,
)

__all__ = [
    "Backend",
    "Event",
    "ExecutorBackend",
    "TabularBackend",
    "LiveBackend",
    "TEST_COLUMNS",
    "Job",
    "Scheduler",
    "SchedulerError",
    "SearchState",
    "SearchResult",
    "TracePoint",
    "run_search",
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
    "ACQUISITIONS",
    "mutant",
    "STRATEGIES",
    "RULES",
    "SearchSpec",
    "make_scheduler",
    "make_rule",
    "run_spec",
    "run_seeds",
    "fitness_result",
    "result_row",
    "result_from_row",
    "anytime",
    "plot_anytime",
    "Run",
    "StoppingRule",
    "BakerRule",
    "MedianRule",
    "default_checkpoints",
    "dense_checkpoints",
    "check_delta",
    "probability_at_least",
    "stop_check",
    "Decision",
    "STOP",
    "CONTINUE",
    "DONE",
    "random_search",
    "successive_halving",
    "hyperband",
    "hyperband_brackets",
    "bracket_cost",
    "minimum_budget",
    "check_budget",
    "asha",
    "permuted",
    "estimate_cells",
    "ShortBudgetBackend",
    "LiveEstimateBackend",
    "estimate_then_train",
    "sample_and_estimate",
    "sample_and_estimate_curves",
    "SampleSearchResult",
]
