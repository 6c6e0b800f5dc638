"""The predictor contract shared by every family.

A predictor follows scikit-learn's estimator conventions: ``__init__`` only stores its
hyperparameters, learned state ends in ``_``, ``get_params``/``set_params`` work (inherited from
``sklearn.base.BaseEstimator``), randomness comes from ``random_state``, and the hyperparameters
are checked against the class's ``_parameter_constraints`` table (see :mod:`nasperf.validation`)
before any work. ``fit(records)`` learns from records with targets, ``predict(records)`` returns
one score per record where higher means better, and predictors with an uncertainty also
implement ``predict_dist``. :meth:`Predictor.capabilities` is the one description of what a
predictor is and needs (family, required record fields, distribution, fewest training records,
optional-dependency extra), read by the protocol, the CLI listing and the API tests.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from ..exceptions import InvalidDataError, MissingRequirementError, NotFittedError
from ..records import Record, encode_records, targets_of
from ..validation import Interval, signature_defaults, validate_params

__all__ = [
    "Requirements",
    "Capabilities",
    "Predictor",
    "EncodingPredictor",
    "TorchThreads",
    "SeededTorch",
    "THREADS_CONSTRAINTS",
    "resolve_encoding",
    "Z90",
    "coverage_scale",
]

#: the constraint of a PyTorch predictor's ``num_threads``
THREADS_CONSTRAINTS: dict[str, list[Any]] = {"num_threads": [Interval(int, 1, None)]}


#: the z of a central 90% Normal interval
Z90 = 1.6448536269514722


def coverage_scale(errors: np.ndarray) -> float:
    """The standard deviation whose central 90% Normal interval covers 90% of ``errors``
    (absolute errors, or errors over their predicted deviations for a factor): their 90%
    quantile over :data:`Z90`. The split-conformal scale of LCE, LcSVR and OMNI."""
    return float(np.quantile(np.abs(errors), 0.9)) / Z90


@dataclass(frozen=True)
class Requirements:
    """What a predictor needs of each record.

    ``encoding``: an architecture encoding (``"default"`` means the space's default one);
    ``curve`` and ``fidelity``: a learning curve observed up to that epoch; ``scores``: named
    zero-cost or column scores; ``live_model``: a PyTorch model and a data batch; ``targets``:
    whether ``fit`` needs training records with targets.
    """

    encoding: str | None = None
    curve: str | None = None
    fidelity: int | None = None
    scores: tuple[str, ...] = ()
    live_model: bool = False
    targets: bool = True

    def describe(self) -> str:
        """A short human-readable summary, for ``nasperf predictors``."""
        parts = []
        if self.encoding:
            parts.append(f"encoding={self.encoding}")
        if self.curve:
            parts.append(f"curve={self.curve}" + (f"[:{self.fidelity}]" if self.fidelity else ""))
        if self.scores:
            parts.append("scores=" + ",".join(self.scores))
        if self.live_model:
            parts.append("live model + data")
        if not self.targets:
            parts.append("no training data")
        return "; ".join(parts) or "nothing"

    def check(self, records: Sequence[Record]) -> None:
        """Raise MissingRequirementError if a record lacks something required."""
        if len(records) == 0:
            raise InvalidDataError("no records given")
        for r in records:
            if self.curve is not None:
                r.curve(self.curve, self.fidelity)
            for name in self.scores:
                if name not in r.scores:
                    raise MissingRequirementError(
                        f"record {r.arch!r} has no {name!r} score; this predictor needs "
                        f"scores {', '.join(self.scores)}"
                    )
            if self.live_model and r.info.get("model") is None:
                raise MissingRequirementError(
                    f"record {r.arch!r} carries no live model; this predictor needs one"
                )
        if self.encoding is not None:
            kind = resolve_encoding(records, self.encoding)
            _check_space_offers(records[0].space, kind)
            # Encoding errors (unknown kind, no feature vector) surface here, before any fitting.
            records[0].encode(kind)


def _check_space_offers(space_name: str, kind: str) -> None:
    """Raise MissingRequirementError when ``kind`` is an encoding some spaces have but the
    records' space lacks (a name no space knows is left to the space: UnknownNameError)."""
    from ..spaces import SPACE_NAMES, get_space

    if kind == "features" or space_name not in SPACE_NAMES:
        return
    if kind in get_space(space_name).encodings:
        return
    offering = [name for name in SPACE_NAMES if kind in get_space(name).encodings]
    if offering:
        raise MissingRequirementError(
            f"space {space_name!r} has no {kind!r} encoding, which this predictor needs; "
            f"spaces with one: {', '.join(offering)}"
        )


def resolve_encoding(records: Sequence[Record], encoding: str) -> str:
    """Map ``"default"`` to the default encoding of the records' space."""
    if encoding != "default":
        return encoding
    from ..spaces import get_space

    return get_space(records[0].space).default_encoding


@dataclass(frozen=True)
class Capabilities:
    """What a predictor is and needs, in one object.

    ``family``: model-based, learning-curve, hybrid, zero-cost, weight-sharing,
    training-based or baseline;
    ``requires``: what each record must carry; ``has_dist``: whether ``predict_dist`` gives a
    predictive mean and standard deviation; ``min_train_size``: the fewest training records
    ``fit`` accepts (0 for predictors that learn nothing); ``extra``: the optional-dependency
    extra it needs (``pip install 'nasperf[EXTRA]'``), or None.
    """

    family: str
    requires: Requirements
    has_dist: bool
    min_train_size: int
    extra: str | None = None

    def describe(self) -> str:
        """A short summary of the needs, for ``nasperf predictors``."""
        return self.requires.describe()


class _only_with_dist:  # noqa: N801 - used as a decorator
    """A method that exists only on classes that override ``_predict_dist``.

    Looking it up on any other predictor (or its class) raises AttributeError, so
    ``hasattr(pred, "predict_dist")`` tells whether a predictor has a distribution.
    """

    def __init__(self, func: Any) -> None:
        self.func = func
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        cls = owner if owner is not None else type(obj)
        if not _has_dist(cls):
            raise AttributeError(
                f"{cls.__name__} has no predictive distribution ({self.name}); "
                "see capabilities().has_dist"
            )
        return self.func if obj is None else self.func.__get__(obj, cls)


def _has_dist(cls: type) -> bool:
    """Whether predictor class ``cls`` implements ``_predict_dist``."""
    return getattr(cls, "_predict_dist", None) is not Predictor._predict_dist


class Predictor(BaseEstimator, abc.ABC):
    """Base class of all predictors.

    Subclasses implement ``_fit``, ``_predict`` and ``_requirements`` (and ``_predict_dist``
    if they have a predictive distribution), declare ``family``, ``extra`` and a
    ``_parameter_constraints`` table, and may override ``_min_train_size``.
    """

    #: family name shown by ``nasperf predictors``
    family: ClassVar[str] = "model-based"
    #: the optional-dependency extra needed to fit or predict (None: core dependencies only)
    extra: ClassVar[str | None] = None
    #: hyperparameter name -> the constraints its value may satisfy (see nasperf.validation)
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    def capabilities(self) -> Capabilities:
        """What this predictor, with its hyperparameters, is and needs (checks them first)."""
        self._validate_params()
        req = self._requirements()
        return Capabilities(
            family=self.family,
            requires=req,
            has_dist=_has_dist(type(self)),
            min_train_size=self._min_train_size(req),
            extra=self.extra,
        )

    def fit(self, records: Sequence[Record]) -> Predictor:
        """Learn from ``records`` (which need finite targets if the predictor needs targets)."""
        self.__dict__.pop("is_fitted_", None)  # a refit that fails leaves it unfitted
        req = self.capabilities().requires
        records = list(records)
        if req.targets or records:  # predictors that need no data may be fitted on none
            req.check(records)
        y = targets_of(records) if req.targets else None
        with self._compute_context():
            self._fit(records, y)
        self.is_fitted_ = True
        return self

    def predict(self, records: Sequence[Record]) -> np.ndarray:
        """Return one score per record; higher means better."""
        records = self._check_predict(records)
        with self._compute_context():
            out = np.asarray(self._predict(records), dtype=np.float64).reshape(-1)
        return self._check_output(out, len(records))

    @_only_with_dist
    def predict_dist(self, records: Sequence[Record]) -> tuple[np.ndarray, np.ndarray]:
        """Return the predictive mean and standard deviation of each record.

        Only predictors that implement ``_predict_dist`` have this method: on the others
        ``hasattr(pred, "predict_dist")`` is False, as ``capabilities().has_dist`` says.
        """
        records = self._check_predict(records)
        with self._compute_context():
            mean, std = self._predict_dist(records)
        mean = self._check_output(np.asarray(mean, dtype=np.float64).reshape(-1), len(records))
        std = self._check_output(np.asarray(std, dtype=np.float64).reshape(-1), len(records))
        return mean, std

    @_only_with_dist
    def probability_at_least(self, records: Sequence[Record], value: float) -> np.ndarray:
        """P(score >= ``value``) of each record under the predictive distribution (a Gaussian
        of ``predict_dist``'s mean and std unless the predictor knows its own shape): the
        chance a run still beats the best so far, which Baker's stopping rule asks."""
        records = self._check_predict(records)
        with self._compute_context():
            out = np.asarray(self._probability_at_least(records, float(value)), dtype=np.float64)
        return np.clip(self._check_output(out.reshape(-1), len(records)), 0.0, 1.0)

    # -- hooks -------------------------------------------------------------------------------
    @abc.abstractmethod
    def _requirements(self) -> Requirements:
        """What each record must carry (the hyperparameters are valid when this is called)."""

    def _compute_context(self) -> AbstractContextManager[Any]:
        """What ``_fit``, ``_predict`` and ``_predict_dist`` run inside (e.g. a thread count)."""
        return nullcontext()

    def _min_train_size(self, requires: Requirements) -> int:
        """The fewest training records ``fit`` accepts."""
        return 2 if requires.targets else 0

    def _validate_params(self) -> None:
        """Check every hyperparameter against ``_parameter_constraints`` (one place)."""
        params = self.get_params(deep=False)
        defaults = signature_defaults(type(self).__init__)
        validate_params(params, self._parameter_constraints, type(self).__name__, defaults)

    @abc.abstractmethod
    def _fit(self, records: list[Record], y: np.ndarray | None) -> None: ...

    @abc.abstractmethod
    def _predict(self, records: list[Record]) -> np.ndarray: ...

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        """The predictive mean and std; overriding it gives the class ``predict_dist``."""
        raise NotImplementedError  # never called: predict_dist is absent without an override

    # -- helpers -----------------------------------------------------------------------------
    def _probability_at_least(self, records: list[Record], value: float) -> np.ndarray:
        """P(score >= value) from ``_predict_dist`` as a Gaussian; override for another shape."""
        from scipy.special import ndtr

        mean, std = self._predict_dist(records)
        mean, std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
        return ndtr((mean - value) / np.maximum(std, 1e-12))

    def _check_predict(self, records: Sequence[Record]) -> list[Record]:
        if not getattr(self, "is_fitted_", False):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(records) first")
        records = list(records)
        self.capabilities().requires.check(records)
        return records

    def _check_output(self, out: np.ndarray, n: int) -> np.ndarray:
        if out.shape != (n,):
            raise RuntimeError(f"{type(self).__name__} returned shape {out.shape}, expected ({n},)")
        if not np.all(np.isfinite(out)):
            raise InvalidDataError(
                f"{type(self).__name__} produced non-finite predictions; check the inputs for "
                "NaN or infinite values"
            )
        return out


class EncodingPredictor(Predictor):
    """A model-based predictor on a fixed-length architecture encoding.

    Subclasses set ``encoding`` in ``__init__`` (``"default"``: the space's default encoding).
    """

    encoding: str = "default"

    def _requirements(self) -> Requirements:
        return Requirements(encoding=self.encoding)

    def _features(self, records: Sequence[Record]) -> np.ndarray:
        return encode_records(records, resolve_encoding(records, self.encoding))


class TorchThreads:
    """Mixin of the PyTorch predictors: ``fit`` and ``predict`` run on ``num_threads`` torch
    threads (1 by default: small networks train fastest on one, and a loaded machine does not
    slow them down by oversubscription), restored afterwards."""

    num_threads: int

    def _compute_context(self) -> AbstractContextManager[Any]:
        from ..training import torch_threads

        return torch_threads(int(self.num_threads))


class SeededTorch(TorchThreads):
    """TorchThreads whose work also runs under ``seeded(random_state)``: every draw from torch's
    global RNG (initial weights, dropout masks) repeats from fit to fit, and the caller's RNG
    state is restored afterwards."""

    random_state: int

    def _compute_context(self) -> AbstractContextManager[Any]:
        return self._seeded_threads()

    @contextmanager
    def _seeded_threads(self) -> Iterator[None]:
        from ..training import seeded

        with super()._compute_context(), seeded(int(self.random_state)):
            yield
