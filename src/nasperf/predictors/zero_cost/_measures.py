"""Zero-cost proxies on any PyTorch classifier (a module mapping a batch to logits ``(B, K)``).

Each proxy of :data:`PROXIES` is computed by ``compute_proxy(name, model, inputs, targets=None, *,
loss_fn=None, seed=0) -> float`` (several on one batch by :func:`compute_proxies`), which works
on a deep copy of ``model`` (the caller's model, its mode and its gradients are left as
they were), sets train or eval mode as its reference does, runs under
``torch.random.fork_rng`` seeded with ``seed`` (the global RNG is left as it was), and returns a
finite float or raises :class:`ProxyComputationError`. Sign: every score below is a ranking
score where higher is better, used as computed (grasp carries Suite-Zero's minus sign; jacov is
negative, larger for less correlated Jacobians). The definitions follow NAS-Bench-Suite-Zero
(Krishnakumar et al. 2022; NASLib's ``predictors/utils/pruners/measures``) and, for ZiCo and
MeCo, the authors' code. ``L`` is the
loss (cross-entropy unless ``loss_fn`` is given), ``W`` runs over the weights of the Conv1d/2d/3d
and Linear layers (Suite-Zero: Conv2d and Linear), ``θ`` over their entries:

- synflow: ``Σ_W Σ |θ·∂R/∂θ|``, ``R = Σ f(1)`` the summed logits of one all-ones sample, with
  every parameter replaced by ``|θ|``, BatchNorm bypassed, eval mode, float64.
- snip: ``Σ_W Σ |θ·∂L/∂θ|`` (train mode).
- grasp: ``Σ_W Σ −θ·(Hg)``, ``g = ∂L/∂θ``, ``H`` the Hessian of ``L`` (Suite-Zero's sign).
- fisher: ``Σ_layers Σ_k fan_in·½·mean_n (Σ_pos a_nk·∂L/∂a_nk)²``, ``a`` the layer output,
  ``k`` its channels; ``fan_in`` (weights per output channel) is Suite-Zero's broadcast.
- jacov: ``−Σ_i [log(λ_i + 1e-5) + 1/(λ_i + 1e-5)]``, ``λ`` the eigenvalues of the correlation
  matrix of the per-sample input Jacobians ``∂(Σ_c f_c(x_n))/∂x_n`` (train mode).
- grad_norm: ``Σ_W ‖∂L/∂W‖_F``.
- plain: ``Σ_W Σ θ·∂L/∂θ``.
- l2_norm: ``Σ_W ‖W‖_F``.
- nwot: ``log|det K|``, ``K_ij = Σ_ReLU (D − Hamming(c_i, c_j))``, ``c`` the binary codes
  (input > 0) of every ReLU-type module, ``D`` its width (NASWOT v2, train mode).
- epe_nas: ``Σ_c |Σ_ij log(|ρ^c_ij| + 1e-5)|``, ``ρ^c`` the correlation of the input Jacobians
  of the samples of class ``c`` (above 100 classes the authors' pairwise-difference form).
- zen: ``log mean_n ‖F(x_n) − F(x_n + 0.01ε_n)‖_1 + Σ_BN log √mean(running_var)`` with Gaussian
  weights and inputs, ``F`` the pre-global-pool features, BatchNorm in train mode.
- params: the number of trainable parameters, in millions.
- flops: FLOPs of one sample in millions, counted as Suite-Zero does (conv/linear
  multiply-adds plus BatchNorm, ReLU and pooling; see ``nasperf.spaces._complexity``).
- zico: ``Σ_W log Σ_θ mean_b|∂L_b/∂θ| / std_b(∂L_b/∂θ)`` over the two halves ``b`` of the batch
  (ICLR 2023; layers whose sum is 0 are skipped).
- meco: ``Σ_modules λ_min(corr(O))``, ``O`` a module's output for the first sample of the batch
  with channels as variables and positions as observations (NeurIPS 2023: one sample, one
  forward pass in train mode, every module of the network).

Deviations from the references are listed in the docstring of each proxy's core function
(``_NAME``, named by :data:`PROXIES`).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...exceptions import InvalidDataError, NasperfError, require
from ...spaces import count_flops, count_params
from ...training import seeded
from ._common import PROXIES, ProxyComputationError, ProxySpec

torch = require("torch", "torch")
nn = torch.nn
F = torch.nn.functional

__all__ = [
    "PROXIES",
    "ProxySpec",
    "ProxyComputationError",
    "compute_proxy",
    "compute_proxies",
    "compute_proxies_or_errors",
    "count_params",
    "count_flops",
    "CORR_EPS",
    "WEIGHT_LAYERS",
    "ZEN_MIXUP",
]

#: layers whose weights the pruning-at-initialisation proxies score
WEIGHT_LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)
_BATCHNORM = nn.modules.batchnorm._BatchNorm
#: ridge added to eigenvalues (jacov) and absolute correlations (epe_nas), as the references
CORR_EPS = 1e-5
#: Zen-NAS mixup scale of the input perturbation
ZEN_MIXUP = 1e-2

LossFn = Callable[[Any, Any], Any]


# -- the batch shared by the proxies -------------------------------------------------------------
#: proxies read off one shared train-mode pass: a forward with hooks, then the backward passes
_SHARED = frozenset({"snip", "grad_norm", "plain", "fisher", "grasp", "jacov", "epe_nas", "nwot"})
_LOSS = frozenset({"snip", "grad_norm", "plain", "fisher", "grasp"})
_JACOBIAN = frozenset({"jacov", "epe_nas"})


class _Batch:
    """A validated model and batch, and the shared pass of the proxies in ``wanted``.

    snip, grad_norm, plain, fisher and grasp (loss gradients), jacov and epe_nas (input
    Jacobian) and nwot (ReLU codes) all read one train-mode forward pass of the same batch, so it
    is run once, on a fresh copy under the seed, collecting only what ``wanted`` needs. Each value
    is the one its own pass would give: the hooks only read, and the backward passes differ only
    in what they differentiate.
    """

    def __init__(
        self,
        model: Any,
        inputs: Any,
        targets: Any,
        loss_fn: LossFn,
        seed: int,
        classes: int,
        wanted: frozenset[str],
    ) -> None:
        self.model = model
        self.inputs = inputs
        self.targets = targets
        self.loss_fn = loss_fn
        self.seed = seed
        self.num_classes = classes
        self.wanted = wanted
        self.shared_: _Shared | None = None

    @contextmanager
    def seeded(self) -> Iterator[None]:
        with seeded(self.seed), torch.enable_grad():
            yield

    def net(self, train: bool) -> Any:
        """A deep copy of the model with every parameter trainable, in train or eval mode."""
        net = copy.deepcopy(self.model)
        for p in net.parameters():
            p.requires_grad_(True)
        return net.train(train)

    def need_targets(self, proxy: str) -> None:
        if self.targets is None:
            raise InvalidDataError(
                f"proxy {proxy!r} needs integer class targets; pass (inputs, targets)"
            )

    def need_samples(self, proxy: str, n: int = 2) -> None:
        if len(self.inputs) < n:
            raise InvalidDataError(
                f"proxy {proxy!r} needs a batch of at least {n} samples, got {len(self.inputs)}"
            )

    def shared(self, proxy: str) -> _Shared:
        """The shared pass (run on first use, with the wanted proxies and ``proxy``)."""
        if self.shared_ is None or proxy not in self.shared_.covers:
            self.shared_ = _shared_pass(self, (self.wanted | {proxy}) & _SHARED)
        return self.shared_

    def release(self) -> None:
        self.shared_ = None


def _weight_layers(net: Any) -> list[Any]:
    return [m for m in net.modules() if isinstance(m, WEIGHT_LAYERS)]


def _fan_in(layer: Any) -> int:
    """Weights per output channel: ``Cin/groups·kh·kw`` for a conv, ``in_features`` for Linear."""
    return int(layer.weight[0].numel())


def _is_relu(module: Any) -> bool:
    return "ReLU" in type(module).__name__  # ReLU, ReLU6, LeakyReLU, PReLU... as Suite-Zero


@dataclass
class _Shared:
    covers: frozenset[str]
    weights: list[Any] = field(default_factory=list)
    grads: list[Any] = field(default_factory=list)  # None where a layer does not reach the loss
    hessian_grads: list[Any] = field(default_factory=list)  # Hg (grasp), None where unused
    fisher: list[tuple[int, Any]] = field(default_factory=list)  # (fan_in, F_k or None)
    jacobian: np.ndarray | None = None
    kernel: Any = None  # NASWOT kernel, None without ReLU modules


class _Probes:
    """The forward hooks of the shared pass: Fisher's activation-gradient products per layer
    and NASWOT's ReLU-code kernel, accumulated as the hooks fire."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.fisher_on = False  # the tensor hooks also fire in the other backward passes
        self.fisher: dict[int, Any] = {}
        self.kernels: list[Any] = []

    @property
    def kernel(self) -> Any:
        return self.kernels[0] if self.kernels else None

    def fisher_hook(self, index: int, layer: Any) -> Callable[..., None]:
        """A forward hook on ``layer`` that adds its Fisher term of the loss backward pass."""

        def forward_hook(module: Any, inp: Any, out: Any) -> None:
            if not (torch.is_tensor(out) and out.requires_grad):
                return
            act = out.detach().clone()  # before any in-place activation changes it

            def on_grad(grad: Any) -> None:
                if not self.fisher_on:
                    return
                prod = act * grad.detach()
                if isinstance(layer, nn.Linear):  # channels last
                    g = prod.reshape(prod.shape[0], -1, prod.shape[-1]).sum(1)
                else:  # channels at dim 1, positions after
                    g = prod.reshape(prod.shape[0], prod.shape[1], -1).sum(2)
                del_k = 0.5 * g.double().pow(2).mean(0)
                acc = self.fisher
                acc[index] = acc[index] + del_k if index in acc else del_k

            out.register_hook(on_grad)

        return forward_hook

    def relu_hook(self, module: Any, inp: Any, out: Any) -> None:
        """Add the Hamming-agreement kernel of this ReLU's input codes."""
        x = inp[0].detach().reshape(self.n, -1)
        width = x.shape[1]
        # z = ±1 codes: z·zᵀ = D − 2·Hamming, so D − Hamming = (z·zᵀ + D) / 2 (exact integers)
        z = (x > 0).to(torch.float32 if width < 2**24 else torch.float64) * 2 - 1
        k = ((z @ z.T).double() + width) / 2
        self.kernels.append(k if not self.kernels else self.kernels.pop() + k)

    def attach(self, net: Any, layers: list[Any], fisher: bool, nwot: bool) -> list[Any]:
        """Register the hooks ``wanted`` needs; return their handles."""
        hooks: list[Any] = []
        if fisher:
            hooks += [
                layer.register_forward_hook(self.fisher_hook(i, layer))
                for i, layer in enumerate(layers)
            ]
        if nwot:
            hooks += [m.register_forward_hook(self.relu_hook) for m in net.modules() if _is_relu(m)]
        return hooks


