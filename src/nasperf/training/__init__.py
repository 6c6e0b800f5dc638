"""Train classifiers on nasperf datasets: a lean, deterministic, resumable training loop.

>>> from nasperf.data import load_dataset
>>> from nasperf.spaces import get_space
>>> from nasperf.training import FeatureCapture, TrainConfig, Trainer, seeded
>>> data = load_dataset("digits")  # doctest: +SKIP
>>> with seeded(0):  # reproducible weights  # doctest: +SKIP
...     model = get_space("nb201").build(arch, C=8, N=1, in_channels=1)
>>> capture = FeatureCapture()  # doctest: +SKIP
>>> result = Trainer(TrainConfig(epochs=12), [capture]).fit(model, data)  # doctest: +SKIP
>>> result.curves["val_acc"], capture.val_features.shape  # doctest: +SKIP

:class:`TrainConfig`, :class:`TrainResult` and :class:`RunStatus` need only numpy; the other
names need torch (``pip install 'nasperf[torch]'``) and are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .config import OPTIMIZERS, SCHEDULE_UNITS, SCHEDULES, TrainConfig
from .result import CURVES, STATUSES, RunStatus, TrainResult

__all__ = [
    "TrainConfig",
    "TrainResult",
    "RunStatus",
    "Trainer",
    "make_optimizer",
    "learning_rate",
    "evaluate_batches",
    "Callback",
    "TrainerView",
    "FeatureCapture",
    "StopAfter",
    "seeded",
    "torch_threads",
    "resolve_device",
    "CURVES",
    "OPTIMIZERS",
    "SCHEDULES",
    "SCHEDULE_UNITS",
    "STATUSES",
]

_LAZY = {
    "Trainer": ".trainer",
    "make_optimizer": ".trainer",
    "learning_rate": ".trainer",
    "evaluate_batches": ".trainer",
    "Callback": "._callback",
    "TrainerView": "._callback",
    "FeatureCapture": ".callbacks",
    "StopAfter": ".callbacks",
    "seeded": "._utils",
    "torch_threads": "._utils",
    "resolve_device": "._utils",
}

if TYPE_CHECKING:  # pragma: no cover
    from ._callback import Callback, TrainerView
    from ._utils import resolve_device, seeded, torch_threads
    from .callbacks import FeatureCapture, StopAfter
    from .trainer import Trainer, evaluate_batches, learning_rate, make_optimizer


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nasperf.training' has no attribute {name!r}")
    from ..exceptions import require

    require("torch", "torch")
    return getattr(importlib.import_module(module, __name__), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
