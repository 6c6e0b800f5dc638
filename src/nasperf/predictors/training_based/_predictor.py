"""The feature-history estimator behind the one Predictor contract.

Records carry a live model (``info["model"]``: a module, or a factory built under
``random_state``) and
the data to train it on (``info["data"]``: an :class:`~nasperf.data.ArrayDataset`). Nothing is
learned from other candidates: ``fit`` only checks the settings, and ``predict`` trains each
candidate for E epochs and returns its proxy classifier's validation accuracy.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import fields
from typing import Any, ClassVar

import numpy as np

from ...exceptions import InvalidDataError, MissingRequirementError
from ...records import Record
from ...training import TrainConfig
from ...validation import InstanceOf, Interval
from .._live import live_model_of
from ..base import THREADS_CONSTRAINTS, Predictor, Requirements, TorchThreads
from .fear import FearEstimator, FearResult, FearSettings, calibrate_threshold
from .feature_history import FeatureHistoryEstimator, FeatureHistoryResult, FeatureHistorySettings

__all__ = ["FeatureHistoryPredictor", "FearPredictor"]

logger = logging.getLogger(__name__)


_DEFAULTS = FeatureHistorySettings()


def _live_constraints(settings: type) -> dict[str, list[Any]]:
    """A settings dataclass's constraints, and those of the run and the seed."""
    return {
        **settings._parameter_constraints,  # type: ignore[attr-defined]
        "train_config": [None, InstanceOf(TrainConfig, "a TrainConfig")],
        "random_state": [Interval(int, 0, 2**31 - 1)],
        **THREADS_CONSTRAINTS,
    }


class _LiveTraining(TorchThreads, Predictor):
    """What the training-based predictors share: their settings dataclass (its fields are the
    predictor's parameters), live models and their data, chance for a failed candidate."""

    family = "training-based"
    extra = "torch"
    _settings_class: ClassVar[type]

    def _requirements(self) -> Requirements:
        return Requirements(live_model=True, targets=False)

    def _settings(self) -> Any:
        params = self.get_params(deep=False)
        cls = self._settings_class
        return cls(**{f.name: params[f.name] for f in fields(cls)})

    def _scores(
        self, records: list[Record], results: list[Any], field: str, budget: str
    ) -> np.ndarray:
        """Each result's ``field`` (its score), or chance (with a warning) for a candidate
        without one."""
        out = np.empty(len(records), dtype=np.float64)
        for i, (r, res) in enumerate(zip(records, results, strict=True)):
            value = getattr(res, field)
            if value is None:
                out[i] = 100.0 / r.info["data"].num_classes
                logger.warning(
                    "candidate %r %s in its %s (%s); scored at chance, %.1f%%",
                    r.arch, res.status, budget, res.reason, out[i],
                )  # fmt: skip
            else:
                out[i] = value
        return out


