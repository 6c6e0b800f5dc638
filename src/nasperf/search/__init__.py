"""Search: strategies, early-stopping rules, curve evaluators and executors.

Strategies (:func:`random_search`, :func:`successive_halving`, :func:`hyperband`, :func:`asha`)
ask a :class:`CurveEvaluator` to bring runs to an epoch and never see how: a
:class:`TabularCurveEvaluator` reads a benchmark's curves in simulated time, a
:class:`LiveCurveEvaluator` trains for real on an executor. A :class:`StoppingRule`
(:class:`BakerRule`, :class:`MedianRule`) stops runs that cannot win.
:mod:`nasperf.search.executors` runs a picklable function over many items in this process, on a
pool of processes or on Ray, retrying tasks that raise or whose worker dies.
"""

from __future__ import annotations

from ._evaluators import CurveEvaluator, LiveCurveEvaluator, TabularCurveEvaluator, TrainingFailed
from ._multifidelity import (
    SearchResult,
    TracePoint,
    asha,
    hyperband,
    hyperband_brackets,
    permuted,
    random_search,
    successive_halving,
)
from ._sampling import (
    SampleSearchResult,
    estimate_cells,
    sample_and_estimate,
    sample_and_estimate_curves,
)
from ._stopping import (
    BakerRule,
    MedianRule,
    Run,
    StoppingRule,
    default_checkpoints,
    dense_checkpoints,
)
from .executors import EXECUTORS, Executor, LocalExecutor, RayExecutor, TaskOutcome, make_executor

__all__ = [
    "Executor",
    "LocalExecutor",
    "RayExecutor",
    "TaskOutcome",
    "EXECUTORS",
    "make_executor",
    "CurveEvaluator",
    "TabularCurveEvaluator",
    "LiveCurveEvaluator",
    "TrainingFailed",
    "Run",
    "StoppingRule",
    "BakerRule",
    "MedianRule",
    "default_checkpoints",
    "dense_checkpoints",
    "SearchResult",
    "TracePoint",
    "random_search",
    "successive_halving",
    "hyperband",
    "hyperband_brackets",
    "asha",
    "permuted",
    "estimate_cells",
    "sample_and_estimate",
    "sample_and_estimate_curves",
    "SampleSearchResult",
]
