"""LCE-m: learning-curve extrapolation with the posterior sampled by MCMC (Domhan et al. 2015).

The model is Domhan, Springenberg and Hutter's weighted combination of parametric curve
families, ``f(x) = sum_k w_k f_k(x; theta_k) / sum_k w_k``, observed with Gaussian noise of
standard deviation ``sigma``. Every family's parameters, the weights and ``sigma`` are sampled
together with emcee's affine-invariant ensemble sampler (stretch move). The prior, as in the
paper and NASLib's ``lce_m``: every family's curve non-decreasing from epoch 1 to the horizon
and its value at the horizon within the metric's range ([0, 1] here), weights non-negative and
``sigma`` uniform in (0, 1]; within those, uniform in each family's parameter box of
:data:`CURVE_FAMILIES` and each weight in [0, 1] (NASLib leaves both unbounded).

What differs from the paper, to keep one curve to about 0.2 s on one CPU (0.25-0.3 s under
load) instead of tens of seconds:

* the families are LCE's defaults (pow3 and ilog2, see ``DEFAULT_FAMILIES``), not the paper's
  eleven nor NASLib's four (of which mmf and log_power are in :data:`CURVE_FAMILIES`); with
  pow3, ilog2, log_power and mmf, Kendall tau on 40 curves was higher on NB201 CIFAR-10 after
  10 epochs (0.59 against 0.56) but lower after 50 (0.67 against 0.71) and on
  ``nb201-digits`` after 10 (0.39 against 0.56), at 20% more time;
* 50 walkers (NASLib; the authors' code, pybnn's defaults, 100), at least twice the
  parameters plus two, and 500 steps of which 250 are burn-in (pybnn 2,500 and 500, NASLib
  800 and 500);
* the walkers start in a ball of 1e-3 of each bound's width (NASLib 1e-6) around LCE's
  maximum-likelihood fits, with weights from their BIC (the best 0.5, none below 0.01) instead
  of equal weights, and ``sigma`` the residual spread of that combination.

So the chain is a local exploration of the posterior around the maximum-likelihood mode, and
it is not converged: on noisy, short prefixes the flat prior's volume draws long chains (100
walkers, 2,000 steps) towards far wider posteriors (on 40 ``nb201-digits`` curves after 10
epochs, a median 90% interval of 78 points on a 0-100 scale for pow3 and ilog2), whose mean
ranked the curves about as well (Kendall tau 0.56 and 0.56). The weights move little from
their BIC start within 500 steps.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ...exceptions import ConfigurationError, require
from ...records import Record
from ...validation import Interval
from ._lce import (
    CURVE_FAMILIES,
    DEFAULT_FAMILIES,
    LCEPredictor,
    _fit_family,
    bic,
    extrapolate_curve,
)

__all__ = ["LCEMPredictor", "CurvePosterior", "sample_curve_posterior"]

log = logging.getLogger(__name__)

#: points (log-spaced, epoch 1 to the horizon) where each family must not decrease
_GRID = 24
#: bounds of the noise sigma (the curve is in [0, 1]) and of each unnormalised weight
_SIGMA = (1e-6, 1.0)
_WEIGHT = (0.0, 1.0)
#: the smallest initial weight of a family (its BIC weight, the best family's being 0.5)
_MIN_WEIGHT = 0.01
#: the initial ball around the maximum-likelihood point, as a fraction of each bound's width
_BALL = 1e-3


@dataclass(frozen=True)
class CurvePosterior:
    """The posterior predictive of one curve at its horizon, and how the chain went.

    ``mean`` and ``std`` are of the observed value at the horizon (``std`` includes the noise
    ``sigma``); ``weights`` is the posterior mean of each family's normalised weight (the
    families whose maximum-likelihood fit satisfied the prior); ``acceptance`` the sampler's
    mean acceptance fraction (0 when no MCMC ran).
    """

    mean: float
    std: float
    weights: dict[str, float] = field(default_factory=dict)
    acceptance: float = 0.0


class _LogPosterior:
    """The log posterior of the weighted family combination, for many parameter vectors.

    A vector holds each family's parameters in turn, then ``sigma``, then one unnormalised
    weight per family.
    """

    def __init__(self, names: Sequence[str], y: np.ndarray, horizon: int) -> None:
        self.fams = [CURVE_FAMILIES[n] for n in names]
        self.sizes = [len(f.lower) for f in self.fams]
        self.k = len(self.fams)
        self.y = y
        self.n = y.size
        grid = np.unique(np.append(np.geomspace(1.0, float(horizon), _GRID), float(horizon)))
        # the observed epochs, then the grid (whose last point is the horizon)
        self.xs = np.concatenate([np.arange(1, self.n + 1, dtype=np.float64), grid])[None, :]
        lower = [v for f in self.fams for v in f.lower]
        upper = [v for f in self.fams for v in f.upper]
        self.lo = np.array([*lower, _SIGMA[0], *[_WEIGHT[0]] * self.k])
        self.hi = np.array([*upper, _SIGMA[1], *[_WEIGHT[1]] * self.k])
        self.ndim = self.lo.size

    def curves(self, theta: np.ndarray) -> np.ndarray:
        """Each family's curve at the observed epochs and the grid: (walkers, families, x)."""
        out = np.empty((theta.shape[0], self.k, self.xs.shape[1]))
        start = 0
        with np.errstate(all="ignore"):
            for j, (fam, size) in enumerate(zip(self.fams, self.sizes, strict=True)):
                params = [theta[:, start + i, None] for i in range(size)]
                out[:, j] = fam.func(self.xs, *params)
                start += size
        return out

    def weights(self, theta: np.ndarray) -> np.ndarray:
        w = theta[:, -self.k :]
        return w / w.sum(axis=1, keepdims=True)

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        theta = np.atleast_2d(theta)
        lp = np.full(theta.shape[0], -np.inf)
        inside = np.all((theta >= self.lo) & (theta <= self.hi), axis=1)
        inside &= theta[:, -self.k :].sum(axis=1) > 0
        if not inside.any():
            return lp
        t = theta[inside]
        f = self.curves(t)
        on_grid = f[:, :, self.n :]
        ok = np.all(np.isfinite(f), axis=(1, 2))
        ok &= np.all(np.diff(on_grid, axis=2) >= -1e-9, axis=(1, 2))  # each family rises
        ok &= np.all((on_grid[:, :, -1] >= 0.0) & (on_grid[:, :, -1] <= 1.0), axis=1)
        fit = np.einsum("wk,wkx->wx", self.weights(t), np.nan_to_num(f[:, :, : self.n]))
        sigma = t[:, -self.k - 1]
        rss = np.sum((self.y - fit) ** 2, axis=1)
        ll = -self.n * np.log(sigma) - 0.5 * rss / sigma**2
        lp[inside] = np.where(ok, ll, -np.inf)
        return lp

    def observed_fit(self, theta: np.ndarray) -> np.ndarray:
        """The combined curve at the observed epochs for each parameter vector."""
        return np.einsum("wk,wkx->wx", self.weights(theta), self.curves(theta)[:, :, : self.n])

    def at_horizon(self, theta: np.ndarray) -> np.ndarray:
        """The combined curve's value at the horizon for each parameter vector."""
        return np.einsum("wk,wk->w", self.weights(theta), self.curves(theta)[:, :, -1])


