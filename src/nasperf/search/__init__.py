"""Search: strategies, early-stopping rules and curve evaluators.

Strategies (:func:`random_search`, :func:`successive_halving`, :func:`hyperband`, :func:`asha`)
ask a :class:`CurveEvaluator` to bring runs to an epoch and never see how: a
:class:`TabularCurveEvaluator` reads a benchmark's curves in simulated time, a
:class:`LiveCurveEvaluator` trains for real on a :mod:`nasperf.execution` executor. A
:class:`StoppingRule` (:class:`BakerRule`, :class:`MedianRule`) stops runs that cannot win.
"""

from __future__ import annotations

from ._evaluators import CurveEvaluator, LiveCurveEvaluator, TabularCurveEvaluator, TrainingFailed
from ._multifidelity import (
    SearchResult,
    TracePoint,
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
from ._sampling import (
    SampleSearchResult,
    estimate_cells,
    sample_and_estimate,
    sample_and_estimate_curves,
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
    "check_delta",
    "probability_at_least",
    "stop_check",
    "Decision",
    "STOP",
    "CONTINUE",
    "DONE",
    "SearchResult",
    "TracePoint",
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
    "sample_and_estimate",
    "sample_and_estimate_curves",
    "SampleSearchResult",
]
