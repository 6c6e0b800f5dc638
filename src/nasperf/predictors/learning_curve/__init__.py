"""Learning-curve predictors: estimate the final accuracy from the first epochs of a run."""

from ._common import (
    MAXIMISED_WORDS,
    MINIMISED_WORDS,
    CurvePredictor,
    curve_from_steps,
    lower_is_better,
    metric_range,
    named_direction,
    observed_curves,
    within_range,
)
from ._lce import CURVE_FAMILIES, LCEPredictor, extrapolate_curve
from ._lce_m import CurvePosterior, LCEMPredictor, sample_curve_posterior
from ._pfn import CurveScale, PFNCurvePredictor
from ._prior import PriorStudies, sample_studies
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
    "named_direction",
    "MAXIMISED_WORDS",
    "MINIMISED_WORDS",
    "observed_curves",
    "ARCH_COLUMNS",
    "RankMap",
    "PFNCurvePredictor",
    "CurveScale",
    "PriorStudies",
    "sample_studies",
    "PFNSettings",
    "train_curve_pfn",
    "TrainingReport",
]


def __getattr__(name: str) -> object:
    """The PFN's network and training, imported on first use (they need torch)."""
    if name == "PFNSettings":
        from ._pfn_net import PFNSettings

        return PFNSettings
    if name in ("train_curve_pfn", "TrainingReport"):
        from . import _pfn_train

        return getattr(_pfn_train, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
