"""Declarative checks of hyperparameters and settings, in one place before any work.

Each predictor and settings class declares ``_parameter_constraints``: a table from parameter
name to the list of constraints its value may satisfy (any one is enough), as scikit-learn's
estimators do. :func:`validate_params` checks a whole table and raises one
:class:`~nasperf.exceptions.ConfigurationError` (or :class:`~nasperf.exceptions.UnknownNameError`
for a name outside a closed set) that says what was expected and what was given.

>>> from nasperf.validation import Interval, Options, validate_params
>>> validate_params({"k": 2, "variant": "concat"},
...                 {"k": [Interval(int, 1, None)], "variant": [Options(("concat", "ema"))]},
...                 "FeatureHistoryPredictor")
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, TypeVar

from .exceptions import ConfigurationError, UnknownNameError

__all__ = [
    "dataclass_defaults",
    "validate_dataclass",
    "class_constraints",
    "signature_defaults",
    "Constraint",
    "Interval",
    "Options",
    "InstanceOf",
    "Predicate",
    "validate_params",
    "validate_arguments",
    "Validated",
    "is_int",
    "is_real",
]


def is_int(value: object) -> bool:
    """An integer that is not a bool (numpy integers included)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: object) -> bool:
    """A finite real number that is not a bool (numpy floats and integers included)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


class Constraint:
    """One allowed form of a value; ``str()`` describes it for messages."""

    def satisfied_by(self, value: object) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def __str__(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


class Interval(Constraint):
    """An ``int`` or real (``float``) number between ``low`` and ``high`` (None: unbounded).

    ``closed`` says which ends belong to it: ``"both"``, ``"left"``, ``"right"`` or
    ``"neither"``.
    """

    def __init__(
        self,
        kind: type,
        low: float | None,
        high: float | None,
        closed: str = "both",
    ) -> None:
        if kind not in (int, float):
            raise TypeError("Interval kind must be int or float")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed must be both, left, right or neither, got {closed!r}")
        self.kind = kind
        self.low = low
        self.high = high
        self.closed = closed

    def satisfied_by(self, value: object) -> bool:
        if not (is_int(value) if self.kind is int else is_real(value)):
            return False
        v = float(value)  # type: ignore[arg-type]
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and (v < self.low or (v == self.low and not left)):
            return False
        return not (self.high is not None and (v > self.high or (v == self.high and not right)))

    def __str__(self) -> str:
        what = "an integer" if self.kind is int else "a finite number"
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            bounds = f"{self.low:g}, {self.high:g}"
            return f"{what} in {'[' if left else '('}{bounds}{']' if right else ')'}"
        if self.low is not None:
            return f"{what} {'>=' if left else '>'} {self.low:g}"
        if self.high is not None:
            return f"{what} {'<=' if right else '<'} {self.high:g}"
        return what


class Options(Constraint):
    """One of a closed set of values; ``kind`` (e.g. ``"zero-cost proxy"``) makes a miss an
    :class:`UnknownNameError` listing the choices."""

    def __init__(self, values: Iterable[Any], kind: str | None = None) -> None:
        self.values = tuple(values)
        self.kind = kind

    def satisfied_by(self, value: object) -> bool:
        try:
            return value in self.values
        except TypeError:  # an unhashable value compared with a set-like container
            return False

    def __str__(self) -> str:
        return "one of " + ", ".join(map(repr, self.values))


class InstanceOf(Constraint):
    """An instance of ``types``, described as ``what``."""

    def __init__(self, types: type | tuple[type, ...], what: str) -> None:
        self.types = types
        self.what = what

    def satisfied_by(self, value: object) -> bool:
        return isinstance(value, self.types) and not (
            isinstance(value, bool) and bool not in _as_tuple(self.types)
        )

    def __str__(self) -> str:
        return self.what


class Predicate(Constraint):
    """Any value for which ``test(value)`` is true, described as ``what``."""

    def __init__(self, test: Callable[[Any], bool], what: str) -> None:
        self.test = test
        self.what = what

    def satisfied_by(self, value: object) -> bool:
        return bool(self.test(value))

    def __str__(self) -> str:
        return self.what


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def dataclass_defaults(cls: type) -> dict[str, Any]:
    """The default value of each field of the dataclass ``cls`` that has one."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def class_constraints(cls: type) -> dict[str, list[Any]]:
    """The ``_parameter_constraints`` of ``cls`` and of the classes it derives from (its own
    win)."""
    merged: dict[str, list[Any]] = {}
    for klass in reversed(cls.__mro__):
        merged.update(vars(klass).get("_parameter_constraints", {}))
    return merged


