"""Performance predictors behind one contract (see :mod:`nasperf.predictors.base`).

The names are imported on first use, so a light submodule (the feature-history settings, the
zero-cost table) can be imported without scikit-learn's start-up cost.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Predictor": ".base",
    "EncodingPredictor": ".base",
    "Requirements": ".base",
    "Capabilities": ".base",
    "ColumnBaseline": ".baselines",
    "PREDICTORS": ".registry",
    "get_predictor_class": ".registry",
    "make_predictor": ".registry",
    "predictor_names": ".registry",
    "split_params": ".registry",
}

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
    "split_params",
]

if TYPE_CHECKING:  # pragma: no cover
    from .base import Capabilities, EncodingPredictor, Predictor, Requirements
    from .baselines import ColumnBaseline
    from .registry import (
        PREDICTORS,
        get_predictor_class,
        make_predictor,
        predictor_names,
        split_params,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
