"""The settings of one training run (:class:`TrainConfig`); plain Python, no torch needed."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..exceptions import ConfigurationError

__all__ = ["TrainConfig", "OPTIMIZERS", "SCHEDULES", "SCHEDULE_UNITS"]

#: optimizer names: SGD with Nesterov momentum, Adam and AdamW (both with default betas)
OPTIMIZERS = ("sgd", "adam", "adamw")
#: learning-rate schedules: cosine annealing to 0, or a constant rate
SCHEDULES = ("cosine", "constant")
#: how often the cosine schedule moves: once per epoch or after every optimizer step
SCHEDULE_UNITS = ("epoch", "step")


def _is_int(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def _is_number(value: object) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.integer, np.floating))
        and math.isfinite(value)
    )


def _choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigurationError(
            f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}; "
            f"e.g. TrainConfig({name}={choices[0]!r})"
        )


def _int_at_least(name: str, value: object, low: int, example: int) -> None:
    if not _is_int(value) or value < low:
        raise ConfigurationError(
            f"{name} must be an integer >= {low}, got {value!r}; e.g. TrainConfig({name}={example})"
        )


def _number_in(name: str, value: object, low: float, high: float, example: float) -> None:
    """Check ``low <= value < high`` (``high`` may be inf)."""
    if not _is_number(value) or not low <= value < high:
        bound = f"[{low:g}, {high:g})" if math.isfinite(high) else f">= {low:g}"
        raise ConfigurationError(
            f"{name} must be a finite number in {bound}, got {value!r}; "
            f"e.g. TrainConfig({name}={example})"
        )


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

    def __post_init__(self) -> None:
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("schedule", self.schedule, SCHEDULES)
        _choice("schedule_unit", self.schedule_unit, SCHEDULE_UNITS)
        if not _is_number(self.lr) or self.lr <= 0:
            raise ConfigurationError(
                f"lr must be a finite number > 0, got {self.lr!r}; e.g. TrainConfig(lr=0.1)"
            )
        _number_in("weight_decay", self.weight_decay, 0.0, math.inf, 5e-4)
        _number_in("momentum", self.momentum, 0.0, 1.0, 0.9)
        _int_at_least("batch_size", self.batch_size, 1, 256)
        _int_at_least("epochs", self.epochs, 1, 12)
        _number_in("label_smoothing", self.label_smoothing, 0.0, 1.0, 0.1)
        if self.grad_clip is not None and (not _is_number(self.grad_clip) or self.grad_clip <= 0):
            raise ConfigurationError(
                f"grad_clip must be None or a finite number > 0, got {self.grad_clip!r}; "
                "e.g. TrainConfig(grad_clip=5.0)"
            )
        if self.eval_batch_size is not None:
            _int_at_least("eval_batch_size", self.eval_batch_size, 1, 512)
        _int_at_least("seed", self.seed, 0, 0)
        if self.seed >= 2**63:
            raise ConfigurationError(f"seed must be below 2**63, got {self.seed}")
        if self.num_threads is not None:
            _int_at_least("num_threads", self.num_threads, 1, 1)

    @property
    def eval_batch(self) -> int:
        """The batch size used for evaluation."""
        return self.batch_size if self.eval_batch_size is None else self.eval_batch_size

    def to_dict(self) -> dict:
        """The settings as a JSON-safe dict (``TrainConfig(**d)`` rebuilds the config)."""
        return asdict(self)
