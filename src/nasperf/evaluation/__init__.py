"""Metrics and the White et al. 2021 evaluation protocol."""

from .metrics import METRICS, RANK_METRICS, compute_metrics
from .protocol import (
    WHITE_TRAIN_SIZES,
    EvaluationResult,
    ProtocolConfig,
    evaluate_predictors,
    usable_pool,
)
from .report import pivot_metric, plot_result, save_result

__all__ = [
    "METRICS",
    "RANK_METRICS",
    "compute_metrics",
    "WHITE_TRAIN_SIZES",
    "EvaluationResult",
    "ProtocolConfig",
    "evaluate_predictors",
    "usable_pool",
    "pivot_metric",
    "plot_result",
    "save_result",
]
