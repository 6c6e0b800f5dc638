"""Column baselines: a numeric column (params, FLOPs, a proxy, a short-run accuracy) as score."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..records import Record, scores_of
from ..validation import InstanceOf, Options
from .base import Predictor, Requirements

__all__ = ["ColumnBaseline", "parse_column", "LOWER_IS_BETTER"]

#: the mark before a column name where lower is better: ``col:-latency``
LOWER_IS_BETTER = "-"


def parse_column(spec: str) -> tuple[str, float]:
    """The column and sign of a column baseline's ``spec``: ``NAME`` (higher is better,
    sign 1) or ``-NAME`` (lower is better: losses, latency; sign -1)."""
    if spec.startswith(LOWER_IS_BETTER):
        return spec[len(LOWER_IS_BETTER) :], -1.0
    return spec, 1.0


class ColumnBaseline(Predictor):
    """Score each candidate by one of its numeric columns; needs no training data.

    ``sign=-1`` flips columns where lower is better (latency, loss); by name that is
    ``col:-NAME``.
    """

    family = "baseline"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "column": [InstanceOf(str, "a column name")],
        "sign": [Options((1.0, -1.0))],
    }

    def __init__(self, column: str = "params_m", sign: float = 1.0) -> None:
        self.column = column
        self.sign = sign

    def _requirements(self) -> Requirements:
        return Requirements(scores=(self.column,), targets=False)

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        return None

    def _predict(self, records: list[Record]) -> np.ndarray:
        values = self.sign * scores_of(records, self.column, allow_inf=True)
        return _finite_ranks_kept(values)


def _finite_ranks_kept(values: np.ndarray) -> np.ndarray:
    """Replace -inf/+inf by values just below/above the finite range, keeping the order.

    Published proxy tables hold -inf where a log-determinant is of a singular matrix; the
    candidate is then the worst, which this keeps, while predictions stay finite.
    """
    inf = np.isinf(values)
    if not inf.any():
        return values
    finite = values[~inf]
    lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 0.0)
    gap = max(hi - lo, 1.0)
    out = values.copy()
    out[values == -np.inf] = lo - gap
    out[values == np.inf] = hi + gap
    return out
