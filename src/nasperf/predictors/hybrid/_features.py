"""The features OMNI-style predictors combine: an architecture encoding, zero-cost scores, early
values and learning-curve statistics, z-scored on the training records.

Which score columns are zero-cost proxies and which are early (low-fidelity) results is read
from their names: a proxy name of nasperf's table or a published alias (``jacob_cov``,
``naswot``, ``logsynflow``, ...), optionally with Suite-Zero's ``sz_`` prefix; an early value is
``val_acc_12ep``-style (a validation or training accuracy or loss after a few epochs). Columns
named ``test_*`` are never used: a search cannot observe test results.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ...exceptions import ConfigurationError, InvalidDataError
from ...records import Record, encode_records
from ..base import Requirements, resolve_encoding
from ..learning_curve import lower_is_better, observed_curves
from ..zero_cost import PROXY_NAMES

__all__ = [
    "FeatureSpec",
    "FittedFeatures",
    "zero_cost_columns",
    "early_columns",
    "epochs_of",
    "FEATURE_GROUPS",
]

logger = logging.getLogger(__name__)

#: the feature groups, in the order their columns appear
FEATURE_GROUPS = ("encoding", "zero_cost", "early", "curve")

#: column names other benchmarks give nasperf's proxies (and published proxies not in its table)
_ALIASES = frozenset(
    {"jacob_cov", "naswot", "logsynflow", "synflow_bn", "nregions", "params_m", "flops_m"}
)
_EARLY = re.compile(r"^(?:val|valid|train)_(?:acc|accuracy|loss|error)_\d+ep$")
_EPOCHS = re.compile(r"_(\d+)ep$")
#: share of the training records a column must cover to be used by ``"auto"``
_AUTO_COVERAGE = 0.5


def _is_zero_cost(column: str) -> bool:
    name = column[3:] if column.startswith("sz_") else column
    return name in PROXY_NAMES or name in _ALIASES


def zero_cost_columns(columns: Iterable[str]) -> list[str]:
    """The columns of ``columns`` that hold zero-cost proxy scores, sorted."""
    return sorted(c for c in set(columns) if _is_zero_cost(c))


def epochs_of(column: str) -> int | None:
    """The epoch count a column's name gives (``val_acc_12ep``: 12), or None."""
    match = _EPOCHS.search(column)
    return int(match.group(1)) if match else None


def early_columns(columns: Iterable[str]) -> list[str]:
    """The columns of ``columns`` that hold an early result (``val_acc_12ep``), sorted.

    Where the columns name several epoch counts, the largest is taken for the full training
    and its columns (``val_acc_200ep`` beside ``test_acc_200ep``) are final results, not early
    ones; with a single epoch count nothing tells, and every such column counts as early.
    """
    names = set(columns)
    epochs = {c: e for c in names if (e := epochs_of(c)) is not None}
    full = max(epochs.values(), default=0) if len(set(epochs.values())) > 1 else math.inf
    return sorted(c for c in names if _EARLY.match(c) and epochs[c] < full)


def _finite_score(record: Record, column: str) -> float:
    value = record.scores.get(column)
    try:
        value = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return np.nan
    return value if np.isfinite(value) else np.nan


