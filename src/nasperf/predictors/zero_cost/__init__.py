"""Zero-cost proxies (NAS-Bench-Suite-Zero's 13, ZiCo and MeCo) on live PyTorch classifiers.

:data:`PROXIES` describes every proxy once (its core function, reference, formula and what it
reads); :mod:`._measures` computes them on any ``torch.nn.Module`` that maps a batch to logits
(its docstring lists each proxy's formula and sign). :class:`ZeroCostPredictor` scores records
that carry a live model and a batch by one proxy (registry names ``zc-NAME`` are it with
``proxy=NAME``). The table and the predictor import without PyTorch; the functions
(``compute_proxy``, ``compute_proxies``, ``compute_proxies_or_errors``, ``count_params``,
``count_flops``) import it on first access.
"""

from __future__ import annotations

from typing import Any

from ._common import PROXIES, PROXY_NAMES, ProxyComputationError, ProxySpec

_LAZY = (
    "compute_proxy",
    "compute_proxies",
    "compute_proxies_or_errors",
    "count_params",
    "count_flops",
)

__all__ = [
    "PROXIES",
    "PROXY_NAMES",
    "ProxySpec",
    "ProxyComputationError",
    *_LAZY,
    "ZeroCostPredictor",
]


def __getattr__(name: str) -> Any:
    if name == "ZeroCostPredictor":  # scikit-learn's start-up only when it is asked for
        from ._predictor import ZeroCostPredictor

        return ZeroCostPredictor
    if name in _LAZY:
        from . import _measures

        return getattr(_measures, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
