"""Performance predictors behind one contract (see :mod:`nasperf.predictors.base`)."""

from .base import Capabilities, EncodingPredictor, Predictor, Requirements
from .baselines import ColumnBaseline
from .registry import PREDICTORS, get_predictor_class, make_predictor, predictor_names

__all__ = [
    "Predictor",
    "EncodingPredictor",
    "Requirements",
    "Capabilities",
    "ColumnBaseline",
    "PREDICTORS",
    "get_predictor_class",
    "make_predictor",
    "predictor_names",
]
