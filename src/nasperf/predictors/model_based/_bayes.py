"""Bayesian regressors on a fixed-length encoding: BLR, DNGO and BOHAMIANN.

The three Bayesian model-based predictors of White et al.'s study (NASLib's ``predictors/bnn``,
which wraps pybnn), written here:

- :class:`BLRPredictor`: Bayesian linear regression on the encoding plus a constant, its
  weight precision ``alpha`` and noise precision ``beta`` chosen by maximising the marginal
  likelihood (type-II maximum likelihood; Bishop 2006, sections 3.3 and 3.5).
- :class:`DNGOPredictor`: DNGO (Snoek et al. 2015): an MLP of tanh layers trained by least
  squares, then the same Bayesian linear regression on its last hidden layer (plus a constant).
- :class:`BOHAMIANNPredictor`: BOHAMIANN (Springenberg et al. 2016): a Bayesian neural network
  whose weights and noise variance are sampled by stochastic-gradient Hamiltonian Monte Carlo
  with the paper's scale adaptation (:func:`adaptive_sghmc`); the prediction is the mixture
  over the kept samples.

All three map the targets by ``target_transform`` (see
:class:`~nasperf.predictors.model_based.TargetScaler`), standardise them, and report
``predict_dist`` in target units. :class:`BayesianLinearModel` is the shared closed-form
Bayesian linear regression (numpy and scipy only); the networks need the ``torch`` extra.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import numpy as np

from ...exceptions import InvalidDataError, require
from ...records import Record
from ...validation import Interval
from ..base import THREADS_CONSTRAINTS, EncodingPredictor, SeededTorch
from ._mlp import train_mlp
from ._trees import ENCODING_CONSTRAINTS, StandardisedTargets

__all__ = [
    "BayesianLinearModel",
    "adaptive_sghmc",
    "BLRPredictor",
    "DNGOPredictor",
    "BOHAMIANNPredictor",
]

logger = logging.getLogger(__name__)

_POSITIVE_INT = [Interval(int, 1, None)]
_POSITIVE = [Interval(float, 0.0, None, closed="neither")]
_OPTIONAL_POSITIVE = [None, Interval(float, 0.0, None, closed="neither")]
_FRACTION = [Interval(float, 0.0, 1.0, closed="neither")]

#: search range of log(alpha) and log(beta) on standardised targets
_LOG_ALPHA_BOUNDS = (math.log(1e-8), math.log(1e8))
_LOG_BETA_BOUNDS = (math.log(1e-4), math.log(1e10))


class _Evidence:
    """log p(y | alpha, beta) of Bayesian linear regression on ``Phi``, with its gradient in
    (log alpha, log beta), computed in the eigenbasis of ``Phi^T Phi``: each evaluation costs
    one ``n x d`` product."""

    def __init__(self, Phi: np.ndarray, y: np.ndarray) -> None:
        eig, self.V = np.linalg.eigh(Phi.T @ Phi)
        self.eig = np.clip(eig, 0.0, None)
        self.PV, self.y = Phi @ self.V, y
        self.b = self.PV.T @ y  # V^T Phi^T y

    def weights(self, alpha: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
        """The posterior precisions and mean of the weights, in the eigenbasis."""
        prec = alpha + beta * self.eig
        return prec, beta * self.b / prec

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        alpha, beta = np.exp(theta)
        n, d = self.PV.shape
        prec, m = self.weights(alpha, beta)
        resid = self.y - self.PV @ m
        rss, mm = float(resid @ resid), float(m @ m)
        value = (
            0.5 * d * theta[0]
            + 0.5 * n * theta[1]
            - 0.5 * beta * rss
            - 0.5 * alpha * mm
            - 0.5 * float(np.sum(np.log(prec)))
            - 0.5 * n * math.log(2.0 * math.pi)
        )
        # m maximises the exponent, so only the explicit dependence on alpha and beta counts.
        grad = np.array(
            [
                0.5 * d - 0.5 * alpha * mm - 0.5 * float(np.sum(alpha / prec)),
                0.5 * n - 0.5 * beta * rss - 0.5 * float(np.sum(beta * self.eig / prec)),
            ]
        )
        return value, grad


class BayesianLinearModel:
    """Bayesian linear regression ``y = Phi w + e``, ``w ~ N(0, I/alpha)``, ``e ~ N(0, 1/beta)``.

    ``alpha`` and ``beta`` left as None are chosen with L-BFGS over their logarithms (from two
    starts) by maximising the log marginal likelihood ``log p(y | alpha, beta)`` (the
    evidence), or, when :meth:`fit` is given a ``held_out`` mask, the conditional marginal
    likelihood ``log p(y_held_out | y_rest, alpha, beta)`` (the evidence of all points minus
    that of the rest): how well the posterior from the rest predicts the held-out points. A
    value given is kept. After :meth:`fit` the weights' posterior, given all points: mean
    ``mean_``, covariance ``cov_``; and ``alpha_``, ``beta_``, ``log_evidence_`` (of all points).
    """

    def __init__(self, alpha: float | None = None, beta: float | None = None) -> None:
        self.alpha = alpha
        self.beta = beta

    def fit(
        self, Phi: np.ndarray, y: np.ndarray, held_out: np.ndarray | None = None
    ) -> BayesianLinearModel:
        """Choose the free precisions, then compute the posterior of the weights."""
        Phi = np.asarray(Phi, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if Phi.ndim != 2 or Phi.shape[0] != y.shape[0]:
            raise InvalidDataError(
                f"design matrix of shape {Phi.shape} does not match {y.shape[0]} targets"
            )
        evidence = _Evidence(Phi, y)
        criterion: Callable[[np.ndarray], tuple[float, np.ndarray]] = evidence
        if held_out is not None and np.any(held_out) and not np.all(held_out):
            rest = _Evidence(Phi[~held_out], y[~held_out])

            def criterion(theta: np.ndarray) -> tuple[float, np.ndarray]:
                (v_all, g_all), (v_rest, g_rest) = evidence(theta), rest(theta)
                return v_all - v_rest, g_all - g_rest

        theta = self._choose(criterion)
        self.log_evidence_ = evidence(theta)[0]
        self.alpha_, self.beta_ = float(np.exp(theta[0])), float(np.exp(theta[1]))
        self._V = evidence.V
        self._prec, m = evidence.weights(self.alpha_, self.beta_)
        self.mean_ = self._V @ m
        self.cov_ = (self._V / self._prec) @ self._V.T
        return self

    def _choose(self, criterion: Callable[[np.ndarray], tuple[float, np.ndarray]]) -> np.ndarray:
        """(log alpha, log beta): the given ones, the free ones maximising ``criterion``."""
        from scipy.optimize import minimize

        fixed = [self.alpha, self.beta]
        free = [i for i, v in enumerate(fixed) if v is None]
        theta = np.array([math.log(v) if v is not None else 0.0 for v in fixed])
        if not free:
            return theta
        bounds = [(_LOG_ALPHA_BOUNDS, _LOG_BETA_BOUNDS)[i] for i in free]

        def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
            full = theta.copy()
            full[free] = x
            value, grad = criterion(full)
            return -value, -grad[free]

        # Starts: noise as large as the (standardised) targets, and a hundredth of it.
        starts = [np.zeros(len(free)), np.array([0.0, math.log(100.0)])[free]]
        results = [
            minimize(objective, s, jac=True, method="L-BFGS-B", bounds=bounds) for s in starts
        ]
        theta[free] = min(results, key=lambda r: float(r.fun)).x
        return theta

    def predict(self, Phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior predictive mean and standard deviation (noise included) at ``Phi``."""
        Phi = np.asarray(Phi, dtype=np.float64)
        proj = Phi @ self._V
        var = 1.0 / self.beta_ + np.sum(proj**2 / self._prec, axis=1)
        return Phi @ self.mean_, np.sqrt(var)


