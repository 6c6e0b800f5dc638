"""Metrics of White et al. 2021 ("How Powerful are Performance Predictors in NAS?") by name.

The metric functions live in :mod:`nasperf.stats` (see there for what each does with ties,
constant input and non-finite values); :data:`METRICS` names them, :func:`compute_metrics` and
:func:`interval_metrics` compute them together.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import stats

from ..exceptions import ConfigurationError, InvalidDataError
from ..registry import Registry
from ..stats import (
    check_pair,
    kendall_tau,
    mae,
    pearson,
    precision_at_k,
    rmse,
    sparse_kendall_tau,
    spearman,
)

__all__ = [
    "kendall_tau",
    "spearman",
    "pearson",
    "sparse_kendall_tau",
    "precision_at_k",
    "mae",
    "rmse",
    "METRICS",
    "RANK_METRICS",
    "ORDER_METRICS",
    "DEFAULT_K",
    "compute_metrics",
    "interval_metrics",
    "INTERVAL_LEVEL",
]

#: every metric by name, each called as ``metric(y_true, y_pred)`` with its defaults
METRICS = Registry("metric")
for _metric in (kendall_tau, spearman, pearson, sparse_kendall_tau, precision_at_k, mae, rmse):
    METRICS.add(_metric.__name__, _metric, (_metric.__doc__ or "").strip().split("\n")[0])

#: metrics that stay meaningful when predictions are not on the target's scale (only their order,
#: or for Pearson an affine rescaling, matters); mae, rmse and sparse_kendall_tau need the scale
RANK_METRICS: tuple[str, ...] = ("kendall_tau", "spearman", "pearson", "precision_at_k")

#: metrics that compare the order of the predictions with the targets': undefined (NaN in an
#: evaluation's rows, see :func:`~nasperf.evaluation.protocol.evaluate_predictors`) when a
#: predictor gives every candidate the same value, where :mod:`nasperf.stats` reads 0.0
ORDER_METRICS: tuple[str, ...] = (
    "kendall_tau",
    "spearman",
    "pearson",
    "sparse_kendall_tau",
    "precision_at_k",
)

#: k of precision_at_k in compute_metrics (lowered to the number of values when there are fewer)
DEFAULT_K = 10


def compute_metrics(
    y_true: object, y_pred: object, names: Iterable[str] | None = None
) -> dict[str, float]:
    """Compute the named metrics (all of :data:`METRICS` by default), in the order given.

    ``precision_at_k`` uses ``k = min(10, n)`` here, so small test sets do not fail (with fewer
    than 10 values it is a precision at ``n``, which is trivially 1.0). Unknown names raise
    :class:`UnknownNameError`; invalid data raises :class:`InvalidDataError`.
    """
    selected = list(METRICS) if names is None else list(names)
    for name in selected:
        METRICS.check(name)
    needs_two = any(name not in ("mae", "rmse", "precision_at_k") for name in selected)
    t, p = check_pair(y_true, y_pred, 2 if needs_two else 1)
    out: dict[str, float] = {}
    for name in selected:
        if name == "precision_at_k":
            out[name] = precision_at_k(t, p, k=min(DEFAULT_K, t.size))
        else:
            out[name] = float(METRICS.load(name)(t, p))
    return out


#: the central probability of the predictive interval that :func:`interval_metrics` scores
INTERVAL_LEVEL = 0.9


def interval_metrics(
    y_true: object, mean: object, std: object, level: float = INTERVAL_LEVEL
) -> dict[str, float]:
    """Coverage and mean width of the central ``level`` Normal interval ``mean ± z·std``.

    ``coverage_90`` (for ``level=0.9``) is the share of ``y_true`` inside the interval (about
    ``level`` when the distribution is calibrated); ``width_90`` is the interval's mean width in
    the target's units (smaller is sharper). A coverage is only worth its width: an interval
    wider than the target's range covers everything and says nothing.
    """
    if not 0.0 < float(level) < 1.0:
        raise ConfigurationError(f"level must be in (0, 1), got {level!r}")
    t, m = check_pair(y_true, mean, 1)
    _, s = check_pair(y_true, std, 1)
    if np.any(s < 0):
        raise InvalidDataError("std holds negative values")
    z = float(stats.norm.ppf(0.5 + float(level) / 2.0))
    tag = f"{round(100 * float(level)):d}"
    return {
        f"coverage_{tag}": float(np.mean(np.abs(t - m) <= z * s)),
        f"width_{tag}": float(np.mean(2.0 * z * s)),
    }
