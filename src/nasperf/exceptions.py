"""Exceptions raised by nasperf.

Every error a user can cause derives from :class:`NasperfError`; its message says what was wrong
and how to fix it. The CLI prints such an error as one line and exits with code 2.
"""

from __future__ import annotations

__all__ = [
    "NasperfError",
    "UnknownNameError",
    "DataNotFoundError",
    "InvalidArchitectureError",
    "InvalidDataError",
    "MissingRequirementError",
    "NotFittedError",
    "OptionalDependencyError",
    "ConfigurationError",
    "ClusterUnavailableError",
    "require",
]


class NasperfError(Exception):
    """Base class of all user-facing nasperf errors."""


class UnknownNameError(NasperfError, KeyError):
    """A benchmark, predictor, space, encoding or metric name that does not exist."""

    def __init__(self, kind: str, name: str, known: list[str] | tuple[str, ...]) -> None:
        self.kind = kind
        self.name = name
        self.known = list(known)
        super().__init__(f"unknown {kind} {name!r}; choose one of: {', '.join(self.known)}")

    def __str__(self) -> str:  # KeyError quotes its argument; keep the plain sentence
        return str(self.args[0])

    def __reduce__(self) -> tuple:  # picklable, so a worker process can raise it
        return (type(self), (self.kind, self.name, self.known))


class DataNotFoundError(NasperfError, FileNotFoundError):
    """A data file that a benchmark or dataset needs is missing."""

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidArchitectureError(NasperfError, ValueError):
    """An architecture string or encoding that is malformed for its search space."""


class InvalidDataError(NasperfError, ValueError):
    """Data that cannot be used: missing or non-numeric columns, NaN targets, bad curves."""


class MissingRequirementError(NasperfError, ValueError):
    """Records lack something a predictor declares in ``requires``."""


class NotFittedError(NasperfError, RuntimeError):
    """``predict`` was called before ``fit``."""


class OptionalDependencyError(NasperfError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class ConfigurationError(NasperfError, ValueError):
    """Impossible settings: sizes larger than the pool, negative counts, bad fidelities."""


class ClusterUnavailableError(NasperfError, ConnectionError):
    """A cluster asked for by address (Ray's ``--address``) cannot be found or reached."""


def require(module: str, extra: str):  # noqa: ANN201 - returns a module
    """Import an optional dependency, or raise an error naming the extra that provides it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise OptionalDependencyError(
            f"{module} is needed for this feature but is not installed; "
            f"install it with: pip install 'nasperf[{extra}]'"
        ) from exc