def validate_dataclass(obj: Any) -> None:
    """Check every field of the dataclass instance ``obj`` against its class's
    ``_parameter_constraints`` (the messages end with the field's default as an example)."""
    cls = type(obj)
    validate_params(
        {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)},
        class_constraints(cls),
        cls.__name__,
        dataclass_defaults(cls),
    )


def signature_defaults(func: Callable[..., Any]) -> dict[str, Any]:
    """The default value of each parameter of ``func`` that has one."""
    return {
        name: p.default
        for name, p in inspect.signature(func).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def _describe(constraints: list[Any]) -> str:
    parts = ["None" if c is None else str(c) for c in constraints]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def validate_params(
    params: Mapping[str, Any],
    constraints: Mapping[str, list[Any]],
    owner: str,
    defaults: Mapping[str, Any] | None = None,
) -> None:
    """Check every parameter named in ``constraints`` against its list (``None`` in a list
    allows None); raise on the first that satisfies none of them.

    Parameters without constraints are not checked. ``owner`` names the class in messages;
    ``defaults`` (a parameter's default value) make the message end with a valid example.
    """
    for name, allowed in constraints.items():
        value = params.get(name)
        if any(value is None if c is None else c.satisfied_by(value) for c in allowed):
            continue
        names = [c for c in allowed if isinstance(c, Options) and c.kind is not None]
        if names and isinstance(value, str):
            raise UnknownNameError(names[0].kind, value, [str(v) for v in names[0].values])
        example = ""
        if defaults is not None and name in defaults:
            example = f"; e.g. {owner}({name}={defaults[name]!r})"
        raise ConfigurationError(
            f"{owner}: {name} must be {_describe(allowed)}, got {value!r}{example}"
        )


F = TypeVar("F", bound=Callable[..., Any])


def validate_arguments(constraints: Mapping[str, list[Any]]) -> Callable[[F], F]:
    """A decorator that checks a public function's arguments named in ``constraints`` before
    its body runs (the message names the function and ends with the default as an example).

    >>> @validate_arguments({"k": [Interval(int, 1, None)]})
    ... def top(values, k=2): return sorted(values)[-k:]
    """

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        defaults = signature_defaults(func)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{func.__name__} has no parameters {sorted(unknown)}")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            validate_params(bound.arguments, constraints, func.__name__, defaults)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


class Validated:
    """The one base of objects whose settings are checked against ``_parameter_constraints``
    before any work: schedulers, stopping rules, search specs, the integrations' adapters.

    A dataclass is checked field by field after it is made; another class calls
    :meth:`_validate` with its constructor's arguments (``self._validate(locals())``). The
    constraints of the classes it derives from apply too.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    @classmethod
    def parameter_constraints(cls) -> dict[str, list[Any]]:
        """The constraints of ``cls`` and of the classes it derives from (its own win)."""
        return class_constraints(cls)

    def __post_init__(self) -> None:
        if dataclasses.is_dataclass(self):
            validate_dataclass(self)

    def _validate(self, params: Mapping[str, Any]) -> None:
        """Check ``params`` (constructor arguments by name) against their constraints."""
        cls = type(self)
        constraints = {k: v for k, v in class_constraints(cls).items() if k in params}
        validate_params(params, constraints, cls.__name__, signature_defaults(cls.__init__))
