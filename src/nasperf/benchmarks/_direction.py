"""Which way a curves file's metric is better, and when a run's metric has exploded.

*Direction* (:func:`named_direction`, :class:`Trend`): a metric's name settles it when one of its
words is a known one (:data:`MINIMISED_WORDS`: ``val_loss``, ``top1_err``, ``valid_mse`` ...;
:data:`MAXIMISED_WORDS`: ``val_acc``, ``roc_auc``, ``f1`` ...) and none of the other kind; else
its runs settle it when at least :data:`TREND_SHARE` of them (and :data:`TREND_MIN_RUNS` at
least) clearly fall from their first to their last value (a loss: minimised) or clearly rise
(maximised); else nobody can tell, and the reader asks for ``--minimize`` or ``--maximize``.

*Explosion* (:func:`typical_start`, :func:`explosion_limit`): a value larger in magnitude than
:data:`EXPLOSION_FACTOR` times both the run's own first value and the study's typical first
value (the median over runs, in magnitude). A minimised metric that explodes has diverged: the
reader reads such a value as infinite, as if the run had reported inf there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..predictors.learning_curve import MAXIMISED_WORDS, MINIMISED_WORDS, named_direction

__all__ = [
    "MAXIMISED_WORDS",
    "MINIMISED_WORDS",
    "TREND_SHARE",
    "TREND_CHANGE",
    "TREND_MIN_RUNS",
    "EXPLOSION_FACTOR",
    "Trend",
    "named_direction",
    "typical_start",
    "explosion_limit",
]

#: the share of runs that must go one way for the values to settle the direction
TREND_SHARE = 0.8
#: a run goes one way when its last value differs from its first by more than this share of
#: the larger of the two (in magnitude)
TREND_CHANGE = 0.02
#: the runs (of at least two finite values, none exploded) needed for the values to settle it
TREND_MIN_RUNS = 3
#: how many times the typical first value (and the run's own) a value must exceed to explode
EXPLOSION_FACTOR = 1e3


@dataclass(frozen=True)
class Trend:
    """How many runs clearly fall and clearly rise from their first value to their last."""

    falls: int
    rises: int
    runs: int

    @classmethod
    def of(cls, curves: Iterable[np.ndarray]) -> Trend:
        """The trend of ``curves`` (each a run's finite values in epoch order; those of fewer
        than two values are not counted)."""
        falls = rises = runs = 0
        for values in curves:
            if len(values) < 2:
                continue
            first, last = float(values[0]), float(values[-1])
            change = last - first
            scale = max(abs(first), abs(last))
            runs += 1
            if change < -TREND_CHANGE * scale:
                falls += 1
            elif change > TREND_CHANGE * scale:
                rises += 1
        return cls(falls, rises, runs)

    def direction(self) -> bool | None:
        """True when the runs settle a metric to minimise, False one to maximise, else None."""
        if self.runs < TREND_MIN_RUNS:
            return None
        if self.falls >= TREND_SHARE * self.runs:
            return True
        if self.rises >= TREND_SHARE * self.runs:
            return False
        return None

    def line(self) -> str:
        """``falls in 38, rises in 1 of 40 runs``."""
        return f"falls in {self.falls}, rises in {self.rises} of {self.runs} runs"


def typical_start(firsts: np.ndarray, values: np.ndarray) -> float:
    """The study's typical magnitude: the median of the runs' first values (``firsts``, in
    magnitude); where that is 0, the median nonzero magnitude of all ``values``; 0 if none."""
    firsts = np.abs(firsts[np.isfinite(firsts)])
    typical = float(np.median(firsts)) if len(firsts) else 0.0
    if typical > 0:
        return typical
    nonzero = np.abs(values[np.isfinite(values) & (values != 0)])
    return float(np.median(nonzero)) if len(nonzero) else 0.0


def explosion_limit(own_first: np.ndarray, typical: float) -> np.ndarray:
    """The magnitude above which a value has exploded, for runs whose first values are
    ``own_first``: :data:`EXPLOSION_FACTOR` times the larger of that (in magnitude) and the
    study's ``typical`` one; inf where both are 0 or unknown (nothing explodes)."""
    own = np.abs(np.asarray(own_first, dtype=np.float64))
    reference = np.maximum(typical, np.where(np.isfinite(own), own, 0.0))
    return np.where(reference > 0, EXPLOSION_FACTOR * reference, np.inf)
