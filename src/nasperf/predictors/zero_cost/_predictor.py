"""The zero-cost proxies as one predictor: score live models, no training data needed.

Importing this module does not import PyTorch; computing a score does (the ``torch`` extra).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ...exceptions import InvalidDataError, MissingRequirementError
from ...records import Record
from ...validation import Interval, Options
from .._live import live_model_of
from ..base import THREADS_CONSTRAINTS, Predictor, Requirements, TorchThreads
from ._common import PROXY_NAMES

__all__ = ["ZeroCostPredictor"]


class ZeroCostPredictor(TorchThreads, Predictor):
    """Score each record by a zero-cost proxy of its live model (higher is better).

    ``proxy`` is one of :data:`~nasperf.predictors.zero_cost.PROXIES` (registry name
    ``zc-NAME``). Each record carries ``info["model"]``, a ``torch.nn.Module`` classifier or a
    zero-argument callable that builds one (called under ``random_state``, so its initial weights
    are reproducible; the proxies' own randomness is seeded with it too), and
    ``info["batch"] = (inputs, targets)``; the first ``batch_size`` samples are used. ``fit`` learns
    nothing (it may be given no records) but is still required before ``predict``. A proxy without
    a finite value for a record raises an error instead of returning a placeholder.
    """

    family = "zero-cost"
    extra = "torch"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "proxy": [Options(PROXY_NAMES, kind="zero-cost proxy")],
        "batch_size": [Interval(int, 1, None)],
        "random_state": [Interval(int, 0, 2**31 - 1)],
        **THREADS_CONSTRAINTS,
    }

    def __init__(
        self,
        proxy: str = "synflow",
        batch_size: int = 64,
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        self.proxy = proxy
        self.batch_size = batch_size
        self.random_state = random_state
        self.num_threads = num_threads

    def _requirements(self) -> Requirements:
        return Requirements(live_model=True, targets=False)

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        return None  # nothing to learn; the hyperparameters were checked by fit

    def _predict(self, records: list[Record]) -> np.ndarray:
        for r in records:  # every record is checked before any proxy is computed
            batch = r.info.get("batch")
            if batch is None:
                raise MissingRequirementError(
                    f"record {r.arch!r} carries no data batch; this predictor needs "
                    "info['batch'] = (inputs, targets) besides info['model']"
                )
            if not isinstance(batch, (tuple, list)) or len(batch) != 2:
                raise InvalidDataError(
                    f"record {r.arch!r}: info['batch'] must be a pair (inputs, targets)"
                )
        from ._measures import compute_proxy

        out = np.empty(len(records), dtype=np.float64)
        for i, r in enumerate(records):
            inputs, targets = r.info["batch"]
            n = int(self.batch_size)
            out[i] = compute_proxy(
                self.proxy,
                self._model(r),
                inputs[:n],
                None if targets is None else targets[:n],
                seed=int(self.random_state),
            )
        return out

    def _model(self, record: Record) -> Any:
        return live_model_of(record, int(self.random_state))
