"""Metrics and the White et al. 2021 evaluation protocol."""

from ._trials import ROWS_FILE, SETTINGS_FILE, IncompleteEvaluationError
from .metrics import METRICS, RANK_METRICS, compute_metrics, interval_metrics
from .protocol import (
    WHITE_TRAIN_SIZES,
    EvaluationResult,
    ProtocolConfig,
    evaluate_predictors,
    missing_cause,
    predictor_pools,
    usable_pool,
)
from .report import pivot_metric, plot_result, save_result

__all__ = [
    "IncompleteEvaluationError",
    "ROWS_FILE",
    "SETTINGS_FILE",
    "METRICS",
    "RANK_METRICS",
    "compute_metrics",
    "interval_metrics",
    "WHITE_TRAIN_SIZES",
    "EvaluationResult",
    "ProtocolConfig",
    "evaluate_predictors",
    "usable_pool",
    "predictor_pools",
    "missing_cause",
    "pivot_metric",
    "plot_result",
    "save_result",
]
