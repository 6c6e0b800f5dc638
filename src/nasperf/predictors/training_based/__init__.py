"""Training-based estimators: train a candidate briefly and read more than its accuracy.

:class:`FeatureHistorySettings` and the estimator import without scikit-learn's start-up cost;
:class:`FeatureHistoryPredictor` (the Predictor contract) is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .fear import (
    FEAR_METRICS,
    FearEstimator,
    FearResult,
    FearSettings,
    TimeRatioRule,
    calibrate_threshold,
    frozen_except,
    tail_modules,
)
from .feature_history import (
    VARIANTS,
    FeatureHistoryEstimator,
    FeatureHistoryResult,
    FeatureHistorySettings,
    proxy_accuracy,
)

__all__ = [
    "FEAR_METRICS",
    "FearEstimator",
    "FearPredictor",
    "FearResult",
    "FearSettings",
    "TimeRatioRule",
    "calibrate_threshold",
    "frozen_except",
    "tail_modules",
    "VARIANTS",
    "FeatureHistoryEstimator",
    "FeatureHistoryPredictor",
    "FeatureHistoryResult",
    "FeatureHistorySettings",
    "proxy_accuracy",
]

if TYPE_CHECKING:  # pragma: no cover
    from ._predictor import FearPredictor, FeatureHistoryPredictor


def __getattr__(name: str) -> Any:
    if name in ("FeatureHistoryPredictor", "FearPredictor"):
        from . import _predictor

        return getattr(_predictor, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
