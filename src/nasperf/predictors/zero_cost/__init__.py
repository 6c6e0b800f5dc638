"""Zero-cost proxies (NAS-Bench-Suite-Zero's 13, ZiCo and MeCo) on live PyTorch classifiers.

:mod:`._measures` computes the proxies on any ``torch.nn.Module`` that maps a batch to logits
(its docstring lists each proxy's formula and sign); :class:`ZeroCostPredictor` and the per-proxy
classes (registry names ``zc-NAME``) score records that carry a live model and a batch. The
predictor classes import without PyTorch; the proxy functions (``PROXIES``, ``compute_proxy``,
``compute_proxies``, ``count_params``, ``count_flops``) import it on first access.
"""

from __future__ import annotations

from typing import Any

from ._common import PROXY_NAMES, ProxyComputationError
from ._predictor import (
    EpeNasPredictor,
    FisherPredictor,
    FlopsPredictor,
    GradNormPredictor,
    GraspPredictor,
    JacovPredictor,
    L2NormPredictor,
    MecoPredictor,
    NwotPredictor,
    ParamsPredictor,
    PlainPredictor,
    SnipPredictor,
    SynflowPredictor,
    ZenPredictor,
    ZeroCostPredictor,
    ZicoPredictor,
)

_LAZY = ("PROXIES", "ProxySpec", "compute_proxy", "compute_proxies", "count_params", "count_flops")

__all__ = [
    "PROXY_NAMES",
    "ProxyComputationError",
    *_LAZY,
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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import _measures

        return getattr(_measures, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
