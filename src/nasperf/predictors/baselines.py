"""Column baselines: a numeric column (params, FLOPs, a proxy, a short-run accuracy) as score."""

from __future__ import annotations

import numpy as np

from ..records import Record, scores_of
from .base import Predictor, Requirements

__all__ = ["ColumnBaseline"]


class ColumnBaseline(Predictor):
    """Score each candidate by one of its numeric columns; needs no training data.

    ``sign=-1`` flips columns where lower is better (latency, loss).
    """

    family = "baseline"

    def __init__(self, column: str = "params_m", sign: float = 1.0) -> None:
        self.column = column
        self.sign = sign

    @property
    def requires(self) -> Requirements:
        return Requirements(scores=(self.column,), targets=False)

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        return None

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self.sign * scores_of(records, self.column)
