"""A prior over learning curves, for training nasperf's prior-data fitted network (``lc-pfn``).

Curves live on a normalised scale: time ``x = epoch / T`` in (0, 1] for a run of ``T`` epochs,
and a value in roughly [0, 1] where higher is better (an accuracy as a fraction, or any metric
mapped there by :class:`~._pfn.CurveScale`: a loss is negated and scaled by its study's range).

A *study* is many runs of one task. The task fixes what its runs share: where curves start,
the best level reached, how levels spread, the mix of Domhan et al.'s curve families, the noise,
the learning-rate schedule (a late rise near the end, as cosine or step schedules give), the
chances of a plateau before learning starts, of over-fitting and of divergence, and how the
configuration features relate to a run's level and speed. Each run then draws its own level,
speed (correlated with its level or not, so curves cross), family weights, delay and noise.

The families are normalised shapes ``g(x)`` rising from 0 to 1 at ``x = 1``: exponential
saturation, pow3 (``1 - (1 + r x)^-a``), logarithmic (ilog-like), Janoschek/Weibull
(``1 - exp(-r x^d)``) and MMF/Hill (``x^d / (h^d + x^d)``), the shapes of Domhan et al.'s
eleven families up to their parameterisation; a run's curve is their weighted mix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PriorStudies", "sample_studies", "FAMILIES", "N_FEATURES"]

#: the curve families the prior mixes (normalised shapes, see the module doc)
FAMILIES = ("exp", "pow3", "log", "janoschek", "mmf")
#: configuration-feature slots of a study run
N_FEATURES = 4


@dataclass(frozen=True)
class PriorStudies:
    """Prior draws: ``curves`` (studies, runs, epochs) on the normalised scale, the runs'
    configuration ``features`` (studies, runs, N_FEATURES) and which slots a study uses
    (``feature_mask``, studies x N_FEATURES), which runs ``diverged`` (studies, runs), and
    which studies are of a ``bounded`` metric (an accuracy: values in [0, 1])."""

    curves: np.ndarray
    features: np.ndarray
    feature_mask: np.ndarray
    diverged: np.ndarray
    bounded: np.ndarray


def _shapes(x: np.ndarray, rate: np.ndarray, p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """Each family's normalised shape at ``x`` (runs, epochs) for per-run speed ``rate`` and
    shape parameters ``p1``, ``p2`` in [0, 1]: an array (families, runs, epochs)."""
    r = rate[:, None]
    out = np.empty((len(FAMILIES), *x.shape))
    out[0] = -np.expm1(-r * x) / -np.expm1(-r)
    a = 0.3 + 1.5 * p1[:, None]
    out[1] = (1 - (1 + r * x) ** -a) / (1 - (1 + r) ** -a)
    out[2] = np.log1p(r * x) / np.log1p(r)
    d = 0.5 + 2.0 * p2[:, None]
    out[3] = -np.expm1(-r * x**d) / -np.expm1(-r)
    h, d2 = 1.0 / r, 0.7 + 2.5 * p1[:, None]
    out[4] = x**d2 / (h**d2 + x**d2) * (h**d2 + 1)
    return np.clip(out, 0.0, 1.0)


def sample_studies(rng: np.random.Generator, studies: int, runs: int, epochs: int) -> PriorStudies:
    """Draw ``studies`` studies of ``runs`` curves of ``epochs`` epochs each (seeded by ``rng``).

    Vectorised over everything: 64 studies of 32 runs of 200 epochs take milliseconds.
    """
    s, n, t = studies, runs, epochs
    u = lambda lo, hi, size=(s,): rng.uniform(lo, hi, size)  # noqa: E731
    x = np.arange(1, t + 1) / t
    # --- what a study's runs share
    start = np.where(rng.random(s) < 0.5, u(0.0, 0.15), u(0.0, 0.5))
    top = start + (1.0 - start) * rng.beta(4.0, 1.0, s)
    bounded = rng.random(s) < 0.6  # an accuracy: values stay in [0, 1]
    quality_a, quality_b = np.exp(u(np.log(1.0), np.log(12))), np.exp(u(np.log(0.3), np.log(3)))
    rate_mu, rate_sd = u(np.log(1.0), np.log(40.0)), u(0.05, 1.5)
    rate_rho = u(-0.8, 0.8)  # speed against level: negative -> slow starters end best, curves cross
    fam_alpha = np.exp(rng.normal(-0.5, 1.0, (s, len(FAMILIES))))
    noise = np.clip(np.exp(rng.normal(-4.6, 0.9, s)), 5e-4, 0.08)
    early_noise = u(0.0, 2.0)
    heavy = rng.random(s) < 0.25
    rise = np.where(rng.random(s) < 0.35, u(0.05, 0.45), 0.0)  # share of the gain in a late rise
    rise_at, rise_width = u(0.55, 0.97), np.exp(u(np.log(0.005), np.log(0.1)))
    plateau = np.where(rng.random(s) < 0.5, u(0.02, 0.4), 0.0)
    overfit = np.where(rng.random(s) < 0.25, u(0.0, 0.2), 0.0)
    diverge = np.where(rng.random(s) < 0.25, u(0.0, 0.25), 0.0)
    dips = np.where(rng.random(s) < 0.4, u(0.01, 0.12), 0.0)  # chance of a dip per epoch
    n_feat = rng.integers(0, N_FEATURES + 1, s)
    feature_mask = np.arange(N_FEATURES)[None, :] < n_feat[:, None]
    # --- each run
    feats = rng.normal(size=(s, n, N_FEATURES)) * feature_mask[:, None, :]
    w_lin = rng.normal(size=(s, N_FEATURES)) * feature_mask
    w_sq = rng.normal(size=(s, N_FEATURES)) * feature_mask * (rng.random((s, 1)) < 0.5)
    signal = np.einsum("snf,sf->sn", feats, w_lin) - np.einsum("snf,sf->sn", feats**2 - 1, w_sq)
    informative = np.where(n_feat > 0, u(0.0, 3.0), 0.0)[:, None]
    latent = informative * signal / np.sqrt(1 + (signal.std(axis=1, keepdims=True) ** 2))
    latent = latent + rng.normal(size=(s, n))
    from scipy.special import ndtr
    from scipy.stats import beta as beta_dist

    q = beta_dist.ppf(
        ndtr(latent / np.sqrt(1 + informative**2)), quality_a[:, None], quality_b[:, None]
    )
    y0 = start[:, None] + rng.normal(0, 0.03, (s, n)) * (rng.random((s, 1)) < 0.7)
    level = y0 + (top[:, None] - y0) * q
    z = (
        rate_rho[:, None]
        * (q - q.mean(axis=1, keepdims=True))
        / (q.std(axis=1, keepdims=True) + 1e-9)
    )
    z = z + np.sqrt(1 - rate_rho[:, None] ** 2) * rng.normal(size=(s, n))
    rate = np.exp(rate_mu[:, None] + rate_sd[:, None] * z).clip(0.3, 200.0).ravel()
    weights = np.stack([rng.dirichlet(a, n) for a in fam_alpha])  # (s, n, families)
    delay = plateau[:, None] * rng.uniform(0.0, 1.5, (s, n))
    xd = np.clip((x[None, :] - delay.reshape(-1, 1)) / (1 - delay.reshape(-1, 1)), 0.0, 1.0)
    shapes = _shapes(xd, rate, rng.random(s * n), rng.random(s * n))  # (fam, s*n, t)
    g = np.einsum("fmt,mf->mt", shapes, weights.reshape(s * n, -1)).reshape(s, n, t)
    gain = level - y0
    late = rise[:, None] * rng.uniform(0.5, 1.5, (s, n)).clip(
        0, 1 / np.maximum(rise, 1e-9)[:, None]
    )
    step = 1 / (1 + np.exp(-(x[None, :] - rise_at[:, None]) / rise_width[:, None]))
    step = (step - step[:, :1]) / (step[:, -1:] - step[:, :1] + 1e-12)  # 0 at the start, 1 at T
    curve = y0[..., None] + gain[..., None] * (
        (1 - late[..., None]) * g + late[..., None] * step[:, None, :]
    )
    peak = rng.uniform(0.2, 1.0, (s, n))
    curve -= (
        (overfit[:, None] * gain)[..., None]
        * np.maximum(0, x - peak[..., None])
        / (1 - peak[..., None] + 1e-9)
    )
    sd = (
        noise[:, None, None]
        * rng.uniform(0.5, 1.5, (s, n, 1))
        * (1 + early_noise[:, None, None] * (1 - x))
    )
    eps = np.where(
        heavy[:, None, None], rng.standard_t(3, (s, n, t)) / np.sqrt(3), rng.normal(size=(s, n, t))
    )
    curve = curve + sd * eps
    # downward dips of an unstable epoch (a bad step, a learning-rate spike), then recovery
    dip = (rng.random((s, n, t)) < dips[:, None, None]) * rng.uniform(0, 0.5, (s, n, t))
    curve = curve - dip * np.maximum(curve - y0[..., None], 0.0)
    diverged = rng.random((s, n)) < diverge[:, None]
    at = rng.uniform(0.0, 1.0, (s, n))
    fallen = diverged[..., None] & (x[None, None, :] >= at[..., None])
    floor = start[:, None, None] - rng.uniform(0.0, 0.5, (s, n, 1))
    curve = np.where(fallen, floor + 0.02 * rng.normal(size=(s, n, t)), curve)
    curve = np.where(bounded[:, None, None], np.clip(curve, 0.0, 1.0), curve)
    return PriorStudies(
        curves=np.clip(curve, -0.5, 1.5),
        features=feats,
        feature_mask=feature_mask,
        diverged=diverged & (at < 1.0),
        bounded=bounded,
    )
