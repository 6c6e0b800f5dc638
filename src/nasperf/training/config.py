"""The settings of one training run (:class:`TrainConfig`); plain Python, no torch needed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from ..validation import Interval, Options, validate_dataclass

__all__ = ["TrainConfig", "OPTIMIZERS", "SCHEDULES", "SCHEDULE_UNITS"]

#: optimizer names: SGD with Nesterov momentum, Adam and AdamW (both with default betas)
OPTIMIZERS = ("sgd", "adam", "adamw")
#: learning-rate schedules: cosine annealing to 0, or a constant rate
SCHEDULES = ("cosine", "constant")
#: how often the cosine schedule moves: once per epoch or after every optimizer step
SCHEDULE_UNITS = ("epoch", "step")


@dataclass(frozen=True)
class TrainConfig:
    """How to train one network; the defaults follow NAS-Bench-201's recipe.

    NB201 trains with SGD (Nesterov momentum 0.9, weight decay 5e-4, lr 0.1, batch 256) and
    anneals the learning rate to 0 with a cosine schedule. ``schedule_unit="epoch"`` moves the
    rate once per epoch (epoch ``e`` of ``E`` uses ``lr * (1 + cos(pi * e / E)) / 2``);
    ``"step"`` moves it after every optimizer step, as NB201 does, so the rate reaches 0 at
    the end of the last epoch. ``momentum`` is SGD's (0 gives plain SGD without Nesterov;
    Adam and AdamW ignore it). ``grad_clip`` clips the global gradient norm;
    ``eval_batch_size`` (default ``batch_size``) only changes how evaluation is batched;
    ``num_threads`` sets torch's intra-op threads during :meth:`Trainer.fit` (restored after).
    The run is a function of ``seed`` (data order, dropout); weight initialisation is the
    caller's business (see :func:`~nasperf.training.seeded`). Bad values raise
    ConfigurationError when the config is made.
    """

    optimizer: str = "sgd"
    lr: float = 0.1
    weight_decay: float = 5e-4
    momentum: float = 0.9
    batch_size: int = 256
    epochs: int = 12
    schedule: str = "cosine"
    schedule_unit: str = "epoch"
    label_smoothing: float = 0.0
    grad_clip: float | None = None
    eval_batch_size: int | None = None
    seed: int = 0
    num_threads: int | None = None

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "optimizer": [Options(OPTIMIZERS)],
        "lr": [Interval(float, 0.0, None, closed="neither")],
        "weight_decay": [Interval(float, 0.0, None)],
        "momentum": [Interval(float, 0.0, 1.0, closed="left")],
        "batch_size": [Interval(int, 1, None)],
        "epochs": [Interval(int, 1, None)],
        "schedule": [Options(SCHEDULES)],
        "schedule_unit": [Options(SCHEDULE_UNITS)],
        "label_smoothing": [Interval(float, 0.0, 1.0, closed="left")],
        "grad_clip": [None, Interval(float, 0.0, None, closed="neither")],
        "eval_batch_size": [None, Interval(int, 1, None)],
        "seed": [Interval(int, 0, 2**63 - 1)],
        "num_threads": [None, Interval(int, 1, None)],
    }

    def __post_init__(self) -> None:
        validate_dataclass(self)

    @property
    def eval_batch(self) -> int:
        """The batch size used for evaluation."""
        return self.batch_size if self.eval_batch_size is None else self.eval_batch_size

    def to_dict(self) -> dict:
        """The settings as a JSON-safe dict (``TrainConfig(**d)`` rebuilds the config)."""
        return asdict(self)
