"""The record: one evaluated candidate (architecture or configuration) and what is known of it."""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .exceptions import InvalidDataError, MissingRequirementError

__all__ = [
    "Record",
    "ARCH_COLUMNS",
    "RESULT_COLUMN",
    "is_result_column",
    "arch_scores",
    "encode_records",
    "targets_of",
    "scores_of",
]

#: the score columns that describe the architecture itself (its size), not its training: the
#: curve models use them as features, and a run carries them while it trains
ARCH_COLUMNS = ("params_m", "params", "flops")


#: the names of columns that hold a result of training (an accuracy, a loss, an error, a test or
#: validation value), not a free description of the candidate
RESULT_COLUMN = re.compile(r"acc|loss|err|test|valid|(^|_)val(_|$)", re.IGNORECASE)


def is_result_column(name: str) -> bool:
    """Whether the column ``name`` holds a result of training (:data:`RESULT_COLUMN`): not a
    free feature of a search's surrogate, nor a baseline that predicts the target."""
    return RESULT_COLUMN.search(name) is not None


def arch_scores(scores: Mapping[str, float]) -> dict[str, float]:
    """The scores among ``scores`` that describe the architecture (:data:`ARCH_COLUMNS`)."""
    return {k: v for k, v in scores.items() if k in ARCH_COLUMNS}


@dataclass(eq=False)
class Record:
    """One candidate of a benchmark.

    ``arch`` identifies the candidate in its ``space`` (an NB201 cell string, a NASLib tuple, a
    NAS-Bench-Graph ``(links, ops)`` pair, a configuration). ``target`` is the final metric,
    higher is better. ``curves`` maps a curve name (``val_acc``, ``train_acc``, ``train_loss``,
    ...) to its per-epoch values; ``scores`` holds zero-cost scores and any other numeric column;
    ``cost`` is the full training cost in seconds where known. ``features`` is a user-supplied
    fixed-length vector, used by the ``features`` encoding of tabular search histories.
    """

    arch: Hashable
    space: str
    target: float | None = None
    curves: Mapping[str, np.ndarray] = field(default_factory=dict)
    scores: Mapping[str, float] = field(default_factory=dict)
    cost: float | None = None
    features: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)
    _encodings: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def encode(self, kind: str) -> np.ndarray:
        """Return the encoding ``kind`` of this record's architecture (cached)."""
        cached = self._encodings.get(kind)
        if cached is not None:
            return cached
        if kind == "features":
            if self.features is None:
                raise MissingRequirementError(
                    f"record {self.arch!r} has no feature vector; the 'features' encoding needs "
                    "a benchmark with feature columns (e.g. csv:PATH --features a,b)"
                )
            value = np.asarray(self.features, dtype=np.float64)
        else:
            from .spaces import get_space

            value = get_space(self.space).encode(self.arch, kind)
        self._encodings[kind] = value
        return value

    def curve(self, name: str, upto: int | None = None) -> np.ndarray:
        """Return curve ``name``, its first ``upto`` epochs when given."""
        if name not in self.curves:
            raise MissingRequirementError(
                f"record {self.arch!r} has no {name!r} curve; available: "
                f"{', '.join(self.curves) or 'none'}"
            )
        values = np.asarray(self.curves[name], dtype=np.float64)
        if upto is not None:
            if upto < 1 or upto > len(values):
                raise MissingRequirementError(
                    f"record {self.arch!r} has {len(values)} epochs of {name!r}; "
                    f"fidelity {upto} is out of range"
                )
            values = values[:upto]
        return values


def encode_records(records: Sequence[Record], kind: str) -> np.ndarray:
    """Stack the ``kind`` encodings of ``records`` into a 2-D float array."""
    if len(records) == 0:
        raise InvalidDataError("no records given")
    return np.vstack([r.encode(kind) for r in records]).astype(np.float64, copy=False)


def targets_of(records: Sequence[Record]) -> np.ndarray:
    """Return the targets of ``records``; raise if one is missing or not finite."""
    y = np.empty(len(records), dtype=np.float64)
    for i, r in enumerate(records):
        if r.target is None or not math.isfinite(float(r.target)):
            raise InvalidDataError(
                f"record {r.arch!r} has target {r.target!r}; every training record needs a "
                "finite target (drop or fill such rows)"
            )
        y[i] = float(r.target)
    return y


def scores_of(records: Sequence[Record], name: str, allow_inf: bool = False) -> np.ndarray:
    """Return score ``name`` of each record; raise if a record lacks it or it is NaN.

    Infinite values raise too unless ``allow_inf`` (for rank-only uses such as column baselines).
    """
    out = np.empty(len(records), dtype=np.float64)
    for i, r in enumerate(records):
        value = r.scores.get(name)
        if value is None or math.isnan(value) or (not allow_inf and math.isinf(value)):
            raise MissingRequirementError(
                f"record {r.arch!r} has no finite {name!r} score; restrict the pool to records "
                "that have it (nasperf evaluate does this for column baselines)"
            )
        out[i] = float(value)
    return out

