"""Training-based estimators: train a candidate briefly and read more than its accuracy."""

from ._predictor import FeatureHistoryPredictor
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
