"""What the MNIST-1D examples share: the 1-D CNN and one trial's training with nasperf's Trainer.

Used by ``optuna_mnist1d.py`` and ``ray_tune_mnist1d.py`` (run them from any directory: Python
puts this folder on the path of a script in it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from torch import nn

from nasperf.data import ArrayDataset
from nasperf.training import Callback, TrainConfig, Trainer, TrainResult, seeded


def make_model(width: int, depth: int, length: int, classes: int) -> nn.Module:
    """``depth`` blocks of Conv1d(5) + BatchNorm + ReLU + MaxPool(2) with ``width`` channels."""
    layers: list[nn.Module] = []
    channels = 1
    for _ in range(depth):
        layers += [nn.Conv1d(channels, width, 5, padding=2), nn.BatchNorm1d(width), nn.ReLU()]
        layers.append(nn.MaxPool1d(2))
        channels = width
        length //= 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * length, classes))


def train_trial(
    params: Mapping[str, float],
    data: ArrayDataset,
    epochs: int,
    seed: int,
    callbacks: Sequence[Callback] = (),
) -> TrainResult:
    """Train the CNN of ``params`` (lr, weight_decay, width, depth) for ``epochs`` on ``data``."""
    with seeded(seed):
        model = make_model(
            int(params["width"]), int(params["depth"]), data.input_shape[-1], data.num_classes
        )
    config = TrainConfig(
        epochs=epochs,
        lr=float(params["lr"]),
        weight_decay=float(params["weight_decay"]),
        batch_size=128,
        seed=seed,
    )
    return Trainer(config, callbacks=list(callbacks)).fit(model, data)