def _shared_pass(b: _Batch, wanted: frozenset[str]) -> _Shared:
    """One train-mode forward of the batch on a fresh copy, then what ``wanted`` needs of it."""
    loss_wanted = bool(wanted & _LOSS) and b.targets is not None
    jac_wanted = bool(wanted & _JACOBIAN)
    net = b.net(True)
    layers = _weight_layers(net)
    probes = _Probes(len(b.inputs))
    hooks = probes.attach(net, layers, "fisher" in wanted and loss_wanted, "nwot" in wanted)
    x = b.inputs.detach().clone().requires_grad_(jac_wanted)
    try:
        out = net(x)
    finally:
        for h in hooks:
            h.remove()
    shared = _Shared(covers=wanted, kernel=probes.kernel)
    if jac_wanted:
        shared.jacobian = _input_jacobian(out, x, retain_graph=loss_wanted)
    if loss_wanted:
        _loss_gradients(b, out, layers, probes, shared, second_order="grasp" in wanted)
    return shared


def _input_jacobian(out: Any, x: Any, retain_graph: bool) -> np.ndarray:
    """The per-sample input gradients of the summed logits, one row per sample (float64)."""
    (jac,) = torch.autograd.grad(out.sum(), x, retain_graph=retain_graph, allow_unused=True)
    jac = torch.zeros_like(x) if jac is None else jac
    return jac.reshape(len(x), -1).double().cpu().numpy()


