"""Names and errors of the zero-cost proxies that do not need PyTorch to import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ...exceptions import InvalidDataError, require

__all__ = ["PROXY_NAMES", "ProxyComputationError", "seeded_rng"]

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


@contextmanager
def seeded_rng(seed: int) -> Iterator[None]:
    """Run with torch's RNGs seeded by ``seed`` and restore them afterwards (CUDA included)."""
    torch = require("torch", "torch")
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
