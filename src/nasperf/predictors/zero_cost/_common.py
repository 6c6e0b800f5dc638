"""Names and errors of the zero-cost proxies that do not need PyTorch to import."""

from __future__ import annotations

from ...exceptions import InvalidDataError

__all__ = ["PROXY_NAMES", "ProxyComputationError"]

#: the proxies, in the order of :data:`nasperf.predictors.zero_cost.PROXIES`
PROXY_NAMES: tuple[str, ...] = (
    "synflow",
    "snip",
    "grasp",
    "fisher",
    "jacov",
    "grad_norm",
    "plain",
    "l2_norm",
    "nwot",
    "epe_nas",
    "zen",
    "params",
    "flops",
    "zico",
    "meco",
)


class ProxyComputationError(InvalidDataError):
    """A proxy has no finite value for this model and batch (a log or log-determinant of zero,
    a correlation of constant vectors, a non-finite forward pass).

    The message names the proxy and the cause; a candidate without a finite score cannot be ranked
    by that proxy, so nothing is returned silently.
    """