def _loss_gradients(
    b: _Batch, out: Any, layers: list[Any], probes: _Probes, shared: _Shared, second_order: bool
) -> None:
    """Fill ``shared`` with the weights, their loss gradients, the Fisher terms and (GraSP)
    the Hessian-gradient products of the loss of ``out``."""
    weights = [layer.weight for layer in layers]
    loss = b.loss_fn(out, b.targets)
    probes.fisher_on = True
    grads = (
        torch.autograd.grad(loss, weights, create_graph=second_order, allow_unused=True)
        if weights
        else ()
    )
    probes.fisher_on = False
    shared.weights = [w.detach() for w in weights]
    shared.grads = [None if g is None else g.detach() for g in grads]
    shared.fisher = [(_fan_in(layer), probes.fisher.get(i)) for i, layer in enumerate(layers)]
    if second_order:
        shared.hessian_grads = _hessian_grads(weights, grads)


def _hessian_grads(weights: list[Any], grads: Sequence[Any]) -> list[Any]:
    """GraSP's ``Hg = ∂(gᵀ·stop_grad(g))/∂θ`` per weight (None where unused), as Suite-Zero's
    second pass."""
    used = [(w, g) for w, g in zip(weights, grads, strict=True) if g is not None]
    z = sum((g.detach() * g).sum() for _, g in used)
    hg: Sequence[Any] = ()
    if used and torch.is_tensor(z) and z.requires_grad:
        hg = torch.autograd.grad(z, [w for w, _ in used], allow_unused=True)
    by_id = {id(w): h for (w, _), h in zip(used, hg, strict=False)}
    return [by_id.get(id(w)) for w in weights]


