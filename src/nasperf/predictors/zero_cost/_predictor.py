"""Zero-cost proxies as predictors: score live models, no training data needed.

Importing this module does not import PyTorch; computing a score does (the ``torch`` extra).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...exceptions import (
    ConfigurationError,
    InvalidDataError,
    MissingRequirementError,
    UnknownNameError,
)
from ...records import Record
from .._live import live_model_of
from ..base import Predictor, Requirements
from ._common import PROXY_NAMES

__all__ = [
    "ZeroCostPredictor",
    "SynflowPredictor",
    "SnipPredictor",
    "GraspPredictor",
    "FisherPredictor",
    "JacovPredictor",
    "GradNormPredictor",
    "PlainPredictor",
    "L2NormPredictor",
    "NwotPredictor",
    "EpeNasPredictor",
    "ZenPredictor",
    "ParamsPredictor",
    "FlopsPredictor",
    "ZicoPredictor",
    "MecoPredictor",
]


class ZeroCostPredictor(Predictor):
    """Score each record by a zero-cost proxy of its live model (higher is better).

    Each record carries ``info["model"]``, a ``torch.nn.Module`` classifier or a zero-argument
    callable that builds one (called under ``seed``, so its initial weights are reproducible), and
    ``info["batch"] = (inputs, targets)``; the first ``batch_size`` samples are used. ``fit`` learns
    nothing (it may be given no records) but is still required before ``predict``. A proxy without
    a finite value for a record raises an error instead of returning a placeholder.
    """

    family = "zero-cost"

    def __init__(self, proxy: str = "synflow", batch_size: int = 64, seed: int = 0) -> None:
        self.proxy = proxy
        self.batch_size = batch_size
        self.seed = seed

    @property
    def requires(self) -> Requirements:
        return Requirements(live_model=True, targets=False)

    def _check_params(self) -> None:
        if self.proxy not in PROXY_NAMES:
            raise UnknownNameError("zero-cost proxy", self.proxy, PROXY_NAMES)
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, (int, np.integer)):
            raise ConfigurationError(f"batch_size must be an integer, got {self.batch_size!r}")
        if self.batch_size < 1:
            raise ConfigurationError(f"batch_size must be at least 1, got {self.batch_size}")

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        self._check_params()

    def _predict(self, records: list[Record]) -> np.ndarray:
        self._check_params()
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
                seed=int(self.seed),
            )
        return out

    def _model(self, record: Record) -> Any:
        return live_model_of(record, int(self.seed))


class _PresetProxy(ZeroCostPredictor):
    """A :class:`ZeroCostPredictor` whose proxy is fixed by the class (registry ``zc-NAME``)."""

    def __init__(self, batch_size: int = 64, seed: int = 0) -> None:
        self.batch_size = batch_size
        self.seed = seed


class SynflowPredictor(_PresetProxy):
    """SynFlow (Tanaka et al. 2020)."""

    proxy = "synflow"


class SnipPredictor(_PresetProxy):
    """SNIP (Lee et al. 2019)."""

    proxy = "snip"


class GraspPredictor(_PresetProxy):
    """GraSP (Wang et al. 2020), Suite-Zero's sign."""

    proxy = "grasp"


class FisherPredictor(_PresetProxy):
    """Fisher (Turner et al. 2020)."""

    proxy = "fisher"


class JacovPredictor(_PresetProxy):
    """Jacobian covariance (Mellor et al. 2021, v1)."""

    proxy = "jacov"


class GradNormPredictor(_PresetProxy):
    """Gradient norm (Abdelfattah et al. 2021)."""

    proxy = "grad_norm"


class PlainPredictor(_PresetProxy):
    """Plain ``Σ θ·∂L/∂θ``."""

    proxy = "plain"


class L2NormPredictor(_PresetProxy):
    """Sum of the layers' weight norms."""

    proxy = "l2_norm"


class NwotPredictor(_PresetProxy):
    """NASWOT (Mellor et al. 2021, v2)."""

    proxy = "nwot"


class EpeNasPredictor(_PresetProxy):
    """EPE-NAS (Lopes et al. 2021)."""

    proxy = "epe_nas"


class ZenPredictor(_PresetProxy):
    """Zen-score (Lin et al. 2021)."""

    proxy = "zen"


class ParamsPredictor(_PresetProxy):
    """Number of trainable parameters of the live model."""

    proxy = "params"


class FlopsPredictor(_PresetProxy):
    """FLOPs of the live model (conv, linear, BatchNorm, ReLU, pooling), in millions."""

    proxy = "flops"


class ZicoPredictor(_PresetProxy):
    """ZiCo (Li et al., ICLR 2023)."""

    proxy = "zico"


class MecoPredictor(_PresetProxy):
    """MeCo (Jiang et al., NeurIPS 2023)."""

    proxy = "meco"
