"""The feature-history estimator behind the one Predictor contract.

Records carry a live model (``info["model"]``: a module, or a factory built under ``seed``) and
the data to train it on (``info["data"]``: an :class:`~nasperf.data.ArrayDataset`). Nothing is
learned from other candidates: ``fit`` only checks the settings, and ``predict`` trains each
candidate for E epochs and returns its proxy classifier's validation accuracy.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ...exceptions import InvalidDataError, MissingRequirementError
from ...records import Record
from .._live import live_model_of
from ..base import Predictor, Requirements
from .feature_history import FeatureHistoryEstimator, FeatureHistoryResult

if TYPE_CHECKING:
    from ...training import TrainConfig

__all__ = ["FeatureHistoryPredictor"]

logger = logging.getLogger(__name__)


class FeatureHistoryPredictor(Predictor):
    """Feature-history estimate (Cao et al. 2021) of each record's live model; higher is better.

    The parameters are those of :class:`FeatureHistoryEstimator`. A passed ``nn.Module`` is
    trained in place; a factory builds a fresh one. A candidate that diverges or fails in its
    short budget scores chance accuracy, ``100 / num_classes``, and a warning says so;
    :attr:`results_` holds every candidate's :class:`FeatureHistoryResult` of the last
    ``predict`` (status, reason, the network's own accuracy, bytes, seconds).
    """

    family = "training-based"

    def __init__(
        self,
        epochs: int = 2,
        variant: str = "concat",
        k: int = 2,
        probe_size: int = 256,
        layer: str | Sequence[str] | None = None,
        ema_decay: float = 0.5,
        c: float = 1.0,
        train_config: TrainConfig | None = None,
        seed: int = 0,
    ) -> None:
        self.epochs = epochs
        self.variant = variant
        self.k = k
        self.probe_size = probe_size
        self.layer = layer
        self.ema_decay = ema_decay
        self.c = c
        self.train_config = train_config
        self.seed = seed

    @property
    def requires(self) -> Requirements:
        return Requirements(live_model=True, targets=False)

    def _estimator(self) -> FeatureHistoryEstimator:
        # the estimator checks every setting (a ConfigurationError names the bad one)
        return FeatureHistoryEstimator(**self.get_params())

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        self._estimator()

    def _predict(self, records: list[Record]) -> np.ndarray:
        from ...data import ArrayDataset

        for r in records:  # every record is checked before any training
            data = r.info.get("data")
            if data is None:
                raise MissingRequirementError(
                    f"record {r.arch!r} carries no training data; this predictor needs "
                    "info['data'] = an ArrayDataset besides info['model']"
                )
            if not isinstance(data, ArrayDataset):
                raise InvalidDataError(
                    f"record {r.arch!r}: info['data'] must be an ArrayDataset, "
                    f"got {type(data).__name__}"
                )
        estimator = self._estimator()
        out = np.empty(len(records), dtype=np.float64)
        results: list[FeatureHistoryResult] = []
        for i, r in enumerate(records):
            data = r.info["data"]
            res = estimator.estimate(live_model_of(r, int(self.seed)), data)
            results.append(res)
            if res.estimate is None:
                out[i] = 100.0 / data.num_classes
                logger.warning(
                    "candidate %r %s in its %d-epoch budget (%s); scored at chance, %.1f%%",
                    r.arch,
                    res.status,
                    self.epochs,
                    res.reason,
                    out[i],
                )
            else:
                out[i] = res.estimate
        self.results_ = results
        return out