def _total(values: Iterator[Any]) -> float:
    return float(sum(float(v) for v in values))


# -- the proxies (cores take the shared batch) ---------------------------------------------------
def _identity(x: Any, *args: Any, **kwargs: Any) -> Any:
    return x


def _synflow(b: _Batch) -> float:
    """SynFlow (Tanaka et al. 2020) as in Suite-Zero: ``Σ_W Σ |θ·∂R/∂θ|``.

    All parameters and buffers become ``|θ|``, BatchNorm layers are bypassed, the model runs in
    eval mode in float64 on one all-ones sample of the input's shape, and ``R`` is the sum of its
    logits. Suite-Zero and the original use a single sample; with BatchNorm bypassed a batch of
    ``B`` ones would only scale the score by ``B``. Inputs and targets are used for their shape.
    """
    net = b.net(False)
    for m in net.modules():
        if isinstance(m, _BATCHNORM):
            m.forward = _identity  # Suite-Zero: BatchNorm bypassed (bn=False)
    net.double()
    with torch.no_grad():
        for t in net.state_dict().values():
            if t.is_floating_point():
                t.abs_()
    weights = [layer.weight for layer in _weight_layers(net)]
    ones = torch.ones((1, *b.inputs.shape[1:]), dtype=torch.float64, device=b.inputs.device)
    out = net(ones)
    grads = torch.autograd.grad(out.sum(), weights, allow_unused=True) if weights else ()
    return _total(
        (w * g).detach().abs().sum() for w, g in zip(weights, grads, strict=True) if g is not None
    )


def _loss_grads(b: _Batch, proxy: str) -> _Shared:
    b.need_targets(proxy)
    return b.shared(proxy)


def _snip(b: _Batch) -> float:
    """SNIP (Lee et al. 2019): ``Σ_W Σ |θ·∂L/∂θ|`` in train mode."""
    s = _loss_grads(b, "snip")
    return _total(
        (w * g).abs().sum() for w, g in zip(s.weights, s.grads, strict=True) if g is not None
    )


def _grad_norm(b: _Batch) -> float:
    """Gradient norm (Abdelfattah et al. 2021): ``Σ_W ‖∂L/∂W‖_F`` in train mode."""
    s = _loss_grads(b, "grad_norm")
    return _total(g.norm() for g in s.grads if g is not None)


def _plain(b: _Batch) -> float:
    """Plain (Mozer & Smolensky 1989, as in Suite-Zero): ``Σ_W Σ θ·∂L/∂θ`` in train mode."""
    s = _loss_grads(b, "plain")
    return _total((w * g).sum() for w, g in zip(s.weights, s.grads, strict=True) if g is not None)


def _fisher(b: _Batch) -> float:
    """Fisher (Turner et al. 2020) as in Suite-Zero, train mode.

    Per channel ``k`` of each Conv/Linear output ``a``: ``½·mean_n (Σ_pos a_nk·∂L/∂a_nk)²``;
    Suite-Zero broadcasts a channel's value to its ``fan_in`` weights before summing, so the score
    is ``Σ_layers Σ_k fan_in·F_k``. A layer run several times adds up its calls.
    """
    s = _loss_grads(b, "fisher")
    return _total(fan_in * f.abs().sum() for fan_in, f in s.fisher if f is not None)


def _grasp(b: _Batch) -> float:
    """GraSP (Wang et al. 2020) as in Suite-Zero: ``Σ_W Σ −θ·(Hg)`` with ``g = ∂L/∂θ``.

    Suite-Zero negates the GraSP saliency so that higher is better on its data; this keeps that
    sign. ``g`` and ``Hg`` come from one forward pass (Suite-Zero runs two identical ones).
    """
    s = _loss_grads(b, "grasp")
    return _total(
        (-w * h.detach()).sum()
        for w, h in zip(s.weights, s.hessian_grads, strict=True)
        if h is not None
    )


def _jacobian(b: _Batch, proxy: str) -> np.ndarray:
    b.need_samples(proxy)
    jac = b.shared(proxy).jacobian
    assert jac is not None
    return jac