def _with_bias(X: np.ndarray) -> np.ndarray:
    return np.hstack([X, np.ones((X.shape[0], 1))])


class BLRPredictor(StandardisedTargets, EncodingPredictor):
    """Bayesian linear regression on the encoding plus a constant feature.

    The weight precision ``alpha`` and noise precision ``beta`` (on standardised targets)
    maximise the marginal likelihood unless given, as NASLib's BLR does with pybnn's optimiser
    (NASLib turns pybnn's MCMC over them off). The fit is deterministic: ``random_state`` is
    accepted for a uniform interface and unused. ``predict_dist`` gives the posterior
    predictive mean and standard deviation (noise included) in target units.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **ENCODING_CONSTRAINTS,
        "alpha": _OPTIONAL_POSITIVE,
        "beta": _OPTIONAL_POSITIVE,
    }

    def __init__(
        self,
        encoding: str = "default",
        alpha: float | None = None,
        beta: float | None = None,
        target_transform: str = "quantile",
        random_state: int = 0,
    ) -> None:
        self.encoding = encoding
        self.alpha = alpha
        self.beta = beta
        self.target_transform = target_transform
        self.random_state = random_state

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        z = self._targets(y)
        self.model_ = BayesianLinearModel(self.alpha, self.beta).fit(
            _with_bias(self._features(records)), z
        )

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        return self._to_targets(*self.model_.predict(_with_bias(self._features(records))))

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self._predict_dist(records)[0]


def _batches(n: int, batch_size: int, generator: Any) -> Iterator[Any]:
    """Endless minibatch indices: a fresh permutation of ``range(n)`` each epoch."""
    torch = require("torch", "torch")
    while True:
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch_size):
            yield order[start : start + batch_size]


class DNGOPredictor(SeededTorch, StandardisedTargets, EncodingPredictor):
    """DNGO: an MLP's last hidden layer as basis functions for Bayesian linear regression.

    The network (``num_layers`` tanh layers of ``layer_width`` units and a linear output) is
    trained by mean squared error with Adam on standardised targets; then
    :class:`BayesianLinearModel` regresses the targets on its last hidden layer plus a constant.
    Network defaults are NASLib's (pybnn's DNGO): 3 layers of 50, 500 epochs, batches of 10,
    learning rate 0.01, no weight decay.

    ``alpha`` and ``beta``: the network is trained on all but a random ``validation_fraction``
    of the records, and the two precisions maximise the conditional marginal likelihood of the
    held-out records given the others (the posterior is then conditioned on all records). The
    plain evidence (``validation_fraction=0``, pybnn's criterion; NASLib samples it by MCMC)
    sees residuals of points the network was fitted to: the noise it finds is the training
    error of a network that interpolates, and the intervals are far too narrow.
    """

    extra = "torch"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **ENCODING_CONSTRAINTS,
        **THREADS_CONSTRAINTS,
        "num_layers": _POSITIVE_INT,
        "layer_width": _POSITIVE_INT,
        "epochs": _POSITIVE_INT,
        "batch_size": _POSITIVE_INT,
        "learning_rate": _POSITIVE,
        "weight_decay": [Interval(float, 0.0, None)],
        "validation_fraction": [Interval(float, 0.0, 1.0, closed="left")],
    }

    def __init__(
        self,
        encoding: str = "default",
        num_layers: int = 3,
        layer_width: int = 50,
        epochs: int = 500,
        batch_size: int = 10,
        learning_rate: float = 0.01,
        weight_decay: float = 0.0,
        validation_fraction: float = 0.2,
        target_transform: str = "quantile",
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        self.encoding = encoding
        self.num_layers = num_layers
        self.layer_width = layer_width
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.target_transform = target_transform
        self.random_state = random_state
        self.num_threads = num_threads

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        torch = require("torch", "torch")
        z = self._targets(y)
        X = self._features(records)
        n = len(X)
        gen = torch.Generator().manual_seed(int(self.random_state))
        held_out = np.zeros(n, dtype=bool)
        n_held = int(round(self.validation_fraction * n))
        if 0 < n_held < n:
            held_out[torch.randperm(n, generator=gen)[:n_held].numpy()] = True
        net = train_mlp(
            X[~held_out],
            z[~held_out],
            num_layers=int(self.num_layers),
            layer_width=int(self.layer_width),
            epochs=int(self.epochs),
            batch_size=int(self.batch_size),
            learning_rate=float(self.learning_rate),
            weight_decay=float(self.weight_decay),
            loss="mse",
            seed=int(self.random_state),
            activation="tanh",
        )
        self.body_ = net[:-1]  # the last hidden layer's outputs are the basis functions
        basis = self._basis(torch.as_tensor(X, dtype=torch.float64))
        self.blr_ = BayesianLinearModel().fit(basis, z, held_out=held_out)
        logger.debug("DNGO: alpha=%.3g beta=%.3g", self.blr_.alpha_, self.blr_.beta_)

    def _basis(self, X: Any) -> np.ndarray:
        torch = require("torch", "torch")
        with torch.no_grad():
            return _with_bias(self.body_(X).numpy())

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        torch = require("torch", "torch")
        X = torch.as_tensor(self._features(records), dtype=torch.float64)
        return self._to_targets(*self.blr_.predict(self._basis(X)))

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self._predict_dist(records)[0]


@functools.cache
def _adaptive_sghmc_class() -> type:
    """The sampler class, built on first use (torch is an optional dependency)."""
    torch = require("torch", "torch")

    class AdaptiveSGHMC(torch.optim.Optimizer):
        """Scale-adapted SGHMC as a torch optimiser; see :func:`adaptive_sghmc`."""

        def __init__(
            self, params: Any, lr: float, mdecay: float, num_burn_in_steps: int, epsilon: float
        ) -> None:
            defaults = {"lr": lr, "mdecay": mdecay, "burn_in": num_burn_in_steps, "eps": epsilon}
            super().__init__(params, defaults)

        @torch.no_grad()
        def step(self, closure: Callable[[], Any] | None = None) -> None:  # type: ignore[override]
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        _sghmc_update(torch, p, p.grad, self.state[p], group)

    return AdaptiveSGHMC


def adaptive_sghmc(
    params: Any,
    lr: float = 1e-2,
    mdecay: float = 0.05,
    num_burn_in_steps: int = 3000,
    epsilon: float = 1e-10,
) -> Any:
    """Stochastic-gradient Hamiltonian Monte Carlo with scale adaptation, as a torch optimiser.

    Call ``backward()`` on the potential ``U(theta) = -log p(theta | data)`` (a minibatch
    estimate scaled to the whole data set), then ``step()``: the parameters move to the next
    state of the chain. For the first ``num_burn_in_steps`` steps the sampler adapts a
    per-element preconditioner to the scale of the gradient (Springenberg et al. 2016); those
    states are no posterior samples. ``lr`` is the step size, ``mdecay`` the friction of the
    momentum; the noise comes from torch's global generator. The injected noise is reduced by
    an estimate of the minibatch gradient's own noise (which assumes it dominates the
    gradient's spread), and the chain is accurate while ``lr**2`` is small against the
    posterior's standard deviation times ``mdecay``.
    """
    return _adaptive_sghmc_class()(params, lr, mdecay, num_burn_in_steps, epsilon)


def _sghmc_update(torch: Any, p: Any, grad: Any, state: dict[str, Any], group: dict) -> None:
    """One step of scale-adapted SGHMC for the tensor ``p`` (Springenberg et al. 2016, eq. 8-10).

    During burn-in, per element: an adaptive window ``tau`` (shorter while the gradient's mean
    is large against its root mean square), the running mean ``g`` and mean square ``v`` of the
    gradient; the preconditioner is ``1/sqrt(v)``. Then, with step ``lr`` and friction
    ``mdecay``: ``r <- r - lr^2 grad / sqrt(v) - mdecay r + N(0, 2 lr^2 mdecay / sqrt(v) - lr^4)``
    and ``p <- p + r``.
    """
    lr, mdecay, eps = group["lr"], group["mdecay"], group["eps"]
    if not state:
        state["step"] = 0
        for key in ("tau", "g", "v"):
            state[key] = torch.ones_like(p)
        state["r"] = torch.zeros_like(p)
    state["step"] += 1
    tau, g, v, r = state["tau"], state["g"], state["v"], state["r"]
    if state["step"] <= group["burn_in"]:
        w = 1.0 / (tau + 1.0)
        tau.add_(1.0 - tau * g * g / (v + eps))
        g.add_(w * (grad - g))
        v.add_(w * (grad * grad - v))
    minv = 1.0 / (torch.sqrt(v) + eps)
    noise_var = torch.clamp(2.0 * lr**2 * mdecay * minv - lr**4, min=1e-16)
    r.add_(-(lr**2) * minv * grad - mdecay * r + torch.sqrt(noise_var) * torch.randn_like(p))
    p.add_(r)


class _FlatBNN:
    """A tanh network with a linear output and a log noise variance, all in one flat vector.

    ``init()`` draws a starting vector: torch's default initialisation of the layers and
    pybnn's starting noise variance, 1e-3 (of the standardised targets' variance).
    ``forward(theta, X)`` gives the outputs and the log noise variance (the last entry of
    ``theta``). Sampling one vector keeps the sampler's work to a few tensor operations.
    """

    def __init__(self, d_in: int, num_layers: int, width: int) -> None:
        self.widths = [d_in] + [width] * num_layers + [1]
        self.shapes: list[tuple[int, ...]] = []
        for w_in, w_out in itertools.pairwise(self.widths):
            self.shapes += [(w_out, w_in), (w_out,)]
        self.sizes = [math.prod(shape) for shape in self.shapes] + [1]

    def init(self) -> Any:
        torch = require("torch", "torch")
        layers = [torch.nn.Linear(a, b) for a, b in itertools.pairwise(self.widths)]
        parts = [p.detach().reshape(-1) for layer in layers for p in (layer.weight, layer.bias)]
        parts.append(torch.tensor([math.log(1e-3)]))
        return torch.cat(parts).double()

    def fan_in(self) -> Any:
        """Per entry: a weight's layer input width, 1 for a bias, 0 for the noise variance."""
        torch = require("torch", "torch")
        parts = [
            torch.full((size,), float(shape[1]) if len(shape) == 2 else 1.0)
            for shape, size in zip(self.shapes, self.sizes, strict=False)
        ]
        return torch.cat([*parts, torch.zeros(1)]).double()

    def forward(self, theta: Any, X: Any) -> tuple[Any, Any]:
        torch = require("torch", "torch")
        chunks = theta.split(self.sizes)
        h = X
        for i in range(0, len(self.shapes), 2):
            h = torch.nn.functional.linear(h, chunks[i].view(self.shapes[i]), chunks[i + 1])
            if i + 2 < len(self.shapes):
                h = torch.tanh(h)
        return h, chunks[-1]


