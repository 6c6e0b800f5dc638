"""Training-based estimators: train a candidate briefly and read more than its accuracy."""

from .feature_history import (
    VARIANTS,
    FeatureHistoryEstimator,
    FeatureHistoryResult,
    proxy_accuracy,
)

__all__ = ["VARIANTS", "FeatureHistoryEstimator", "FeatureHistoryResult", "proxy_accuracy"]