def _corrcoef(rows: np.ndarray, proxy: str, what: str) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(rows)
    if not np.all(np.isfinite(corr)):
        raise ProxyComputationError(
            f"{proxy}: the correlation of the {what} is undefined because a sample's vector is "
            "constant (e.g. all zero: dead ReLUs or a disconnected input); the proxy has no value "
            "for this model"
        )
    return np.atleast_2d(corr)


def _jacov(b: _Batch) -> float:
    """Jacobian covariance (Mellor et al. 2021, v1) as Suite-Zero's ``jacov``.

    ``−Σ_i [log(λ_i + k) + 1/(λ_i + k)]``, ``k = 1e-5``, ``λ`` the eigenvalues of the correlation
    matrix of the per-sample input gradients of the summed logits (train mode). The ridge ``k``
    keeps singular matrices finite; a constant Jacobian (undefined correlation) raises
    :class:`ProxyComputationError` where Suite-Zero stores NaN. Needs 2 samples.
    """
    corr = _corrcoef(_jacobian(b, "jacov"), "jacov", "input Jacobians")
    # corr is positive semi-definite; round-off below zero is clipped
    v = np.clip(np.linalg.eigvalsh(corr), 0.0, None)
    return float(-np.sum(np.log(v + CORR_EPS) + 1.0 / (v + CORR_EPS)))


def _epe_nas(b: _Batch) -> float:
    """EPE-NAS (Lopes et al. 2021) as in Suite-Zero.

    For each class ``c`` in the batch, ``s_c = Σ_ij log(|ρ^c_ij| + 1e-5)`` over the correlation
    matrix of its samples' input Jacobians (a one-sample class gives ``log(1 + 1e-5)``); the score
    is ``Σ_c |s_c|`` for at most 100 classes, else ``Σ_c Σ_c' |s_c/n_c − s_c'/n_c'| / #classes``.
    """
    b.need_targets("epe_nas")
    jac = _jacobian(b, "epe_nas")
    labels = b.targets.cpu().numpy()
    many = b.num_classes > 100
    per_class: list[float] = []
    for c in dict.fromkeys(labels.tolist()):  # classes in order of first appearance
        rows = jac[labels == c]
        if len(rows) == 1:
            if many:  # the authors' code skips a one-sample class here (len() of a 0-d array)
                continue
            corr = np.ones((1, 1))
        else:
            corr = _corrcoef(rows, "epe_nas", f"input Jacobians of class {c}")
        s = float(np.sum(np.log(np.abs(corr) + CORR_EPS)))
        per_class.append(s / len(corr) if many else s)
    s = np.asarray(per_class)
    if not many:
        return float(np.sum(np.abs(s)))
    if s.size == 0:
        raise ProxyComputationError("epe_nas: no class has two samples in the batch")
    return float(np.abs(s[:, None] - s[None, :]).sum() / s.size)


def _l2_norm(b: _Batch) -> float:
    """L2 norm as in Suite-Zero: ``Σ_W ‖W‖_F`` (no forward pass beyond the output check)."""
    return _total(layer.weight.detach().norm() for layer in _weight_layers(b.model))


def _nwot(b: _Batch) -> float:
    """NASWOT (Mellor et al. 2021, v2): ``log|det K|`` of the Hamming kernel of ReLU codes.

    Every module whose class name contains ``ReLU`` contributes the codes ``input > 0`` of each
    sample (train mode); ``K_ij`` is the number of units on which samples ``i`` and ``j`` agree.
    Identical codes make ``K`` singular: :class:`ProxyComputationError` (Suite-Zero: -inf).
    """
    b.need_samples("nwot")
    kernel = b.shared("nwot").kernel
    if kernel is None:
        raise ProxyComputationError(
            "nwot: the model has no ReLU modules (nn.ReLU and variants) whose codes NASWOT uses; "
            "functional activations (F.relu) are invisible to it"
        )
    _, logabsdet = torch.linalg.slogdet(kernel)
    return float(logabsdet)


