"""Rank statistics and errors: the metrics of White et al. 2021 ("How Powerful are
Performance Predictors in NAS?"), on the ground floor so that any part of nasperf may use them
(:mod:`nasperf.evaluation.metrics` names them and computes them together).

Each metric compares predictions ``y_pred`` with true values ``y_true`` (for example validation
accuracies in percent); larger values are better, both for the targets and for the predictions.

Behaviour is defined for every valid input, never a silent NaN:

* inputs must be 1-D, of the same length and finite; otherwise :class:`InvalidDataError` is raised
  (for non-finite values the message says which argument holds how many);
* correlations need at least 2 values, ``mae``/``rmse``/``precision_at_k`` at least 1;
* correlations of a constant ``y_pred`` or a constant ``y_true`` are undefined mathematically;
  they are defined here as ``0.0`` ("no information"), and no warning is emitted;
* ties are handled by Kendall tau-b (``scipy.stats.kendalltau``'s default) and by Spearman's
  average ranks; ``precision_at_k`` breaks ties by position (see there).

Scale: ``kendall_tau``, ``spearman``, ``pearson`` and ``precision_at_k`` do not need predictions on
the target's scale (they compare orderings; Pearson is invariant to affine rescaling), which is why
they are listed in :data:`RANK_METRICS`. ``mae``, ``rmse`` and ``sparse_kendall_tau`` (which rounds
both arrays to the same number of decimals) are only meaningful when predictions are on the
target's scale; for rank-only scores such as zero-cost proxies they are not.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from numbers import Integral

import numpy as np
from scipy import stats

from .exceptions import ConfigurationError, InvalidDataError

__all__ = [
    "check_pair",
    "kendall_tau",
    "spearman",
    "pearson",
    "sparse_kendall_tau",
    "precision_at_k",
    "mae",
    "rmse",
]


#: scipy warnings about (near-)constant input; constant input is handled before calling scipy,
#: near-constant input (for ``pearsonr``) is silenced where scipy is called
_SCIPY_WARNINGS: tuple[type[Warning], ...] = tuple(
    w
    for w in (
        getattr(stats, "ConstantInputWarning", None),
        getattr(stats, "NearConstantInputWarning", None),
    )
    if w is not None
)


def _as_array(values: object, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(f"{name} must be numeric: {exc}") from exc
    if arr.ndim != 1:
        raise InvalidDataError(f"{name} must be 1-D, got shape {arr.shape}")
    bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
    if bad:
        raise InvalidDataError(
            f"{name} holds {bad} non-finite value{'s' if bad != 1 else ''} (NaN or inf) "
            f"out of {arr.size}; drop or fix them before computing metrics"
        )
    return arr


def check_pair(y_true: object, y_pred: object, min_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert both arrays; raise InvalidDataError when they cannot be compared."""
    t = _as_array(y_true, "y_true")
    p = _as_array(y_pred, "y_pred")
    if t.size != p.size:
        raise InvalidDataError(
            f"y_true and y_pred must have the same length, got {t.size} and {p.size}"
        )
    if t.size < min_size:
        raise InvalidDataError(f"need at least {min_size} values, got {t.size}")
    return t, p


def _is_constant(x: np.ndarray) -> bool:
    return bool(x[0] == x[-1] and np.all(x == x[0]))


def _correlation(func: Callable, t: np.ndarray, p: np.ndarray) -> float:
    """Call a scipy correlation; constant input (undefined) gives 0.0, never a warning."""
    if _is_constant(t) or _is_constant(p):
        return 0.0
    with warnings.catch_warnings():
        for category in _SCIPY_WARNINGS:
            warnings.simplefilter("ignore", category)
        with np.errstate(all="ignore"):
            value = float(func(t, p)[0])
    return value if np.isfinite(value) else 0.0  # e.g. overflow with huge values: undefined


def _kendall_b(t: np.ndarray, p: np.ndarray) -> tuple[float]:
    return (stats.kendalltau(t, p, variant="b").statistic,)


