"""The seam between the trainer and its callbacks: the :class:`Callback` hooks and the
:class:`TrainerView` they are handed.

:mod:`.trainer` calls the hooks and :mod:`.callbacks` implements them; both import this module
and neither imports the other.
"""

from __future__ import annotations

from abc import ABC
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from torch import nn

    from ..data.arrays import ArrayDataset
    from .config import TrainConfig
    from .result import TrainResult

__all__ = ["Callback", "TrainerView"]


class TrainerView(Protocol):
    """What a callback sees of the trainer running it.

    While a run is going, ``data`` is the :class:`~nasperf.data.ArrayDataset` trained on,
    ``device`` the device of the model's parameters, ``optimizer`` the optimizer and
    ``history`` the curves so far (lists, one value per completed epoch, keyed by
    :data:`~nasperf.training.CURVES`).
    """

    config: TrainConfig
    data: ArrayDataset | None
    device: torch.device | None
    optimizer: torch.optim.Optimizer | None
    history: dict[str, list[float]]


class Callback(ABC):  # noqa: B024 - every hook is optional
    """Base class of trainer callbacks; every hook does nothing unless overridden.

    ``epoch`` is the 0-based index of the epoch that just ended; ``logs`` holds that epoch's
    curve values (see :data:`~nasperf.training.CURVES`); ``trainer`` is the running trainer,
    seen through :class:`TrainerView`. A callback that keeps state across epochs should
    implement :meth:`state_dict` and :meth:`load_state_dict`, so that a run resumed from a
    checkpoint continues it.
    """

    def on_train_begin(self, trainer: TrainerView, model: nn.Module) -> None:
        """Called once before the first epoch of a (possibly resumed) run."""
        return None

    def on_validation_begin(self, trainer: TrainerView, model: nn.Module, epoch: int) -> None:
        """Called just before the trainer's validation pass of each epoch, so a callback can
        hook that pass (which runs in eval mode under no_grad) instead of running its own."""
        return None

    def on_validation_end(self, trainer: TrainerView, model: nn.Module, epoch: int) -> None:
        """Called right after that validation pass, also when it or a callback's
        :meth:`on_validation_begin` raised."""
        return None

    def on_epoch_end(
        self, trainer: TrainerView, model: nn.Module, epoch: int, logs: dict[str, float]
    ) -> bool | None:
        """Called after each completed epoch; return True to stop training after it."""
        return None

    def on_train_end(self, trainer: TrainerView, model: nn.Module, result: TrainResult) -> None:
        """Called once when the run is over, whatever its status."""
        return None

    def state_dict(self) -> dict[str, Any]:
        """State to keep in a checkpoint (tensors, numbers, strings, lists and dicts only)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state of :meth:`state_dict` when a run resumes from a checkpoint."""
        return None
