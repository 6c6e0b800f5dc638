"""Parametric learning-curve extrapolation (LCE; Domhan, Springenberg, Hutter 2015).

Each observed prefix is fitted by every standard curve family (bounded least squares, a couple
of starts each), and the families are combined with weights from their BIC. The predictive
distribution at the final epoch mixes the families' extrapolations with the residual noise.
Domhan et al. sample the combination by MCMC, which takes tens of seconds per curve (a
shortened form is ``lce-m``, :mod:`._lce_m`); the maximum-likelihood fit here takes
milliseconds and, when training curves are given to ``fit``, its spread is calibrated on them.

How far the spread can be trusted: the fit's own standard deviation barely tells good
extrapolations from bad ones (on ``nb201-digits`` after 3 epochs it ranges from 0.03 to 30
points while the errors do not follow it), so rescaling it until 90% of the training errors are
covered made 90% intervals 3,674 points wide on a 0-100 scale (coverage 0.76). Calibration
therefore also tries one width for every record (the 90% quantile of the training errors, a
split-conformal interval) and keeps whichever is narrower on the training curves; no 90%
interval is wider than twice the metric's range. The interval is then calibrated, but only as
sharp as the extrapolated mean is good: on ``nb201-digits`` with 100 training curves it is 65,
117, 71 and 43 points wide after 1, 3, 5 and 10 epochs (coverage 0.86-0.88) because the mean
is off by 10-23 points, so below 10 epochs it says next to nothing there (``lcsvr``'s is 11
points wide at the same coverage). docs/RESULTS.md, "Parallel evaluation and interrupts
(issue 12)", has the figures.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.optimize import least_squares

from ...exceptions import ConfigurationError, InvalidDataError
from ...records import Record
from ...validation import InstanceOf, Interval, Options, Predicate
from ..base import Z90, coverage_scale
from ._common import CURVE_CONSTRAINTS, CurvePredictor, lower_is_better

__all__ = ["LCEPredictor", "CURVE_FAMILIES", "DEFAULT_FAMILIES", "extrapolate_curve"]


@dataclass(frozen=True)
class _Family:
    func: Callable[..., np.ndarray]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    starts: Callable[[float, float], list[tuple[float, ...]]]  # (first, last) -> initial guesses


def _pow3(x, c, a, alpha):  # noqa: ANN001, ANN202
    return c - a * x ** (-alpha)


def _log_power(x, a, b, c):  # noqa: ANN001, ANN202
    return a / (1.0 + (x / math.e**b) ** c)


def _weibull(x, alpha, beta, kappa, delta):  # noqa: ANN001, ANN202
    return alpha - (alpha - beta) * np.exp(-((kappa * x) ** delta))


def _mmf(x, alpha, beta, kappa, delta):  # noqa: ANN001, ANN202
    return alpha - (alpha - beta) / (1.0 + (kappa * x) ** delta)


def _janoschek(x, alpha, beta, kappa, delta):  # noqa: ANN001, ANN202
    return alpha - (alpha - beta) * np.exp(-kappa * x**delta)


def _exp3(x, c, a, b):  # noqa: ANN001, ANN202
    return c - np.exp(-a * x + b)


def _ilog2(x, c, a):  # noqa: ANN001, ANN202
    return c - a / np.log(x + 1.0)


def _pow4(x, c, a, b, alpha):  # noqa: ANN001, ANN202
    return c - (a * x + b) ** (-alpha)


#: the curve families, on accuracy as a fraction in [0, 1] against the epoch (1, 2, ...)
CURVE_FAMILIES: dict[str, _Family] = {
    "pow3": _Family(
        _pow3,
        (0.0, -1.0, 0.0),
        (1.0, 2.0, 5.0),
        lambda y0, y1: [(min(y1 + 0.05, 1.0), y1 - y0 + 0.05, 0.5), (1.0, 1.0 - y0, 1.0)],
    ),
    "log_power": _Family(
        _log_power,
        (0.0, -10.0, -10.0),
        (1.0, 10.0, 0.0),
        lambda y0, y1: [(min(y1 + 0.05, 1.0), 0.0, -1.0), (1.0, 1.0, -0.5)],
    ),
    "weibull": _Family(
        _weibull,
        (0.0, 0.0, 1e-4, 0.05),
        (1.0, 1.0, 10.0, 5.0),
        lambda y0, y1: [(min(y1 + 0.05, 1.0), y0, 0.2, 1.0), (1.0, y0, 0.05, 0.7)],
    ),
    "mmf": _Family(
        _mmf,
        (0.0, 0.0, 1e-4, 0.05),
        (1.0, 1.0, 10.0, 5.0),
        lambda y0, y1: [(min(y1 + 0.05, 1.0), y0, 0.3, 1.0), (1.0, y0, 0.05, 0.7)],
    ),
    "janoschek": _Family(
        _janoschek,
        (0.0, 0.0, 1e-4, 0.05),
        (1.0, 1.0, 10.0, 5.0),
        lambda y0, y1: [(min(y1 + 0.05, 1.0), y0, 0.2, 1.0), (1.0, y0, 0.05, 0.7)],
    ),
    "exp3": _Family(
        _exp3,
        (0.0, 0.0, -10.0),
        (1.0, 10.0, 10.0),
        lambda y0, y1: [(min(y1 + 0.02, 1.0), 0.2, math.log(max(y1 - y0, 1e-3) + 1e-3))],
    ),
    "ilog2": _Family(
        _ilog2,
        (0.0, 0.0),
        (1.0, 5.0),
        lambda y0, y1: [(min(y1 + 0.05, 1.0), 0.2)],
    ),
    "pow4": _Family(
        _pow4,
        (0.0, 1e-4, 1e-4, 0.0),
        (1.0, 10.0, 10.0, 5.0),
        lambda y0, y1: [(min(y1 + 0.05, 1.0), 1.0, 1.0, 0.5)],
    ),
}


#: the families combined by default: on the NB201 CIFAR-10 curves and nb201-digits, the
#: four-parameter families (Weibull, MMF, Janoschek, pow4) over-fit short noisy prefixes and
#: rank the extrapolations worse than the last observed value (docs/RESULTS.md)
DEFAULT_FAMILIES = ("pow3", "ilog2")


def _fit_family(fam: _Family, x: np.ndarray, y: np.ndarray, max_nfev: int):
    """Best least-squares parameters of one family over its starts, or None."""
    best = None
    lo, hi = np.asarray(fam.lower), np.asarray(fam.upper)
    for start in fam.starts(float(y[0]), float(y[-1])):
        p0 = np.clip(np.asarray(start, dtype=np.float64), lo + 1e-9, hi - 1e-9)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                res = least_squares(
                    lambda p: fam.func(x, *p) - y, p0, bounds=(lo, hi), max_nfev=max_nfev
                )
            except (ValueError, FloatingPointError, OverflowError):
                continue
        if not np.all(np.isfinite(res.fun)):
            continue
        rss = float(res.fun @ res.fun)
        if best is None or rss < best[1]:
            best = (res.x, rss)
    return best


def bic(rss: float, n: int, k: int) -> float:
    """The BIC of a least-squares fit with ``k`` parameters and residual sum ``rss`` on ``n``
    points (Gaussian noise at its maximum-likelihood variance, floored at 1e-8)."""
    return n * math.log(max(rss / n, 1e-8)) + k * math.log(n)


def extrapolate_curve(
    y: np.ndarray,
    horizon: int,
    families: tuple[str, ...] | None = None,
    max_nfev: int = 100,
) -> tuple[float, float]:
    """Predictive mean and std of a curve at epoch ``horizon`` from its prefix ``y`` (fractions).

    Families with more parameters than the prefix has points minus one are skipped; with fewer
    than three points no family applies, and the last value is returned with a wide spread.
    """
    y = np.asarray(y, dtype=np.float64)
    n = y.size
    x = np.arange(1, n + 1, dtype=np.float64)
    names = families or DEFAULT_FAMILIES
    preds, bics, rsses = [], [], []
    spread0 = float(np.std(y)) if n > 1 else 0.0
    for name in names:
        fam = CURVE_FAMILIES[name]
        k = len(fam.lower)
        if n < k + 1:
            continue
        fit = _fit_family(fam, x, y, max_nfev)
        if fit is None:
            continue
        params, rss = fit
        with np.errstate(all="ignore"):
            at_end = float(fam.func(np.float64(horizon), *params))
        if not np.isfinite(at_end) or at_end < -0.05 or at_end > 1.05:
            continue
        sigma2 = max(rss / n, 1e-8)
        preds.append(min(max(at_end, 0.0), 1.0))
        rsses.append(sigma2)
        bics.append(bic(rss, n, k))
    last = float(y[-1])
    if not preds:
        # Too short to fit anything: the last value, with a spread that shrinks as it grows.
        return last, max(0.5 * (1.0 - last), spread0, 0.02)
    b = np.asarray(bics)
    w = np.exp(-0.5 * (b - b.min()))
    w /= w.sum()
    p = np.asarray(preds)
    mean = float(w @ p)
    model_var = float(w @ (p - mean) ** 2)
    noise_var = float(w @ np.asarray(rsses))
    # Extrapolating further than observed is less certain: noise grows with the distance.
    reach = max(horizon - n, 0) / max(n, 1)
    std = math.sqrt(model_var + noise_var * (1.0 + reach))
    return mean, std


def _from_likelihood(mean: float, std: float) -> tuple[float, float]:
    """Minus the loss whose exp(-loss) is ``mean``, and its std (to first order)."""
    m = min(max(mean, 1e-12), 1.0)
    return math.log(m), std / m


class LCEPredictor(CurvePredictor):
    """Learning-curve extrapolation of the validation accuracy to epoch ``horizon``.

    ``horizon=None`` extrapolates to the full length of each record's curve. ``families``
    picks from :data:`CURVE_FAMILIES` (default: pow3 and ilog2, see ``DEFAULT_FAMILIES``).
    Needs no training data; if ``fit`` gets at least 5 records with targets and ``calibrate``
    is true, the mean is shifted by their median error and the std made to cover 90% of their
    errors with the 90% interval, either by rescaling the fit's std or by one std for every
    record, whichever gives the narrower intervals on them (``spread_``: ``"scaled"`` or
    ``"constant"``; ``"raw"`` uncalibrated, typically far too narrow or far too wide). The 90%
    interval is never wider than twice the curve's range (100 points for percent).
    Accuracies in percent are handled (``scale="auto"``). A loss curve (a name ending in
    ``loss``, or ``-NAME``, a negated one) is extrapolated as exp(-loss), which rises and
    saturates like an accuracy, and an error as 1 - error; either predicts minus the final
    value, so higher is better.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CURVE_CONSTRAINTS,
        "curve": [InstanceOf(str, "a curve name (an accuracy, a loss or an error)")],
        "horizon": [None, Interval(int, 1, None)],
        "families": [
            None,
            Predicate(
                lambda f: isinstance(f, (tuple, list)) and all(x in CURVE_FAMILIES for x in f),
                "a tuple of curve families from " + ", ".join(CURVE_FAMILIES),
            ),
        ],
        "calibrate": [InstanceOf(bool, "True or False")],
        "scale": [Options(("auto",)), Interval(float, 0.0, None, closed="neither")],
        "max_nfev": [Interval(int, 1, None)],
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
    ) -> None:
        self.fidelity = fidelity
        self.horizon = horizon
        self.curve = curve
        self.families = families
        self.calibrate = calibrate
        self.scale = scale
        self.max_nfev = max_nfev

    def _scale_of(self, obs: np.ndarray) -> float:
        """The units of one record's curve: decided from that curve alone, so a record's
        prediction never depends on the other records predicted with it."""
        if self.scale == "auto":
            return 100.0 if np.nanmax(np.abs(obs)) > 1.5 else 1.0
        return float(self.scale)

    def _raw(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        obs = self._observed(records, self.curve)
        means, stds = np.empty(len(records)), np.empty(len(records))
        for i, (r, y) in enumerate(zip(records, obs, strict=True)):
            unit, back = self._unit(y)
            horizon = self.horizon if self.horizon is not None else len(r.curves[self.curve])
            if horizon < obs.shape[1]:
                raise ConfigurationError(
                    f"horizon {horizon} is before the observed {obs.shape[1]} epochs"
                )
            means[i], stds[i] = back(*self._extrapolate(unit, horizon))
        return means, stds

    def _extrapolate(self, unit: np.ndarray, horizon: int) -> tuple[float, float]:
        """Predictive mean and std at ``horizon`` of one curve in [0, 1] (a subclass may
        replace the maximum-likelihood combination, e.g. by MCMC)."""
        families = tuple(self.families) if self.families else None
        return extrapolate_curve(unit, horizon, families, self.max_nfev)

    def _unit(self, obs: np.ndarray) -> tuple[np.ndarray, Callable[[float, float], tuple]]:
        """One record's curve as a rising curve in [0, 1], and the map of an extrapolation's
        mean and std back to the predictor's units (higher is better)."""
        raw = -obs if self.curve.startswith("-") else obs
        name = self.curve.lstrip("-").lower()
        if name.endswith("loss"):
            return np.exp(-np.maximum(raw, 0.0)), _from_likelihood
        scale = self._scale_of(raw)
        if lower_is_better(name):
            return 1.0 - raw / scale, lambda m, s: ((m - 1.0) * scale, s * scale)
        return raw / scale, lambda m, s: (m * scale, s * scale)

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        self.shift_, self.std_factor_, self.std_constant_, self.spread_ = 0.0, 1.0, 0.0, "raw"
        if not self.calibrate or not records or any(r.target is None for r in records):
            return
        targets = np.array([float(r.target) for r in records])
        if not np.all(np.isfinite(targets)):
            raise InvalidDataError("calibration records have NaN or infinite targets")
        if len(records) < 5:
            return
        means, stds = self._raw(records)
        err = targets - means
        self.shift_ = float(np.median(err))
        residual = np.abs(err - self.shift_)
        # two ways for 90% of the calibration errors to fall inside the 90% interval: the
        # fit's std rescaled, or one std for all; the narrower on these records is kept
        self.std_factor_ = float(
            np.clip(coverage_scale(residual / np.maximum(stds, 1e-9)), 0.05, 100.0)
        )
        self.std_constant_ = max(coverage_scale(residual), 1e-9)
        scaled = float(np.mean(self.std_factor_ * stds))
        self.spread_ = "constant" if self.std_constant_ < scaled else "scaled"

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        means, stds = self._raw(records)
        spread = getattr(self, "spread_", "scaled")  # a model pickled before spread_ existed
        if spread == "constant":
            stds = np.full_like(stds, self.std_constant_)
        elif spread == "scaled":
            stds = stds * self.std_factor_
        # a 90% interval wider than twice the range of the curve says nothing more
        obs = self._observed(records, self.curve)
        top = np.array([self._scale_of(y) for y in obs]) / Z90
        return means + self.shift_, np.minimum(stds, top)

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self._predict_dist(records)[0]
