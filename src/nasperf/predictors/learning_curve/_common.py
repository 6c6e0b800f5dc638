"""What every learning-curve predictor shares: the observed prefix of a curve, checked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ...exceptions import InvalidDataError
from ...records import Record
from ...validation import InstanceOf, Interval
from ..base import Predictor, Requirements

__all__ = [
    "CurvePredictor",
    "observed_curves",
    "curve_from_steps",
    "lower_is_better",
    "named_direction",
    "MAXIMISED_WORDS",
    "MINIMISED_WORDS",
    "metric_range",
    "within_range",
    "CURVE_CONSTRAINTS",
]

#: the constraints every curve predictor shares
CURVE_CONSTRAINTS: dict[str, list[Any]] = {
    "fidelity": [Interval(int, 1, None)],
    "curve": [InstanceOf(str, "a curve name")],
}


#: words of a metric's name that make it higher-is-better
MAXIMISED_WORDS = frozenset({"acc", "accuracy", "auc", "f1"})
#: words of a metric's name that make it lower-is-better (and any name ending in loss, error, err)
MINIMISED_WORDS = frozenset(
    {"loss", "error", "err", "perplexity", "ppl", "nll", "mse", "mae", "rmse"}
)


def named_direction(name: str) -> bool | None:
    """Whether the metric ``name`` is minimised (True), maximised (False), or None when its
    name does not say (no known word, or words of both kinds)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)  # valAcc, trainLoss: two words
    words = set(re.findall(r"[a-z0-9]+", spaced.lower()))
    down = bool(words & MINIMISED_WORDS) or name.lower().endswith(("loss", "error", "err"))
    up = bool(words & MAXIMISED_WORDS)
    return None if up == down else down


def lower_is_better(curve: str) -> bool:
    """Whether the metric named ``curve`` is better when lower: a loss, an error, an MSE, a
    perplexity ... (:func:`named_direction`; a name that does not say counts as higher).

    A name starting with ``-`` is a metric already negated (``curves:`` benchmarks store a
    minimised metric NAME as ``-NAME``), so it is higher-is-better.
    """
    if curve.startswith("-"):
        return False
    return named_direction(curve) is True


def metric_range(curve: str, values: np.ndarray) -> tuple[float, float] | None:
    """The range a bounded metric allows, or None: an accuracy (a name with ``acc`` in it, not
    negated) whose ``values`` all lie in [0, 1] is a fraction, in [0, 100] a percentage."""
    name = curve.lower()
    if name.startswith("-") or "acc" not in name or lower_is_better(curve):
        return None
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0 or v.min() < 0:
        return None
    if v.max() <= 1.0:
        return (0.0, 1.0)
    if v.max() <= 100.0:
        return (0.0, 100.0)
    return None


def within_range(
    mean: np.ndarray, std: np.ndarray, bounds: tuple[float, float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """A predictive mean clipped to ``bounds`` and a std whose 90% interval (±1.645 std) is no
    wider than the range: a model must not predict an accuracy of 133% or a ±80-point band."""
    if bounds is None:
        return mean, std
    lo, hi = bounds
    return np.clip(mean, lo, hi), np.minimum(std, (hi - lo) / (2 * 1.645))


def observed_curves(records: Sequence[Record], curve: str, fidelity: int) -> np.ndarray:
    """The first ``fidelity`` epochs of ``curve`` of each record, as a 2-D array.

    A curve shorter than ``fidelity`` raises MissingRequirementError (from ``Record.curve``); a
    NaN or infinite value in the observed part raises InvalidDataError naming the record.
    """
    rows = []
    for r in records:
        values = r.curve(curve, fidelity)
        if not np.all(np.isfinite(values)):
            bad = int(np.flatnonzero(~np.isfinite(values))[0]) + 1
            raise InvalidDataError(
                f"record {r.arch!r}: {curve!r} is not finite at epoch {bad} "
                f"({values[bad - 1]}); drop the record or fill the gap before predicting"
            )
        rows.append(values)
    return np.vstack(rows) if rows else np.zeros((0, fidelity))


def curve_from_steps(steps: Sequence[int], values: Sequence[float]) -> np.ndarray:
    """A per-epoch curve (epochs 1..max step) from values reported at ``steps``.

    Steps must be distinct, increasing and >= 1 (epoch numbers, 1-based). Missing epochs are
    filled by linear interpolation between the reported ones, and epochs before the first
    report by its value, so a run reported every few epochs still gives a usable prefix.
    """
    s = np.asarray(steps, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if s.shape != v.shape or s.ndim != 1 or s.size == 0:
        raise InvalidDataError("give as many steps as values, at least one")
    if np.any(np.diff(s) <= 0):
        raise InvalidDataError(
            f"epochs must be strictly increasing, got {s.astype(int).tolist()}; sort them and "
            "drop duplicates"
        )
    if s[0] < 1 or not np.all(s == np.round(s)):
        raise InvalidDataError(f"epochs are whole numbers from 1, got {s.tolist()}")
    if not np.all(np.isfinite(v)):
        raise InvalidDataError("a reported value is NaN or infinite")
    grid = np.arange(1, int(s[-1]) + 1, dtype=np.float64)
    return np.interp(grid, s, v)


class CurvePredictor(Predictor):
    """Base of the predictors that read a learning curve up to ``fidelity`` epochs.

    Without training data by default: subclasses that learn override ``_requirements``.
    """

    family = "learning-curve"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = CURVE_CONSTRAINTS
    fidelity: int
    curve: str

    def _requirements(self) -> Requirements:
        return Requirements(curve=self.curve, fidelity=int(self.fidelity), targets=False)

    def _observed(self, records: Sequence[Record], curve: str) -> np.ndarray:
        return observed_curves(records, curve, int(self.fidelity))