def kendall_tau(y_true: object, y_pred: object) -> float:
    """Kendall rank correlation tau-b (ties in either array are accounted for), in [-1, 1].

    Constant ``y_true`` or ``y_pred`` gives 0.0. Needs at least 2 values.
    """
    t, p = check_pair(y_true, y_pred, 2)
    return _correlation(_kendall_b, t, p)


def spearman(y_true: object, y_pred: object) -> float:
    """Spearman rank correlation rho (ties get average ranks), in [-1, 1].

    Constant ``y_true`` or ``y_pred`` gives 0.0. Needs at least 2 values.
    """
    t, p = check_pair(y_true, y_pred, 2)
    return _correlation(stats.spearmanr, t, p)


def pearson(y_true: object, y_pred: object) -> float:
    """Pearson linear correlation r, in [-1, 1]; invariant to affine rescaling of either array.

    Constant ``y_true`` or ``y_pred`` gives 0.0. Needs at least 2 values.
    """
    t, p = check_pair(y_true, y_pred, 2)
    return _correlation(stats.pearsonr, t, p)


def sparse_kendall_tau(y_true: object, y_pred: object, decimals: int = 1) -> float:
    """Kendall tau-b after rounding both arrays to ``decimals`` decimals (``np.round``).

    White et al. round accuracies (in percent) to 0.1 percentage points, so that differences
    too small to matter become ties; ``decimals=1`` reproduces that for targets in percent (use
    ``decimals=3`` for accuracies as fractions in [0, 1]). The rounding assumes ``y_pred`` is on
    the target's scale: predictions of rank-only scores such as zero-cost proxies are not, and
    rounding them is arbitrary, so use :func:`kendall_tau` for those. If rounding makes either
    array constant, the result is 0.0. This follows the paper's definition (both arrays
    rounded); NASLib's code rounds only the predictions, so its figures can differ slightly.
    """
    if not isinstance(decimals, Integral) or isinstance(decimals, bool):
        raise ConfigurationError(f"decimals must be an integer, got {decimals!r}")
    t, p = check_pair(y_true, y_pred, 2)
    return _correlation(_kendall_b, np.round(t, int(decimals)), np.round(p, int(decimals)))


def _top_k(x: np.ndarray, k: int) -> np.ndarray:
    # stable sort of the negated values: largest first, equal values in order of position
    return np.argsort(-x, kind="stable")[:k]


def precision_at_k(y_true: object, y_pred: object, k: int = 10) -> float:
    """Fraction of the true top-``k`` found among the predicted top-``k``, in [0, 1].

    ``|top_k(y_pred) ∩ top_k(y_true)| / k``, where top-k means the ``k`` largest values. Ties are
    broken deterministically by position: among equal values the one with the lower index ranks
    higher (a stable sort on the negated values), in both arrays. Only the ordering of ``y_pred``
    matters, so it need not be on the target's scale. ``k`` must be in ``1..len(y_true)``,
    otherwise :class:`ConfigurationError` is raised.
    """
    t, p = check_pair(y_true, y_pred, 1)
    if not isinstance(k, Integral) or isinstance(k, bool):
        raise ConfigurationError(f"k must be an integer, got {k!r}")
    if not 1 <= k <= t.size:
        raise ConfigurationError(f"k must be between 1 and the number of values {t.size}, got {k}")
    k = int(k)
    common = np.intersect1d(_top_k(t, k), _top_k(p, k), assume_unique=True)
    return common.size / k


def mae(y_true: object, y_pred: object) -> float:
    """Mean absolute error; only meaningful when ``y_pred`` is on the target's scale."""
    t, p = check_pair(y_true, y_pred, 1)
    return float(np.mean(np.abs(t - p)))


def rmse(y_true: object, y_pred: object) -> float:
    """Root mean squared error; only meaningful when ``y_pred`` is on the target's scale."""
    t, p = check_pair(y_true, y_pred, 1)
    return float(np.sqrt(np.mean((t - p) ** 2)))