def _gaussian_init(net: Any) -> None:
    """Zen-NAS initialisation: N(0, 1) conv/linear weights, zero biases, unit BN/GN scales."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, WEIGHT_LAYERS):
                nn.init.normal_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (_BATCHNORM, nn.GroupNorm)):
                if m.weight is not None:
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                if isinstance(m, _BATCHNORM) and m.track_running_stats:
                    m.reset_running_stats()


def _pre_gap_features(net: Any, x: Any) -> Any:
    """The features before global pooling.

    A network's own ``forward_pre_GAP`` / ``forward_before_global_avg_pool`` is used where it has
    one. Otherwise the output of the last leaf module whose output still has more than one
    position (``ndim >= 3``, ``prod(shape[2:]) > 1``); for a network without such maps (an MLP)
    the input of the last Linear layer run (the pre-classifier features); else the logits.
    """
    for attr in ("forward_pre_GAP", "forward_before_global_avg_pool"):
        method = getattr(net, attr, None)
        if callable(method):
            return method(x)
    n = len(x)
    found: dict[str, Any] = {}

    def hook(module: Any, inp: Any, out: Any) -> None:
        if (
            torch.is_tensor(out)
            and out.ndim >= 3
            and out.shape[0] == n
            and math.prod(out.shape[2:]) > 1
        ):
            found["spatial"] = out
        if isinstance(module, nn.Linear) and inp and torch.is_tensor(inp[0]):
            found["linear"] = inp[0]

    leaves = [m for m in net.modules() if next(m.children(), None) is None]
    hooks = [m.register_forward_hook(hook) for m in leaves]
    try:
        logits = net(x)
    finally:
        for h in hooks:
            h.remove()
    return found.get("spatial", found.get("linear", logits)).clone()


def _zen(b: _Batch) -> float:
    """Zen-score (Lin et al. 2021), data-free, as the Zen-NAS code.

    The copy is re-initialised with N(0, 1) conv/linear weights, zero biases and unit
    BatchNorm/GroupNorm scales (running statistics reset); in train mode, with Gaussian inputs
    ``x`` and ``ε`` of the batch's shape, the score is
    ``log mean_n ‖F(x_n) − F(x_n + 0.01·ε_n)‖_1 + Σ_BN log √mean(running_var)``, the running
    variances as left by the two forward passes (PyTorch's momentum). ``F`` is the pre-global-pool
    feature map (see :func:`_pre_gap_features` for how it is found in any network). Without
    BatchNorm the second term is an empty sum, 0: the score is then the log perturbation alone,
    which Zen-NAS does not define (it assumes BN). Zen-NAS counts BatchNorm2d only; this counts
    every BatchNorm.
    """
    net = b.net(True)
    _gaussian_init(net)
    shape, dtype, device = b.inputs.shape, b.inputs.dtype, b.inputs.device
    with torch.no_grad():
        x = torch.randn(shape, dtype=dtype, device=device)
        noise = torch.randn(shape, dtype=dtype, device=device)
        out = _pre_gap_features(net, x)
        mixed = _pre_gap_features(net, x + ZEN_MIXUP * noise)
        delta = float((out - mixed).abs().reshape(len(x), -1).sum(1).mean())
        log_bn = 0.0
        for m in net.modules():
            if isinstance(m, _BATCHNORM) and m.running_var is not None:
                log_bn += 0.5 * math.log(float(m.running_var.double().mean()))
    if not delta > 0 or not math.isfinite(delta):
        raise ProxyComputationError(
            f"zen: the mean perturbation of the features is {delta}, so its log is not finite"
        )
    return math.log(delta) + log_bn


def _params(b: _Batch) -> float:
    """The number of trainable parameters, in millions (as Suite-Zero and NB201's params_m)."""
    return count_params(b.model) / 1e6


def _flops(b: _Batch) -> float:
    """FLOPs of one sample in millions, in Suite-Zero's convention.

    See :func:`nasperf.spaces._complexity.count_flops`: conv and linear multiply-adds plus
    BatchNorm, ReLU and pooling as NAS-Bench-Suite-Zero's profiler counts them, so NB201 cells
    reproduce the published ``sz_flops`` exactly.
    """
    return count_flops(copy.deepcopy(b.model), tuple(b.inputs.shape[1:]))


def _zico(b: _Batch) -> float:
    """ZiCo (Li et al., ICLR 2023): ``Σ_W log Σ_θ mean|g_θ| / std(g_θ)`` across mini-batches.

    The batch is split into two halves (the reference's ``split_data=2``); each half's loss
    gradient ``g`` is computed from zero in train mode; mean and (population) standard deviation
    are taken over the two halves per weight, weights with zero deviation are left out, and a layer
    whose sum is 0 adds nothing. Needs 2 samples.
    """
    b.need_targets("zico")
    b.need_samples("zico")
    net = b.net(True)
    weights = [layer.weight for layer in _weight_layers(net)]
    n = len(b.inputs)
    per_layer: list[list[Any]] = [[] for _ in weights]
    for part in (slice(0, n // 2), slice(n // 2, n)):  # the reference's split_data=2
        loss = b.loss_fn(net(b.inputs[part]), b.targets[part])
        grads = torch.autograd.grad(loss, weights, allow_unused=True) if weights else ()
        for store, g in zip(per_layer, grads, strict=True):
            store.append(None if g is None else g.detach().reshape(-1).double())
    total = 0.0
    for store in per_layer:
        if any(g is None for g in store):
            continue
        stacked = torch.stack(store)
        std = stacked.std(0, correction=0)
        nonzero = std > 0
        ratio = float((stacked.abs().mean(0)[nonzero] / std[nonzero]).sum())
        if ratio > 0:
            total += math.log(ratio)
    return total


def _meco(b: _Batch) -> float:
    """MeCo (Jiang et al., NeurIPS 2023): ``Σ_modules λ_min`` of feature-map correlations.

    As the authors' code: one sample (the first of the batch) and one forward pass in train mode;
    every module of the network (containers included) is hooked, and for an output of shape
    ``(1, C, *pos)`` the ``C×C`` Pearson correlation of its channels over the positions, NaN
    entries set to 0, contributes its smallest eigenvalue. Outputs without positions add 0. A
    network whose BatchNorm cannot run on one sample in train mode (BatchNorm1d on ``(1, C)``) is
    run in eval mode instead.
    """
    net = b.net(True)
    x = b.inputs[:1]
    values: list[float] = []

    def hook(module: Any, inp: Any, out: Any) -> None:
        if not torch.is_tensor(out) or out.ndim < 3 or out.shape[0] != 1:
            return  # (1, F) outputs give an all-NaN correlation, zeroed by MeCo: adds 0
        fea = out[0].detach().double()
        fea = fea.reshape(fea.shape[0], -1)
        if fea.shape[0] < 2 or fea.shape[1] < 2:
            return
        corr = torch.nan_to_num(torch.corrcoef(fea), nan=0.0, posinf=0.0, neginf=0.0)
        values.append(float(torch.linalg.eigvalsh(corr)[0]))

    hooks = [m.register_forward_hook(hook) for m in net.modules()]
    try:
        with torch.no_grad():
            try:
                net(x)
            except ValueError as exc:  # BatchNorm1d on a (1, C) batch cannot run in train mode
                if "more than 1 value per channel" not in str(exc):
                    raise
                values.clear()
                net.eval()
                net(x)
    finally:
        for h in hooks:
            h.remove()
    return float(sum(v for v in values if math.isfinite(v)))


# -- the table's core functions -----------------------------------------------------------------
#: each proxy's core function, as :data:`PROXIES` names it
_CORES: dict[str, Callable[[_Batch], float]] = {
    name: globals()[PROXIES.load(name).function] for name in PROXIES
}


def _evaluate(name: str, b: _Batch) -> float:
    try:
        with b.seeded():
            value = float(_CORES[name](b))
    except NasperfError:
        raise
    except (RuntimeError, ValueError, IndexError) as exc:
        raise ProxyComputationError(f"{name}: the model failed while computing it: {exc}") from exc
    if not math.isfinite(value):
        raise ProxyComputationError(
            f"{name} is {value} for this model and batch (e.g. a log or log-determinant of 0: "
            "a singular kernel from identical samples or activation codes); it cannot rank it"
        )
    return value


# -- the public functions ------------------------------------------------------------------------
def _spec(name: str) -> ProxySpec:
    return PROXIES.load(name)  # UnknownNameError lists the proxies


def compute_proxy(
    name: str,
    model: Any,
    inputs: Any,
    targets: Any = None,
    *,
    loss_fn: LossFn | None = None,
    seed: int = 0,
) -> float:
    """Compute the proxy ``name`` (see :data:`PROXIES`) of ``model`` on ``(inputs, targets)``."""
    _spec(name)
    return _one(name, model, inputs, targets, loss_fn, seed)


def compute_proxies(
    model: Any,
    inputs: Any,
    targets: Any = None,
    names: Sequence[str] | None = None,
    *,
    loss_fn: LossFn | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Compute several proxies (all by default, in :data:`PROXIES` order) on one batch.

    The proxies that read the same train-mode pass (loss gradients, input Jacobian, ReLU codes)
    share it; each value equals what :func:`compute_proxy` returns for it alone. The first proxy
    without a finite value raises :class:`ProxyComputationError`.
    """
    chosen = list(PROXIES) if names is None else list(names)
    specs = [_spec(name) for name in chosen]
    if targets is None and any(s.uses_labels for s in specs):
        needing = ", ".join(s.name for s in specs if s.uses_labels)
        raise InvalidDataError(f"proxies {needing} need integer class targets; pass targets")
    b = _prepare(model, inputs, targets, loss_fn, seed, frozenset(chosen))
    values: dict[str, float] = {}
    pending = sum(name in _SHARED for name in chosen)
    for name in chosen:
        values[name] = _evaluate(name, b)
        pending -= name in _SHARED
        if pending == 0:
            b.release()  # the shared pass (and its graph) is no longer needed
    return values


def compute_proxies_or_errors(
    model: Any, inputs: Any, targets: Any = None, names: Sequence[str] | None = None, **options: Any
) -> tuple[dict[str, float], dict[str, str]]:
    """Every proxy of ``names`` that has a value, and why each other one has none.

    Returns ``(values, errors)``: :func:`compute_proxies` when every proxy has a finite value;
    else each proxy is computed alone and one without a value goes to ``errors`` (its name to
    the message). The values equal :func:`compute_proxy`'s; no names give two empty dicts.
    ``options`` (``loss_fn``, ``seed``) are passed on.
    """
    chosen = list(PROXIES) if names is None else list(names)
    if not chosen:
        return {}, {}
    try:
        return compute_proxies(model, inputs, targets, chosen, **options), {}
    except NasperfError:  # one proxy has no value: compute them one by one
        values: dict[str, float] = {}
        errors: dict[str, str] = {}
        for name in chosen:
            try:
                values[name] = compute_proxy(name, model, inputs, targets, **options)
            except NasperfError as exc:
                errors[name] = str(exc)
        return values, errors


# -- validation ----------------------------------------------------------------------------------
def _one(
    name: str, model: Any, inputs: Any, targets: Any, loss_fn: LossFn | None, seed: int
) -> float:
    return _evaluate(name, _prepare(model, inputs, targets, loss_fn, seed, frozenset({name})))


def _prepare(
    model: Any,
    inputs: Any,
    targets: Any,
    loss_fn: LossFn | None,
    seed: int,
    wanted: frozenset[str],
) -> _Batch:
    if not isinstance(model, nn.Module):
        raise InvalidDataError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InvalidDataError(f"seed must be an integer, got {seed!r}")
    x = inputs if torch.is_tensor(inputs) else torch.as_tensor(np.asarray(inputs))
    if not x.is_floating_point():
        raise InvalidDataError(
            f"inputs must be a floating-point tensor, got dtype {x.dtype}; convert the batch "
            "with .float()"
        )
    if x.ndim < 2 or len(x) == 0:
        raise InvalidDataError(
            f"inputs must be a non-empty batch of shape (B, ...), got shape {tuple(x.shape)}"
        )
    if not bool(torch.isfinite(x).all()):
        raise InvalidDataError("inputs contain NaN or infinite values")
    ref = next((p for p in model.parameters() if p.is_floating_point()), None)
    if ref is not None:
        x = x.to(device=ref.device, dtype=ref.dtype)
    y = None
    if targets is not None:
        y = targets if torch.is_tensor(targets) else torch.as_tensor(np.asarray(targets))
        if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
            raise InvalidDataError(
                f"targets must be integer class labels, got dtype {y.dtype}; convert with .long()"
            )
        if y.ndim != 1 or len(y) != len(x):
            raise InvalidDataError(
                f"targets must have shape ({len(x)},) to match the batch of inputs "
                f"{tuple(x.shape)}, got {tuple(y.shape)}"
            )
        y = y.to(device=x.device, dtype=torch.long)
    classes = _num_classes(model, x)
    if y is not None and (int(y.min()) < 0 or int(y.max()) >= classes):
        raise InvalidDataError(
            f"targets must lie in [0, {classes}) for a model with {classes} outputs, got values "
            f"from {int(y.min())} to {int(y.max())}"
        )
    loss = F.cross_entropy if loss_fn is None else loss_fn
    return _Batch(model, x, y, loss, int(seed), classes, wanted)


def _num_classes(model: Any, x: Any) -> int:
    """Run a copy in eval mode on up to two samples; check that it returns ``(n, K)`` logits."""
    net = copy.deepcopy(model).eval()
    n = min(len(x), 2)
    try:
        with torch.no_grad():
            out = net(x[:n])
    except (RuntimeError, ValueError, TypeError, IndexError) as exc:
        raise InvalidDataError(
            f"the model failed on inputs of shape {tuple(x.shape)}: {exc}"
        ) from exc
    shape = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
    if not torch.is_tensor(out) or out.ndim != 2 or out.shape[0] != n or out.shape[1] < 2:
        raise InvalidDataError(
            f"zero-cost proxies need a classifier: the model must return logits of shape "
            f"(batch, num_classes) with num_classes >= 2, but on {n} samples it returned {shape}"
        )
    return int(out.shape[1])
