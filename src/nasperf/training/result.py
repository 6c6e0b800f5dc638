"""What one training run produced (:class:`TrainResult`); plain Python, no torch needed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from ..store import json_float

__all__ = ["TrainResult", "RunStatus", "CURVES", "STATUSES"]

#: the per-epoch curves every run records, in this order
CURVES = ("train_loss", "train_acc", "val_loss", "val_acc", "epoch_time", "lr")


class RunStatus(str, Enum):
    """How a run ended; a ``str``, so ``RunStatus.OK == "ok"`` and JSON writes ``"ok"``.

    ``OK``: trained to the end or stopped by a callback; ``DIVERGED``: a loss became NaN or
    infinite; ``FAILED``: the model raised an error (e.g. out of memory) during an epoch;
    ``PAUSED``: ``fit(until=k)`` stopped after epoch k, to be continued from its checkpoint.
    """

    OK = "ok"
    DIVERGED = "diverged"
    FAILED = "failed"
    PAUSED = "paused"

    def __str__(self) -> str:
        return self.value


#: the values of :class:`RunStatus`, in its order
STATUSES = tuple(status.value for status in RunStatus)



@dataclass
class TrainResult:
    """The curves and summary of one :meth:`Trainer.fit <nasperf.training.Trainer.fit>` run.

    ``curves`` maps each name of :data:`CURVES` to a float64 array with one value per completed
    epoch: ``train_loss`` (the optimised loss, label smoothing included) and ``train_acc``
    (running over the epoch's batches, in train mode), ``val_loss`` (plain cross-entropy) and
    ``val_acc`` on the validation split in eval mode, ``epoch_time`` (wall seconds of training
    and evaluation, callbacks and checkpoints excluded) and ``lr`` (the rate of the epoch's
    first step). Accuracies are in percent, like the NAS-Bench-201 curves. An epoch whose
    loss was not finite is not recorded. ``test_acc`` and ``test_loss`` are measured once at
    the end of an ``ok`` run on a non-empty test split; ``total_time`` is the wall time of the
    whole run, summed over resumed sessions.
    """

    curves: dict[str, np.ndarray]
    status: RunStatus = RunStatus.OK
    reason: str = ""
    epochs_completed: int = 0
    total_time: float = 0.0
    best_val_acc: float | None = None
    final_val_acc: float | None = None
    test_acc: float | None = None
    test_loss: float | None = None

    @property
    def ok(self) -> bool:
        """Whether the run ended normally (status ``"ok"``)."""
        return self.status == RunStatus.OK

    def to_dict(self) -> dict:
        """A JSON-safe dict: curves as lists, non-finite numbers as None."""
        return {
            "curves": {
                name: [json_float(v) for v in np.asarray(values, dtype=np.float64)]
                for name, values in self.curves.items()
            },
            "status": str(self.status),
            "reason": self.reason,
            "epochs_completed": int(self.epochs_completed),
            "total_time": json_float(self.total_time),
            "best_val_acc": json_float(self.best_val_acc),
            "final_val_acc": json_float(self.final_val_acc),
            "test_acc": json_float(self.test_acc),
            "test_loss": json_float(self.test_loss),
        }

    @classmethod
    def from_dict(cls, data: dict) -> TrainResult:
        """Rebuild a result from :meth:`to_dict`'s output (None in a curve becomes NaN)."""
        curves = {
            name: np.array([np.nan if v is None else v for v in values], dtype=np.float64)
            for name, values in data["curves"].items()
        }
        fields = {k: data.get(k) for k in ("best_val_acc", "final_val_acc", "test_acc")}
        return cls(
            curves=curves,
            status=RunStatus(data["status"]),
            reason=data["reason"],
            epochs_completed=int(data["epochs_completed"]),
            total_time=float(data.get("total_time") or 0.0),
            test_loss=data.get("test_loss"),
            **fields,
        )