@dataclass(frozen=True)
class FeatureSpec:
    """Which features to build.

    ``encoding``: an encoding name (``"default"``: the space's own) or None for none;
    ``zero_cost`` and ``early``: ``"auto"`` (every such column that at least half of the
    training records carry; a record lacking one gets the training mean and a missing flag),
    None, or the column names (required of every record); ``curve`` and ``fidelity``: a learning
    curve read up to ``fidelity`` epochs (None: none), giving its last value and its sum (SoTL-E
    and SoTL for a loss).
    """

    encoding: str | None = "default"
    zero_cost: str | tuple[str, ...] | None = "auto"
    early: str | tuple[str, ...] | None = "auto"
    curve: str = "train_loss"
    fidelity: int | None = None

    def check(self) -> None:
        """Raise ConfigurationError for a spec that can build no feature at all."""
        if self.encoding is None and not self.zero_cost and not self.early and not self.fidelity:
            raise ConfigurationError(
                "no features: give an encoding, zero-cost or early columns, or a fidelity"
            )

    def requirements(self) -> Requirements:
        """What every record must carry: the encoding, the named columns, the curve."""
        named = [
            *(self.zero_cost if isinstance(self.zero_cost, tuple) else ()),
            *(self.early if isinstance(self.early, tuple) else ()),
        ]
        return Requirements(
            encoding=self.encoding,
            scores=tuple(dict.fromkeys(named)),
            curve=self.curve if self.fidelity else None,
            fidelity=self.fidelity,
        )

    def fit(self, records: Sequence[Record]) -> FittedFeatures:
        """Choose the columns and learn their z-scores from the training ``records``."""
        columns = {
            "zero_cost": self._columns(records, self.zero_cost, zero_cost_columns),
            "early": self._columns(records, self.early, early_columns),
        }
        kind = resolve_encoding(records, self.encoding) if self.encoding else None
        fitted = FittedFeatures(self, kind, columns, np.zeros(0), np.ones(0), np.zeros(0, bool))
        raw = fitted.raw(records)
        if raw.shape[1] == 0 and kind is None:
            raise InvalidDataError(
                "the training records carry none of the features asked for (no zero-cost or "
                "early columns and no encoding); name the columns or add an encoding"
            )
        with np.errstate(all="ignore"):
            mean = np.nanmean(raw, axis=0) if len(raw) else np.zeros(0)
            std = np.nanstd(raw, axis=0) if len(raw) else np.ones(0)
        std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
        flags = np.isnan(raw).any(axis=0)
        return FittedFeatures(self, kind, columns, np.nan_to_num(mean), std, flags)

    @staticmethod
    def _columns(records: Sequence[Record], asked, pick) -> tuple[str, ...]:  # noqa: ANN001
        if asked is None:
            return ()
        if isinstance(asked, tuple):
            return asked
        counts: dict[str, int] = {}
        for r in records:
            for c in pick(r.scores):
                if np.isfinite(_finite_score(r, c)):
                    counts[c] = counts.get(c, 0) + 1
        return tuple(c for c in sorted(counts) if counts[c] >= _AUTO_COVERAGE * len(records))


@dataclass(frozen=True)
class FittedFeatures:
    """A :class:`FeatureSpec` with its columns chosen and z-scores learned on training records."""

    spec: FeatureSpec
    encoding_kind: str | None
    columns: dict[str, tuple[str, ...]]
    mean: np.ndarray
    std: np.ndarray
    missing_flags: np.ndarray

    @property
    def names(self) -> list[str]:
        """The z-scored feature names, in column order (before the encoding)."""
        names = [*self.columns["zero_cost"], *self.columns["early"]]
        if self.spec.fidelity:
            c, f = self.spec.curve, self.spec.fidelity
            names += [f"{c}@{f}", f"sum({c}[:{f}])"]
        return names

    def raw(self, records: Sequence[Record]) -> np.ndarray:
        """The scores and curve statistics of ``records``, unscaled (NaN where missing)."""
        cols = [*self.columns["zero_cost"], *self.columns["early"]]
        out = np.array([[_finite_score(r, c) for c in cols] for r in records], dtype=float)
        out = out.reshape(len(records), len(cols))
        if self.spec.fidelity:
            curves = observed_curves(records, self.spec.curve, self.spec.fidelity)
            stats = np.column_stack([curves[:, -1], curves.sum(axis=1)])
            if lower_is_better(self.spec.curve):
                stats = -stats
            out = np.column_stack([out, stats])
        return out

    def transform(self, records: Sequence[Record], groups: Sequence[str] = FEATURE_GROUPS):
        """The feature matrix of ``records``: z-scores (missing: 0 plus a flag column) for the
        chosen ``groups``, then the encoding when it is one of them."""
        z = (self.raw(records) - self.mean) / self.std
        flags = np.isnan(z[:, self.missing_flags]).astype(float)
        z = np.nan_to_num(z, nan=0.0)
        keep = self._group_mask(groups)
        parts = [z[:, keep], flags[:, keep[self.missing_flags]]]
        if self.encoding_kind is not None and "encoding" in groups:
            parts.append(encode_records(records, self.encoding_kind))
        X = np.column_stack(parts) if parts else np.zeros((len(records), 0))
        if X.shape[1] == 0:
            raise InvalidDataError(f"no features left in groups {list(groups)}")
        return X

    def _group_mask(self, groups: Sequence[str]) -> np.ndarray:
        sizes = [
            len(self.columns["zero_cost"]),
            len(self.columns["early"]),
            2 if self.spec.fidelity else 0,
        ]
        pairs = zip(FEATURE_GROUPS[1:], sizes, strict=True)
        mask = [g in groups for g, k in pairs for _ in range(k)]
        return np.asarray(mask, dtype=bool)

    def present_groups(self) -> list[str]:
        """The feature groups this fit has at least one column of."""
        have = {
            "encoding": self.encoding_kind is not None,
            "zero_cost": bool(self.columns["zero_cost"]),
            "early": bool(self.columns["early"]),
            "curve": bool(self.spec.fidelity),
        }
        return [g for g in FEATURE_GROUPS if have[g]]
