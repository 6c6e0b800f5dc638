"""Sparse Gaussian processes on a fixed-length encoding (gpytorch, the ``gp`` extra).

Two inducing-point approximations of White et al.'s (2021) predictor set:

* :class:`SparseGPPredictor`: Titsias' (2009) SGPR. The kernel hyperparameters, the noise and
  the inducing locations maximise the collapsed variational lower bound on the marginal
  likelihood (gpytorch's ``InducingPointKernel`` adds the trace term to the exact marginal
  likelihood of the low-rank prior); predictions are Titsias' predictive distribution.
* :class:`VariationalSparseGPPredictor`: Hensman et al.'s (2013) SVGP. A whitened Gaussian
  ``q(u)`` at the inducing points (``CholeskyVariationalDistribution`` with a
  ``VariationalStrategy``) is learnt jointly with the hyperparameters by maximising the ELBO
  (``VariationalELBO``) over the full training set, with a Gaussian likelihood.

Both follow :class:`~nasperf.predictors.model_based.GPPredictor`: inputs standardised
column-wise, targets mapped by a :class:`TargetScaler` and then normalised, a zero-mean GP with
``outputscale * k(x, x')`` and a Gaussian noise, and ``predict_dist`` in target units with the
noise included. gpytorch is imported only when a model is fitted.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from ...exceptions import require
from ...records import Record
from ...validation import InstanceOf, Interval, Options
from ..base import THREADS_CONSTRAINTS, EncodingPredictor, SeededTorch
from ._trees import ENCODING_CONSTRAINTS, StandardisedTargets, column_scaling

__all__ = ["SparseGPPredictor", "VariationalSparseGPPredictor", "SPARSE_GP_KERNELS"]

#: the stationary kernels offered (``matern12`` is the exponential kernel)
SPARSE_GP_KERNELS = ("rbf", "matern12", "matern32", "matern52")

_POSITIVE = [Interval(float, 0.0, None, closed="neither")]
_BOOL = [InstanceOf(bool, "True or False")]
_SPARSE_CONSTRAINTS: dict[str, list[Any]] = {
    **ENCODING_CONSTRAINTS,
    **THREADS_CONSTRAINTS,
    "kernel": [Options(SPARSE_GP_KERNELS)],
    "ard": _BOOL,
    "num_inducing": [Interval(int, 1, None)],
    "learn_inducing": _BOOL,
    "max_iter": [Interval(int, 0, None)],
    "learning_rate": _POSITIVE,
    "length_scale": _POSITIVE,
    "noise_level": _POSITIVE,
    "standardize_inputs": _BOOL,
}
#: matrices up to this size are factorised exactly (never by conjugate gradients)
_CHOLESKY_UP_TO = 1_000_000


@lru_cache(maxsize=1)
def _sgpr_class() -> type:
    """The gpytorch model of SGPR (built on first use: gpytorch is optional)."""
    gpytorch = require("gpytorch", "gp")

    class SGPRModel(gpytorch.models.ExactGP):
        """Zero-mean GP whose prior covariance is Titsias' low-rank one on ``inducing``."""

        def __init__(self, x: Any, z: Any, inducing: Any, kernel: Any, likelihood: Any) -> None:
            super().__init__(x, z, likelihood)
            self.mean_module = gpytorch.means.ZeroMean()
            self.base_covar = kernel
            self.covar_module = gpytorch.kernels.InducingPointKernel(kernel, inducing, likelihood)

        def forward(self, x: Any) -> Any:
            return gpytorch.distributions.MultivariateNormal(
                self.mean_module(x), self.covar_module(x)
            )

    return SGPRModel


@lru_cache(maxsize=1)
def _svgp_class() -> type:
    """The gpytorch model of SVGP (built on first use: gpytorch is optional)."""
    gpytorch = require("gpytorch", "gp")

    class SVGPModel(gpytorch.models.ApproximateGP):
        """Zero-mean GP with a whitened full-covariance Gaussian ``q(u)`` at ``inducing``."""

        def __init__(self, inducing: Any, kernel: Any, learn_inducing: bool) -> None:
            q_u = gpytorch.variational.CholeskyVariationalDistribution(inducing.shape[0])
            strategy = gpytorch.variational.VariationalStrategy(
                self, inducing, q_u, learn_inducing_locations=learn_inducing
            )
            super().__init__(strategy)
            self.mean_module = gpytorch.means.ZeroMean()
            self.covar_module = kernel

        def forward(self, x: Any) -> Any:
            return gpytorch.distributions.MultivariateNormal(
                self.mean_module(x), self.covar_module(x)
            )

    return SVGPModel


