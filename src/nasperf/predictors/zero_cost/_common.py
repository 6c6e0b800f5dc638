"""The table of zero-cost proxies and their error, importable without PyTorch.

:data:`PROXIES` is the one description of each proxy: its name (registry ``zc-NAME``), the core
function of :mod:`._measures` that computes it (named, so this module does not import torch),
its reference, a one-line formula, and what it reads of the batch. The registry, the predictor,
the proxy table and ``compute_proxy`` all derive from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...exceptions import InvalidDataError
from ...registry import Registry

__all__ = ["PROXIES", "PROXY_NAMES", "ProxySpec", "ProxyComputationError"]


@dataclass(frozen=True)
class ProxySpec:
    """A zero-cost proxy: its core function, reference, one-line formula, and what it reads.

    ``function`` names the function of ``nasperf.predictors.zero_cost._measures`` that computes
    it from the validated batch (its docstring gives the definition and the deviations from the
    reference); ``data_dependent``: the value depends on the input values (not only their shape);
    ``uses_labels``: it needs the targets.
    """

    name: str
    function: str
    title: str
    formula: str
    data_dependent: bool
    uses_labels: bool

    @property
    def summary(self) -> str:
        """One line for listings: the reference and the formula."""
        return f"{self.title}: {self.formula}"


_SPECS = (
    ProxySpec(
        "synflow", "_synflow", "SynFlow (Tanaka et al. 2020)",
        "Σ|θ·∂R/∂θ|, |θ|, no BN, ones input, float64", False, False,
    ),
    ProxySpec("snip", "_snip", "SNIP (Lee et al. 2019)", "Σ|θ·∂L/∂θ|", True, True),
    ProxySpec(
        "grasp", "_grasp", "GraSP (Wang et al. 2020), Suite-Zero's sign",
        "Σ −θ·(Hg), g = ∂L/∂θ", True, True,
    ),
    ProxySpec(
        "fisher", "_fisher", "Fisher (Turner et al. 2020)",
        "Σ fan_in·½·mean_n (Σ_pos a·∂L/∂a)² per channel", True, True,
    ),
    ProxySpec(
        "jacov", "_jacov", "Jacobian covariance (Mellor et al. 2021, v1)",
        "−Σ log(λ+k) + 1/(λ+k), λ of corr(input Jacobians)", True, False,
    ),
    ProxySpec(
        "grad_norm", "_grad_norm", "gradient norm (Abdelfattah et al. 2021)",
        "Σ_W ‖∂L/∂W‖", True, True,
    ),
    ProxySpec("plain", "_plain", "plain (Mozer & Smolensky 1989)", "Σ θ·∂L/∂θ", True, True),
    ProxySpec("l2_norm", "_l2_norm", "L2 norm of the layers' weights", "Σ_W ‖W‖", False, False),
    ProxySpec(
        "nwot", "_nwot", "NASWOT (Mellor et al. 2021, v2)",
        "log|det K|, K the Hamming kernel of ReLU codes", True, False,
    ),
    ProxySpec(
        "epe_nas", "_epe_nas", "EPE-NAS (Lopes et al. 2021)",
        "Σ_c |Σ log(|corr_c(Jacobians)| + k)|", True, True,
    ),
    ProxySpec(
        "zen", "_zen", "Zen-score (Lin et al. 2021)",
        "log E‖F(x) − F(x + 0.01ε)‖ + Σ log σ_BN, Gaussian", False, False,
    ),
    ProxySpec(
        "params", "_params", "parameters of the live model",
        "number of trainable parameters", False, False,
    ),
    ProxySpec(
        "flops", "_flops", "FLOPs of the live model",
        "FLOPs per sample, all layers / 1e6", False, False,
    ),
    ProxySpec(
        "zico", "_zico", "ZiCo (Li et al., ICLR 2023)",
        "Σ_W log Σ mean|g|/std(g) over 2 half-batches", True, True,
    ),
    ProxySpec(
        "meco", "_meco", "MeCo (Jiang et al., NeurIPS 2023)",
        "Σ_modules λ_min(channel correlation), one sample", True, False,
    ),
)  # fmt: skip

#: every proxy (its :class:`ProxySpec`), in the order ``compute_proxies`` computes them
PROXIES = Registry("zero-cost proxy")
for _spec in _SPECS:
    PROXIES.add(_spec.name, _spec, _spec.summary, extra="torch")

#: the proxies' names, in the order of :data:`PROXIES`
PROXY_NAMES: tuple[str, ...] = tuple(PROXIES)


class ProxyComputationError(InvalidDataError):
    """A proxy has no finite value for this model and batch (a log or log-determinant of zero,
    a correlation of constant vectors, a non-finite forward pass).

    The message names the proxy and the cause; a candidate without a finite score cannot be ranked
    by that proxy, so nothing is returned silently.
    """
