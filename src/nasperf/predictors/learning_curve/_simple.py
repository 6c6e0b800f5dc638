"""Learning-curve baselines that need no training data: early-stop values, SoTL and SoTL-E."""

from __future__ import annotations

import numpy as np

from ...exceptions import ConfigurationError
from ...records import Record
from ..base import Requirements
from ._common import CurvePredictor, check_fidelity

__all__ = ["EarlyStopPredictor", "SoTLPredictor"]


class EarlyStopPredictor(CurvePredictor):
    """The last observed value of a curve as the estimate (White et al.'s early stop).

    ``curve="val_acc"`` scores by the accuracy at epoch ``fidelity``; ``curve="val_loss"`` (or
    any ``*_loss``) by minus the loss, so higher is still better.
    """

    def __init__(self, fidelity: int = 5, curve: str = "val_acc") -> None:
        self.fidelity = fidelity
        self.curve = curve

    @property
    def requires(self) -> Requirements:
        return Requirements(curve=self.curve, fidelity=check_fidelity(self.fidelity), targets=False)

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        return None

    def _predict(self, records: list[Record]) -> np.ndarray:
        last = self._observed(records, self.curve)[:, -1]
        return -last if self.curve.endswith("loss") else last


class SoTLPredictor(CurvePredictor):
    """Sum of training losses (Ru et al. 2021): minus the training loss summed over epochs.

    ``window=None`` sums every observed epoch (SoTL); ``window=E`` sums the last E epochs only
    (SoTL-E; White et al. use E=1, the last epoch's training loss).
    """

    def __init__(self, fidelity: int = 5, window: int | None = None, curve: str = "train_loss"):
        self.fidelity = fidelity
        self.window = window
        self.curve = curve

    @property
    def requires(self) -> Requirements:
        return Requirements(curve=self.curve, fidelity=check_fidelity(self.fidelity), targets=False)

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        if self.window is not None and (not isinstance(self.window, int) or self.window < 1):
            raise ConfigurationError(f"window must be a positive int or None, got {self.window!r}")

    def _predict(self, records: list[Record]) -> np.ndarray:
        losses = self._observed(records, self.curve)
        if self.window is not None:
            losses = losses[:, -self.window :]
        return -losses.sum(axis=1)
