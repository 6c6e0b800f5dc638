"""Learning-curve baselines that need no training data: early-stop values, SoTL, SoTL-E and
SoTL-EMA."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ...records import Record
from ...validation import Interval
from ._common import CURVE_CONSTRAINTS, CurvePredictor, lower_is_better

__all__ = ["EarlyStopPredictor", "SoTLPredictor", "moving_average"]


class EarlyStopPredictor(CurvePredictor):
    """The last observed value of a curve as the estimate (White et al.'s early stop).

    ``curve="val_acc"`` scores by the accuracy at epoch ``fidelity``; ``curve="val_loss"`` (or
    any loss or error, see :func:`lower_is_better`) by minus the loss, so higher is still
    better; ``-val_loss`` (a negated loss) as it is.
    """

    def __init__(self, fidelity: int = 5, curve: str = "val_acc") -> None:
        self.fidelity = fidelity
        self.curve = curve

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        return None

    def _predict(self, records: list[Record]) -> np.ndarray:
        last = self._observed(records, self.curve)[:, -1]
        return -last if lower_is_better(self.curve) else last


class SoTLPredictor(CurvePredictor):
    """Sum of training losses (Ru et al. 2021): minus the training loss summed over epochs.

    ``window=None`` sums every observed epoch (SoTL); ``window=E`` sums the last E epochs only
    (SoTL-E; White et al. use E=1, the last epoch's training loss). ``ema=mu`` first replaces
    each epoch's loss by its exponential moving average, ``m_1 = L_1`` and
    ``m_t = (1 - mu) m_(t-1) + mu L_t``, and sums those (SoTL-EMA; NASLib's ``soloss.py`` uses
    mu = 0.99, the weight of the newest epoch). A higher-is-better curve (``train_acc``, see
    :func:`lower_is_better`) is summed as it is instead of negated, so higher stays better.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CURVE_CONSTRAINTS,
        "window": [None, Interval(int, 1, None)],
        "ema": [None, Interval(float, 0.0, 1.0, closed="right")],
    }

    def __init__(
        self,
        fidelity: int = 5,
        window: int | None = None,
        curve: str = "train_loss",
        ema: float | None = None,
    ) -> None:
        self.fidelity = fidelity
        self.window = window
        self.curve = curve
        self.ema = ema

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        return None

    def _predict(self, records: list[Record]) -> np.ndarray:
        losses = self._observed(records, self.curve)
        if self.ema is not None:
            losses = moving_average(losses, float(self.ema))
        if self.window is not None:
            losses = losses[:, -self.window :]
        total = losses.sum(axis=1)
        return -total if lower_is_better(self.curve) else total


def moving_average(values: np.ndarray, weight: float) -> np.ndarray:
    """The exponential moving average along each row: the first value, then
    ``(1 - weight) * previous average + weight * value`` at every later epoch."""
    out = np.array(values, dtype=np.float64, copy=True)
    for t in range(1, out.shape[-1]):
        out[..., t] = (1.0 - weight) * out[..., t - 1] + weight * out[..., t]
    return out
