"""Learning-curve baselines that need no training data: early-stop values, SoTL and SoTL-E."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ...records import Record
from ...validation import Interval
from ._common import CURVE_CONSTRAINTS, CurvePredictor, lower_is_better

__all__ = ["EarlyStopPredictor", "SoTLPredictor"]


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
    (SoTL-E; White et al. use E=1, the last epoch's training loss).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CURVE_CONSTRAINTS,
        "window": [None, Interval(int, 1, None)],
    }

    def __init__(self, fidelity: int = 5, window: int | None = None, curve: str = "train_loss"):
        self.fidelity = fidelity
        self.window = window
        self.curve = curve

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        return None

    def _predict(self, records: list[Record]) -> np.ndarray:
        losses = self._observed(records, self.curve)
        if self.window is not None:
            losses = losses[:, -self.window :]
        return -losses.sum(axis=1)