class _SparseGP(StandardisedTargets, SeededTorch, EncodingPredictor):
    """Shared plumbing: inputs, targets, kernel, inducing points, optimisation, prediction."""

    extra: ClassVar[str | None] = "gp"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = _SPARSE_CONSTRAINTS

    # set by the subclasses' __init__
    kernel: str
    ard: bool
    num_inducing: int
    learn_inducing: bool
    max_iter: int
    learning_rate: float
    length_scale: float
    noise_level: float
    standardize_inputs: bool
    target_transform: str

    # -- data ----------------------------------------------------------------------------
    def _prepare(self, records: list[Record], y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Standardised inputs and normalised transformed targets (learns both maps)."""
        X = self._features(records)
        self.x_mean_, self.x_scale_ = column_scaling(X, self.standardize_inputs)
        return (X - self.x_mean_) / self.x_scale_, self._targets(y)

    def _inputs(self, records: list[Record]) -> np.ndarray:
        return (self._features(records) - self.x_mean_) / self.x_scale_

    def _initial_inducing(self, Xs: np.ndarray) -> np.ndarray:
        """``min(num_inducing, distinct inputs)`` distinct training inputs, drawn with
        ``random_state`` (all of them, in training order, when there are no more)."""
        _, first = np.unique(Xs, axis=0, return_index=True)
        first = np.sort(first)
        m = min(int(self.num_inducing), len(first))
        if m < len(first):
            rng = np.random.default_rng(int(self.random_state))
            first = np.sort(rng.choice(first, size=m, replace=False))
        return Xs[first]

    # -- model pieces --------------------------------------------------------------------
    def _make_kernel(self, d: int) -> Any:
        """``outputscale * k`` started at outputscale 1 and length scale
        ``length_scale * sqrt(d)`` (the typical distance of standardised points)."""
        gpytorch = require("gpytorch", "gp")
        dims = d if self.ard else None
        if self.kernel == "rbf":
            base = gpytorch.kernels.RBFKernel(ard_num_dims=dims)
        else:
            nu = {"matern12": 0.5, "matern32": 1.5, "matern52": 2.5}[self.kernel]
            base = gpytorch.kernels.MaternKernel(nu=nu, ard_num_dims=dims)
        base.lengthscale = float(self.length_scale) * np.sqrt(d)
        kernel = gpytorch.kernels.ScaleKernel(base)
        kernel.outputscale = 1.0
        return kernel

    def _make_likelihood(self) -> Any:
        gpytorch = require("gpytorch", "gp")
        likelihood = gpytorch.likelihoods.GaussianLikelihood()
        likelihood.noise = float(self.noise_level)
        return likelihood

    def _optimise(self, loss_fn: Any, modules: list[Any]) -> None:
        """Minimise ``loss_fn()`` by full-batch Adam for ``max_iter`` steps."""
        import torch

        params = [p for module in modules for p in module.parameters() if p.requires_grad]
        optimiser = torch.optim.Adam(params, lr=float(self.learning_rate))
        for _ in range(int(self.max_iter)):
            optimiser.zero_grad()
            loss = loss_fn()
            loss.backward()
            optimiser.step()
        self.final_loss_ = float(loss_fn().detach()) if params else float("nan")

    def _keep_hyperparameters(self, kernel: Any, likelihood: Any, inducing: Any) -> None:
        """The learnt kernel, noise and inducing locations (standardised units), for reading."""
        ls = kernel.base_kernel.lengthscale.detach().numpy().reshape(-1)
        self.length_scale_ = ls if self.ard else float(ls[0])
        self.outputscale_ = float(kernel.outputscale.detach())
        self.noise_ = float(likelihood.noise.detach())
        self.inducing_points_ = inducing.detach().numpy().copy()

    # -- fit and predict -----------------------------------------------------------------
    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        gpytorch = require("gpytorch", "gp")
        import torch

        Xs, zs = self._prepare(records, y)
        x = torch.as_tensor(Xs, dtype=torch.float64)
        z = torch.as_tensor(zs, dtype=torch.float64)
        inducing = torch.as_tensor(self._initial_inducing(Xs), dtype=torch.float64)
        with _exact_settings(gpytorch):
            self._fit_model(x, z, inducing)

    def _fit_model(self, x: Any, z: Any, inducing: Any) -> None:
        raise NotImplementedError

    def _latent(self, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and variance of the noise-free function at ``x``."""
        raise NotImplementedError

    def _normalised(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and std of a new observation, on the normalised target scale."""
        gpytorch = require("gpytorch", "gp")
        import torch

        x = torch.as_tensor(self._inputs(records), dtype=torch.float64)
        with torch.no_grad(), _exact_settings(gpytorch):
            mean, var = self._latent(x)
        std = np.sqrt(np.maximum(var, 0.0) + self.noise_)
        return mean, std

    def _predict(self, records: list[Record]) -> np.ndarray:
        mean, _ = self._normalised(records)
        return self.scaler_.inverse(mean * self.z_scale_ + self.z_mean_)

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        mean, std = self._normalised(records)
        return self._to_targets(mean, std)


class _exact_settings:  # noqa: N801 - used as a context manager
    """gpytorch settings of every fit and prediction: Cholesky factorisations wherever a
    matrix is factorised (never conjugate gradients or Lanczos estimates), and the jitter
    warnings of near-duplicate inducing points silenced (the jitter itself is kept).

    gpytorch's ``fast_computations`` stay on: the low-rank-plus-diagonal covariance of SGPR
    is then solved exactly by the Woodbury identity in O(n m^2); turning them off would make
    gpytorch factorise the dense n x n matrix instead (about 25 times slower at n = 1000).
    """

    def __init__(self, gpytorch: Any) -> None:
        self._settings = [
            gpytorch.settings.max_cholesky_size(_CHOLESKY_UP_TO),
            gpytorch.settings.fast_pred_var(False),
        ]
        self._warnings = warnings.catch_warnings()
        self._numerical = gpytorch.utils.warnings.NumericalWarning

    def __enter__(self) -> None:
        self._warnings.__enter__()
        warnings.simplefilter("ignore", self._numerical)
        for s in self._settings:
            s.__enter__()

    def __exit__(self, *exc: object) -> None:
        for s in reversed(self._settings):
            s.__exit__(*exc)
        self._warnings.__exit__(*exc)


class SparseGPPredictor(_SparseGP):
    """Sparse GP regression with inducing points (Titsias 2009, SGPR).

    ``min(num_inducing, n)`` inducing locations start at distinct training inputs drawn with
    ``random_state``; the kernel (``outputscale * kernel``, one length scale or one per
    dimension when ``ard``), the noise and, when ``learn_inducing``, the inducing locations
    maximise the collapsed bound ``log N(z | 0, Q + noise I) - tr(K - Q) / (2 noise)`` with
    ``Q = K_fu K_uu^-1 K_uf``, by ``max_iter`` full-batch Adam steps of size
    ``learning_rate``. Predictions are Titsias' predictive distribution (noise included in
    ``predict_dist``); with an inducing point at every training input they are the exact GP's.

    Settings: NASLib's RBF kernel, Adam and 200 steps; ours are 100 inducing points started at
    training inputs and step size 0.05 (NASLib: 10 points at fixed locations and 0.01; 10
    points and 0.01 give Kendall tau 0.60 on 121 NB201 CIFAR-10 records, ours 0.63).
    """

    def __init__(
        self,
        encoding: str = "default",
        kernel: str = "rbf",
        ard: bool = False,
        num_inducing: int = 100,
        learn_inducing: bool = True,
        max_iter: int = 200,
        learning_rate: float = 0.05,
        length_scale: float = 1.0,
        noise_level: float = 0.1,
        standardize_inputs: bool = True,
        target_transform: str = "quantile",
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        self.encoding = encoding
        self.kernel = kernel
        self.ard = ard
        self.num_inducing = num_inducing
        self.learn_inducing = learn_inducing
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.length_scale = length_scale
        self.noise_level = noise_level
        self.standardize_inputs = standardize_inputs
        self.target_transform = target_transform
        self.random_state = random_state
        self.num_threads = num_threads

    def _fit_model(self, x: Any, z: Any, inducing: Any) -> None:
        gpytorch = require("gpytorch", "gp")

        likelihood = self._make_likelihood().double()
        model = _sgpr_class()(x, z, inducing, self._make_kernel(x.shape[1]), likelihood).double()
        model.covar_module.inducing_points.requires_grad_(bool(self.learn_inducing))
        mll = gpytorch.mlls.ExactMarginalLogLikelihood(likelihood, model)
        model.train()
        likelihood.train()
        # mll(...) is the collapsed bound divided by n (the trace term is an added loss term)
        self._optimise(lambda: -mll(model(x), z), [model])
        model.eval()
        likelihood.eval()
        self.model_ = model
        self._keep_hyperparameters(model.base_covar, likelihood, model.covar_module.inducing_points)

    def _latent(self, x: Any) -> tuple[np.ndarray, np.ndarray]:
        gpytorch = require("gpytorch", "gp")

        model = self.model_
        # gpytorch's own diagonal correction would also be applied to the training block of the
        # joint prior, which moves the mean off Titsias' predictive; add it to the test points
        # only: var = K** - Q** + K*u (K_uu + K_uf K_fu / noise)^-1 K_u*.
        with gpytorch.settings.sgpr_diagonal_correction(False):
            f = model(x)
            correction = model.base_covar(x, diag=True) - model.covar_module(x, diag=True)
        var = f.variance + correction.clamp_min(0.0)
        return f.mean.numpy(), var.numpy()


class VariationalSparseGPPredictor(_SparseGP):
    """Variational sparse GP (Hensman et al. 2013, SVGP) with a Gaussian likelihood.

    ``min(num_inducing, n)`` inducing locations start at distinct training inputs drawn with
    ``random_state``; a whitened full-covariance Gaussian ``q(u)``, the kernel
    (``outputscale * kernel``), the noise and, when ``learn_inducing``, the inducing locations
    maximise the ELBO ``E_q[log p(z | f)] - KL(q(u) || p(u))`` over the whole training set,
    by ``max_iter`` full-batch Adam steps of size ``learning_rate``. ``predict_dist`` is the
    variational predictive distribution with the noise included.

    Settings: as :class:`SparseGPPredictor` but 500 Adam steps: joint Adam on ``q(u)`` and the
    hyperparameters converges more slowly than the collapsed bound (1000 NB201 records, 50
    inducing points: Kendall tau 0.730 after 300 steps, 0.746 after 1000, SGPR 0.748).
    """

    def __init__(
        self,
        encoding: str = "default",
        kernel: str = "rbf",
        ard: bool = False,
        num_inducing: int = 100,
        learn_inducing: bool = True,
        max_iter: int = 500,
        learning_rate: float = 0.05,
        length_scale: float = 1.0,
        noise_level: float = 0.1,
        standardize_inputs: bool = True,
        target_transform: str = "quantile",
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        self.encoding = encoding
        self.kernel = kernel
        self.ard = ard
        self.num_inducing = num_inducing
        self.learn_inducing = learn_inducing
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.length_scale = length_scale
        self.noise_level = noise_level
        self.standardize_inputs = standardize_inputs
        self.target_transform = target_transform
        self.random_state = random_state
        self.num_threads = num_threads

    def _fit_model(self, x: Any, z: Any, inducing: Any) -> None:
        gpytorch = require("gpytorch", "gp")

        kernel = self._make_kernel(x.shape[1])
        model = _svgp_class()(inducing, kernel, bool(self.learn_inducing)).double()
        likelihood = self._make_likelihood().double()
        elbo = gpytorch.mlls.VariationalELBO(likelihood, model, num_data=x.shape[0])
        model.train()
        likelihood.train()
        self._optimise(lambda: -elbo(model(x), z), [model, likelihood])
        model.eval()
        likelihood.eval()
        self.model_ = model
        self._keep_hyperparameters(kernel, likelihood, model.variational_strategy.inducing_points)

    def _latent(self, x: Any) -> tuple[np.ndarray, np.ndarray]:
        f = self.model_(x)
        return f.mean.numpy(), f.variance.numpy()
