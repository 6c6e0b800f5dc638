"""Backends: they execute what a scheduler decided. :class:`TabularBackend` replays a table in
simulated time, :class:`LiveBackend` trains on an executor; the estimate backends
(:class:`EstimateBackend`) answer a query with a short-budget estimate."""

from __future__ import annotations

from ._base import Backend, Event, ExecutorBackend
from ._estimates import (
    EstimateBackend,
    EstimateTask,
    LiveEstimateBackend,
    ShortBudgetBackend,
    estimate_cell,
    failed_estimate,
    first_epoch_accuracy,
)
from ._live import LiveBackend
from ._tabular import TEST_COLUMNS, TabularBackend

__all__ = [
    "Backend",
    "Event",
    "TabularBackend",
    "ExecutorBackend",
    "LiveBackend",
    "TEST_COLUMNS",
    "EstimateBackend",
    "ShortBudgetBackend",
    "LiveEstimateBackend",
    "EstimateTask",
    "estimate_cell",
    "failed_estimate",
    "first_epoch_accuracy",
]
