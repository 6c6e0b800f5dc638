"""A monotone map of a metric onto normal scores, fitted on training values.

The sequential regression models learn on curves and targets in whatever units a user's runs
report: accuracy in percent or as a fraction, a loss, a log-loss, minus a loss. A linear
rescaling changes nothing after standardisation, but a loss is heavy-tailed (a cell's first
validation loss can be 10,000 while good cells end near 0.1), and a regression on its raw values
is dominated by the few extreme runs. :class:`RankMap` replaces each value by the normal score of
its rank among the training values, so the model sees the same numbers for any strictly
increasing transform of the metric (percent or fraction, loss or log-loss). Values outside the
training range are extrapolated linearly from the outer tenth of the map, so the map stays
strictly increasing and never ties two runs that differ.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from ...exceptions import InvalidDataError

__all__ = ["RankMap", "orientation"]


def orientation(last: np.ndarray, y: np.ndarray) -> float:
    """+1 if the last observed values rise with the targets (accuracy), -1 if they fall (loss).

    Decided by the sign of their rank correlation on the training runs; +1 when it is zero or
    undefined (constant values), where the sign does not matter.
    """
    if len(y) < 2 or np.ptp(last) == 0 or np.ptp(y) == 0:
        return 1.0
    rl = np.argsort(np.argsort(last))
    ry = np.argsort(np.argsort(y))
    return -1.0 if float(np.corrcoef(rl, ry)[0, 1]) < 0 else 1.0


class RankMap:
    """Strictly increasing map from values to normal scores of their mid-ranks (see module doc)."""

    def __init__(self, values: np.ndarray, bounded: bool = False) -> None:
        self.bounded = bounded
        v = np.asarray(values, dtype=np.float64).ravel()
        if v.size == 0 or not np.all(np.isfinite(v)):
            raise InvalidDataError("a rank map needs at least one value, all finite")
        self.knots, counts = np.unique(v, return_counts=True)
        below = np.cumsum(counts) - counts
        self.scores = ndtri((below + 0.5 * counts) / v.size)
        self.low, self.high = self._slopes()

    def _slopes(self) -> tuple[float, float]:
        """Slopes (score per unit) of the linear tails, from the outer tenth of the knots."""
        k = len(self.knots)
        if k < 2:
            return 1.0, 1.0
        j = max(1, k // 10)
        low = (self.scores[j] - self.scores[0]) / (self.knots[j] - self.knots[0])
        high = (self.scores[-1] - self.scores[-1 - j]) / (self.knots[-1] - self.knots[-1 - j])
        return float(low), float(high)

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Normal scores of ``x`` (any shape)."""
        x = np.asarray(x, dtype=np.float64)
        flat = x.ravel()
        out = np.interp(flat, self.knots, self.scores)
        lo, hi = flat < self.knots[0], flat > self.knots[-1]
        below = (flat[lo] - self.knots[0]) * self.low
        above = (flat[hi] - self.knots[-1]) * self.high
        if self.bounded:
            below, above = np.tanh(below), np.tanh(above)
        out[lo] = self.scores[0] + below
        out[hi] = self.scores[-1] + above
        return out.reshape(x.shape)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """The values whose normal scores are ``z`` (the inverse of :meth:`transform`)."""
        if self.bounded:
            raise InvalidDataError("a bounded rank map has no inverse beyond its range")
        z = np.asarray(z, dtype=np.float64)
        flat = z.ravel()
        if len(self.knots) == 1:
            return (self.knots[0] + (flat - self.scores[0])).reshape(z.shape)
        out = np.interp(flat, self.scores, self.knots)
        lo, hi = flat < self.scores[0], flat > self.scores[-1]
        out[lo] = self.knots[0] + (flat[lo] - self.scores[0]) / self.low
        out[hi] = self.knots[-1] + (flat[hi] - self.scores[-1]) / self.high
        return out.reshape(z.shape)