class FeatureHistoryPredictor(_LiveTraining):
    """Feature-history estimate (Cao et al. 2021) of each record's live model; higher is better.

    The parameters are the fields of :class:`FeatureHistorySettings` (same names, same
    defaults), the full run's ``train_config`` and ``random_state``. A passed ``nn.Module`` is
    trained in place; a factory builds a fresh one under ``random_state``. A candidate that
    diverges or fails in its short budget scores chance accuracy, ``100 / num_classes``, and a
    warning says so; :meth:`estimate` returns every candidate's :class:`FeatureHistoryResult`
    (status, reason, the network's own accuracy, bytes, seconds).
    """

    _settings_class = FeatureHistorySettings
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = _live_constraints(
        FeatureHistorySettings
    )

    def __init__(
        self,
        epochs: int = _DEFAULTS.epochs,
        variant: str = _DEFAULTS.variant,
        k: int = _DEFAULTS.k,
        probe_size: int = _DEFAULTS.probe_size,
        layer: str | Sequence[str] | None = _DEFAULTS.layer,
        ema_decay: float = _DEFAULTS.ema_decay,
        c: float = _DEFAULTS.c,
        train_config: TrainConfig | None = None,
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        self.epochs = epochs
        self.variant = variant
        self.k = k
        self.probe_size = probe_size
        self.layer = layer
        self.ema_decay = ema_decay
        self.c = c
        self.train_config = train_config
        self.random_state = random_state
        self.num_threads = num_threads

    def _estimator(self) -> FeatureHistoryEstimator:
        return FeatureHistoryEstimator(self._settings(), self.train_config, self.random_state)

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        self._estimator()

    def estimate(self, records: Sequence[Record]) -> list[FeatureHistoryResult]:
        """Train each record's model for E epochs; return every candidate's result."""
        records = self._check_predict(records)
        with self._compute_context():
            return self._estimate(records)

    def _estimate(self, records: list[Record]) -> list[FeatureHistoryResult]:
        """:meth:`estimate` on checked records, inside the compute context."""
        _check_data(records)  # every record is checked before any training
        estimator = self._estimator()
        return [
            estimator.estimate(live_model_of(r, int(self.random_state)), r.info["data"])
            for r in records
        ]

    def _predict(self, records: list[Record]) -> np.ndarray:
        # predict has checked the records and entered the compute context
        results = self._estimate(records)
        return self._scores(records, results, "estimate", f"{self.epochs}-epoch budget")


_FEAR = FearSettings()


class FearPredictor(_LiveTraining):
    """FEAR (Dey, Shah, Bubeck 2021) of each record's live model; higher is better.

    The parameters are the fields of :class:`FearSettings` (same names, same defaults), the
    full run's ``train_config`` and ``random_state``. Records carry ``info["model"]`` (a
    module, trained in place, or a factory built under ``random_state``) and ``info["data"]``.
    With ``threshold=None`` the threshold is calibrated, :func:`calibrate_threshold` on the
    first-epoch accuracy of up to ``calibration`` reference models: those of ``fit``'s
    records, or else the first ones of each ``predict`` call (copies, trained one epoch). The
    learned ``threshold_`` is None until then. A candidate that diverges or fails scores chance
    accuracy with a warning; :meth:`estimate` returns every :class:`FearResult`.
    """

    _settings_class = FearSettings
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = _live_constraints(FearSettings)

    def __init__(
        self,
        threshold: float | None = _FEAR.threshold,
        metric: str = _FEAR.metric,
        max_epochs: int = _FEAR.max_epochs,
        stage2_epochs: int = _FEAR.stage2_epochs,
        stage2_batch_size: int | None = _FEAR.stage2_batch_size,
        stage2_lr: float | None = _FEAR.stage2_lr,
        tail: int | str | Sequence[str] | None = _FEAR.tail,
        score: str = _FEAR.score,
        quantile: float = _FEAR.quantile,
        calibration: int = _FEAR.calibration,
        train_config: TrainConfig | None = None,
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        self.threshold = threshold
        self.metric = metric
        self.max_epochs = max_epochs
        self.stage2_epochs = stage2_epochs
        self.stage2_batch_size = stage2_batch_size
        self.stage2_lr = stage2_lr
        self.tail = tail
        self.score = score
        self.quantile = quantile
        self.calibration = calibration
        self.train_config = train_config
        self.random_state = random_state
        self.num_threads = num_threads

    def _estimator(self) -> FearEstimator:
        estimator = FearEstimator(self._settings(), self.train_config, self.random_state)
        estimator._checked_config()
        return estimator

    def _calibrated(self, records: list[Record]) -> float | None:
        """The threshold from the first-epoch accuracy of copies of ``records``' models."""
        import copy

        usable = [r for r in records if r.info.get("data") is not None]
        if not usable:
            return None
        estimator = self._estimator()
        accs = []
        for r in usable[: self.calibration]:
            model = copy.deepcopy(live_model_of(r, int(self.random_state)))
            accs.append(estimator.first_epoch_accuracy(model, r.info["data"]))
        value = calibrate_threshold(accs, self.quantile)
        logger.info(
            "FEAR threshold calibrated on %d models: %.1f%% %s accuracy (quantile %.2f)",
            len(accs), 100 * value, self.metric, self.quantile,
        )  # fmt: skip
        return value

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        self._estimator()
        self.threshold_ = self.threshold
        if self.threshold is None and records:  # records without data are not references
            with self._compute_context():
                self.threshold_ = self._calibrated(records)

    def estimate(self, records: Sequence[Record]) -> list[FearResult]:
        """Run FEAR on each record's model; return every candidate's result."""
        records = self._check_predict(records)
        with self._compute_context():
            return self._estimate(records)

    def _estimate(self, records: list[Record]) -> list[FearResult]:
        _check_data(records)
        threshold = self.threshold_
        if threshold is None:
            threshold = self._calibrated(records)
        estimator = self._estimator()
        return [
            estimator.estimate(live_model_of(r, int(self.random_state)), r.info["data"], threshold)
            for r in records
        ]

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self._scores(records, self._estimate(records), "score", "FEAR run")


def _check_data(records: Sequence[Record]) -> None:
    """Every record carries an ArrayDataset in ``info['data']`` (checked before training)."""
    from ...data import ArrayDataset

    for r in records:
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
