"""Training-based estimators: train a candidate briefly and read more than its accuracy.

:class:`FeatureHistorySettings` and the estimator import without scikit-learn's start-up cost;
:class:`FeatureHistoryPredictor` (the Predictor contract) is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .feature_history import (
    VARIANTS,
    FeatureHistoryEstimator,
    FeatureHistoryResult,
    FeatureHistorySettings,
    proxy_accuracy,
)

__all__ = [
    "VARIANTS",
    "FeatureHistoryEstimator",
    "FeatureHistoryPredictor",
    "FeatureHistoryResult",
    "FeatureHistorySettings",
    "proxy_accuracy",
]

if TYPE_CHECKING:  # pragma: no cover
    from ._predictor import FeatureHistoryPredictor


def __getattr__(name: str) -> Any:
    if name == "FeatureHistoryPredictor":
        from ._predictor import FeatureHistoryPredictor

        return FeatureHistoryPredictor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
