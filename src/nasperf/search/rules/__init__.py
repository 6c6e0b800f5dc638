"""Early-stopping rules asked at checkpoints: Baker et al.'s and the median rule."""

from __future__ import annotations

from ._rules import (
    CURVE_MODELS,
    BakerRule,
    MedianRule,
    StoppingRule,
    check_delta,
    default_checkpoints,
    dense_checkpoints,
    probability_at_least,
)

__all__ = [
    "StoppingRule",
    "BakerRule",
    "MedianRule",
    "CURVE_MODELS",
    "default_checkpoints",
    "dense_checkpoints",
    "check_delta",
    "probability_at_least",
]