def _initial_point(names: Sequence[str], y: np.ndarray, horizon: int, max_nfev: int):
    """The families whose maximum-likelihood fit the prior admits, and their joint start: those
    fits, weights from their BIC (as LCE combines them; the best at 0.5, none below
    ``_MIN_WEIGHT``) and ``sigma`` the residual spread of the combination."""
    x = np.arange(1, y.size + 1, dtype=np.float64)
    kept, params, bics = [], [], []
    for name in names:
        fam = CURVE_FAMILIES[name]
        if y.size < len(fam.lower) + 1:
            continue
        fit = _fit_family(fam, x, y, max_nfev)
        if fit is None:
            continue
        one = _LogPosterior([name], y, horizon)
        if np.isfinite(one(np.concatenate([fit[0], [0.05, 1.0]]))[0]):
            kept.append(name)
            params.extend(fit[0])
            bics.append(bic(fit[1], y.size, len(fam.lower)))
    if not kept:
        return kept, None
    b = np.asarray(bics)
    weights = np.maximum(0.5 * np.exp(-0.5 * (b - b.min())), _MIN_WEIGHT)
    post = _LogPosterior(kept, y, horizon)
    center = np.concatenate([params, [1.0], weights])
    sigma = float(np.sqrt(np.mean((y - post.observed_fit(center[None, :])[0]) ** 2)))
    center[-len(kept) - 1] = min(max(sigma, 1e-3), _SIGMA[1])
    return kept, center


def _walkers(post: _LogPosterior, center: np.ndarray, n: int, rng: np.random.Generator):
    """``n`` distinct starting points near ``center`` that the prior admits."""
    width = (post.hi - post.lo) * _BALL
    step = rng.standard_normal((n, center.size)) * width
    pos = np.clip(center + step, post.lo, post.hi)
    for _ in range(10):
        bad = ~np.isfinite(post(pos))
        if not bad.any():
            break
        step[bad] *= 0.2
        pos[bad] = np.clip(center + step[bad], post.lo, post.hi)
    else:
        pos[~np.isfinite(post(pos))] = center
    return pos


