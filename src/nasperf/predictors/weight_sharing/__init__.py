"""Weight-sharing predictors: an NB201 supernet trained once scores every cell.

:class:`OneShotPredictor` (``oneshot``) and :class:`RSWSPredictor` (``rs-ws``) follow the
Predictor contract; :class:`NB201Supernet`, :func:`train_supernet` and the scoring helpers
are the pieces (they need torch and are imported on first use).
:func:`nasperf.benchmarks.live_benchmark_records` gives a live benchmark's records with the data
they need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._predictor import (
    BN_MODES,
    LiveCells,
    OneShotPredictor,
    RSWSPredictor,
)

__all__ = [
    "OneShotPredictor",
    "RSWSPredictor",
    "LiveCells",
    "BN_MODES",
    "NB201Supernet",
    "SuperCell",
    "SupernetTraining",
    "SAMPLINGS",
    "path_of",
    "train_supernet",
    "recalibrate_bn",
    "accuracy",
]

_TORCH_NAMES = {
    "NB201Supernet",
    "SuperCell",
    "SupernetTraining",
    "SAMPLINGS",
    "path_of",
    "train_supernet",
    "recalibrate_bn",
    "accuracy",
}

if TYPE_CHECKING:  # pragma: no cover
    from ._supernet import (
        SAMPLINGS,
        NB201Supernet,
        SuperCell,
        SupernetTraining,
        accuracy,
        path_of,
        recalibrate_bn,
        train_supernet,
    )


def __getattr__(name: str) -> Any:
    if name in _TORCH_NAMES:
        from ...exceptions import require

        require("torch", "torch")
        return getattr(importlib.import_module("._supernet", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
