"""Learning-curve predictors: estimate the final accuracy from the first epochs of a run."""

from ._common import (
    CurvePredictor,
    curve_from_steps,
    lower_is_better,
    metric_range,
    observed_curves,
    within_range,
)
from ._lce import CURVE_FAMILIES, LCEPredictor, extrapolate_curve
from ._lce_m import CurvePosterior, LCEMPredictor, sample_curve_posterior
from ._rank import RankMap
from ._simple import EarlyStopPredictor, SoTLPredictor
from ._srm import ARCH_COLUMNS, SequentialRegressionPredictor, curve_features

__all__ = [
    "CurvePredictor",
    "EarlyStopPredictor",
    "SoTLPredictor",
    "LCEPredictor",
    "LCEMPredictor",
    "CurvePosterior",
    "sample_curve_posterior",
    "SequentialRegressionPredictor",
    "CURVE_FAMILIES",
    "extrapolate_curve",
    "curve_features",
    "curve_from_steps",
    "lower_is_better",
    "metric_range",
    "within_range",
    "observed_curves",
    "ARCH_COLUMNS",
    "RankMap",
]