def sample_curve_posterior(
    y: np.ndarray,
    horizon: int,
    families: Sequence[str] | None = None,
    n_walkers: int = 50,
    n_steps: int = 500,
    burn_in: int = 250,
    random_state: int = 0,
    max_nfev: int = 100,
) -> CurvePosterior:
    """Sample the LCE-m posterior of a rising curve ``y`` in [0, 1] and predict epoch ``horizon``.

    Families with more parameters than the prefix has points minus one are left out, as are
    those whose maximum-likelihood fit breaks the prior; when none is left, the answer is
    :func:`extrapolate_curve`'s (the last value with a wide spread). The walkers are at least
    twice the number of sampled parameters, plus two.
    """
    emcee = require("emcee", "mcmc")
    y = np.asarray(y, dtype=np.float64)
    names = tuple(families) if families else DEFAULT_FAMILIES
    kept, center = _initial_point(names, y, horizon, max_nfev)
    if center is None:
        mean, std = extrapolate_curve(y, horizon, names, max_nfev)
        return CurvePosterior(mean, std)
    post = _LogPosterior(kept, y, horizon)
    walkers = max(int(n_walkers), 2 * post.ndim + 2)
    walkers += walkers % 2
    rng = np.random.default_rng(random_state)
    pos = _walkers(post, center, walkers, rng)
    sampler = emcee.EnsembleSampler(walkers, post.ndim, post, vectorize=True)
    state = emcee.State(pos, random_state=np.random.RandomState(random_state).get_state())
    sampler.run_mcmc(state, int(n_steps), skip_initial_state_check=True)
    samples = sampler.get_chain(discard=int(burn_in), flat=True)
    ends = post.at_horizon(samples)
    sigma = samples[:, -post.k - 1]
    mean = float(np.mean(ends))
    std = math.sqrt(float(np.var(ends)) + float(np.mean(sigma**2)))
    weights = dict(zip(kept, post.weights(samples).mean(axis=0).tolist(), strict=True))
    acceptance = float(np.mean(sampler.acceptance_fraction))
    log.debug("LCE-m: %d walkers, acceptance %.2f, weights %s", walkers, acceptance, weights)
    return CurvePosterior(mean, std, weights, acceptance)


class LCEMPredictor(LCEPredictor):
    """LCE-m: Domhan et al.'s MCMC learning-curve extrapolation to epoch ``horizon``.

    Reads curves like :class:`LCEPredictor` (accuracies in fractions or percent, losses as
    exp(-loss), errors as 1 - error; ``horizon=None``: each record's full curve length) and
    predicts the posterior mean of the curve at the horizon; ``predict_dist`` gives that mean
    and the posterior predictive std (the spread of the extrapolations plus the noise
    ``sigma``). ``families`` defaults to pow3 and ilog2, as for LCE. Every record's chain is
    seeded by ``random_state`` alone, so a record's prediction never depends on the others.

    Needs no training data. Given at least 5 training records with targets and
    ``calibrate=True`` (the default), the posterior is shifted and widened on them as
    ``LCEPredictor`` does, at the cost of one chain per training record. The raw posterior is
    not a usable uncertainty on NB201: its 90% interval covered 0.05 of the final CIFAR-10
    accuracies after 50 of 200 epochs (the cosine learning-rate schedule lifts the curves at
    the end, which no saturating family foresees) and 0.44 on ``nb201-digits`` after 3 of 30
    (the prior dominates three points); calibrated, 0.89 and 0.86.
    """

    extra = "mcmc"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **LCEPredictor._parameter_constraints,
        "n_walkers": [Interval(int, 2, None)],
        "n_steps": [Interval(int, 2, None)],
        "burn_in": [Interval(int, 0, None)],
        "random_state": [Interval(int, 0, 2**32 - 1)],
    }

    def __init__(
        self,
        fidelity: int = 5,
        horizon: int | None = None,
        curve: str = "val_acc",
        families: tuple[str, ...] | None = None,
        calibrate: bool = True,
        scale: str | float = "auto",
        max_nfev: int = 100,
        n_walkers: int = 50,
        n_steps: int = 500,
        burn_in: int = 250,
        random_state: int = 0,
    ) -> None:
        self.fidelity = fidelity
        self.horizon = horizon
        self.curve = curve
        self.families = families
        self.calibrate = calibrate
        self.scale = scale
        self.max_nfev = max_nfev
        self.n_walkers = n_walkers
        self.n_steps = n_steps
        self.burn_in = burn_in
        self.random_state = random_state

    def _validate_params(self) -> None:
        super()._validate_params()
        if self.burn_in >= self.n_steps:  # checked with the others, before any work
            raise ConfigurationError(
                f"burn_in ({self.burn_in}) must be below n_steps ({self.n_steps}); lower "
                "burn_in or raise n_steps"
            )

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        require("emcee", "mcmc")
        super()._fit(records, y)

    def _extrapolate(self, unit: np.ndarray, horizon: int) -> tuple[float, float]:
        post = sample_curve_posterior(
            unit,
            horizon,
            tuple(self.families) if self.families else None,
            n_walkers=int(self.n_walkers),
            n_steps=int(self.n_steps),
            burn_in=int(self.burn_in),
            random_state=int(self.random_state),
            max_nfev=int(self.max_nfev),
        )
        return post.mean, post.std
