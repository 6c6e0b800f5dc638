"""Hybrid predictors: OMNI (White et al. 2021) and omni-cv, which combine an encoding with
zero-cost scores, early results and learning-curve features."""

from ._features import (
    FEATURE_GROUPS,
    FeatureSpec,
    FittedFeatures,
    early_columns,
    epochs_of,
    zero_cost_columns,
)
from ._omni import OMNIPredictor, OMNIXGBPredictor, feature_records
from ._stacked import OmniCVPredictor

__all__ = [
    "FEATURE_GROUPS",
    "FeatureSpec",
    "FittedFeatures",
    "OMNIPredictor",
    "OMNIXGBPredictor",
    "OmniCVPredictor",
    "early_columns",
    "epochs_of",
    "feature_records",
    "zero_cost_columns",
]