class BOHAMIANNPredictor(SeededTorch, StandardisedTargets, EncodingPredictor):
    """BOHAMIANN: a Bayesian neural network sampled by scale-adapted SGHMC.

    The model, on standardised targets: ``z ~ N(f(x; w), sigma^2)`` with ``f`` a tanh network
    (``num_layers`` layers of ``layer_width`` units, linear output); a Gaussian prior on the
    weights of variance ``1 / (weight_prior_precision * fan_in)`` (the layer's input width, so
    that the prior's outputs keep the targets' scale) and on the biases of variance
    ``1 / weight_prior_precision``; a flat prior on ``log sigma^2``, a homoscedastic noise
    parameter sampled with the weights. :func:`adaptive_sghmc` runs ``burn_in_steps`` adapting
    steps on minibatches of ``batch_size``, then keeps every ``keep_every``-th state until it
    has ``num_samples``. The predictive distribution is the mixture of the kept networks: mean
    the mean of their outputs, variance the spread of their outputs plus the mean noise
    variance.

    Sampler settings are pybnn's defaults (which NASLib wraps, running only 100 steps): 2 layers
    of 50, step 1e-2, friction 0.05, batches of 20, 3,000 burn-in steps, then 100 samples kept
    every 100 steps (13,000 steps: the cost does not grow with the training set). The original
    code's Gamma hyperprior on the weight precision is left out: without its strong prior
    pinning the noise variance near zero, the chain drifts to the collapsed mode (all weights
    near zero, noise as large as the targets).
    """

    extra = "torch"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **ENCODING_CONSTRAINTS,
        **THREADS_CONSTRAINTS,
        "num_layers": _POSITIVE_INT,
        "layer_width": _POSITIVE_INT,
        "num_samples": _POSITIVE_INT,
        "keep_every": _POSITIVE_INT,
        "burn_in_steps": [Interval(int, 0, None)],
        "batch_size": _POSITIVE_INT,
        "learning_rate": _POSITIVE,
        "mdecay": _FRACTION,
        "weight_prior_precision": _POSITIVE,
    }

    def __init__(
        self,
        encoding: str = "default",
        num_layers: int = 2,
        layer_width: int = 50,
        num_samples: int = 100,
        keep_every: int = 100,
        burn_in_steps: int = 3000,
        batch_size: int = 20,
        learning_rate: float = 1e-2,
        mdecay: float = 0.05,
        weight_prior_precision: float = 1.0,
        target_transform: str = "quantile",
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        self.encoding = encoding
        self.num_layers = num_layers
        self.layer_width = layer_width
        self.num_samples = num_samples
        self.keep_every = keep_every
        self.burn_in_steps = burn_in_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.mdecay = mdecay
        self.weight_prior_precision = weight_prior_precision
        self.target_transform = target_transform
        self.random_state = random_state
        self.num_threads = num_threads

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        torch = require("torch", "torch")
        z = self._targets(y)
        X = torch.as_tensor(self._features(records), dtype=torch.float64)
        zt = torch.as_tensor(z, dtype=torch.float64).reshape(-1, 1)
        n = len(X)
        net = _FlatBNN(X.shape[1], self.num_layers, self.layer_width)
        theta = net.init().requires_grad_()
        prior_prec = self.weight_prior_precision * net.fan_in()
        sampler = adaptive_sghmc(
            [theta], lr=self.learning_rate, mdecay=self.mdecay, num_burn_in_steps=self.burn_in_steps
        )
        batches = _batches(
            n, min(self.batch_size, n), torch.Generator().manual_seed(int(self.random_state))
        )
        samples = []
        for step in range(1, self.burn_in_steps + self.num_samples * self.keep_every + 1):
            idx = next(batches)
            out, log_var = net.forward(theta, X[idx])
            # U = -log p(w, sigma^2 | data): the minibatch's Gaussian NLL scaled to all n points
            nll = 0.5 * n * torch.mean((zt[idx] - out) ** 2 * torch.exp(-log_var) + log_var)
            sampler.zero_grad()
            (nll + 0.5 * torch.sum(prior_prec * theta**2)).backward()
            sampler.step()
            if step > self.burn_in_steps and (step - self.burn_in_steps) % self.keep_every == 0:
                samples.append(theta.detach().clone())
        self.net_ = net
        self.samples_ = torch.stack(samples)
        if not torch.all(torch.isfinite(self.samples_)):
            raise InvalidDataError(
                "BOHAMIANN's sampler diverged (non-finite weights); lower learning_rate or "
                "check the encoding for very large values"
            )
        logger.debug(
            "BOHAMIANN: mean noise variance %.3g", float(self.samples_[:, -1].exp().mean())
        )

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        torch = require("torch", "torch")
        X = torch.as_tensor(self._features(records), dtype=torch.float64)
        with torch.no_grad():
            outs = [self.net_.forward(theta, X) for theta in self.samples_]
        mu = torch.stack([out.reshape(-1) for out, _ in outs]).numpy()
        noise = float(torch.stack([log_var for _, log_var in outs]).exp().mean())
        return self._to_targets(mu.mean(axis=0), np.sqrt(mu.var(axis=0) + noise))

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self._predict_dist(records)[0]
