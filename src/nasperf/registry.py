"""One helper for every name table of nasperf: predictors, benchmarks, spaces, executors,
datasets, metrics and proxies.

A :class:`Registry` maps a name to an :class:`Entry`: what it creates (an object, or a
``"module:attribute"`` string imported on first use), a one-line summary, the optional-dependency
extra it needs, constructor arguments the name implies, and free-form metadata. Lookups of an
unknown name raise :class:`~nasperf.exceptions.UnknownNameError` listing the choices; a missing
extra raises :class:`~nasperf.exceptions.OptionalDependencyError` naming it. Nothing registers
itself on import: every table is written out where its names are defined.

>>> from nasperf.registry import Registry
>>> SHAPES = Registry("shape")
>>> SHAPES.add("unit", dict, "an empty mapping")
>>> SHAPES.create("unit")
{}
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .exceptions import OptionalDependencyError, UnknownNameError

__all__ = ["Entry", "Registry", "EXTRA_MODULES", "extra_installed", "require_extra"]

#: the modules each optional-dependency extra installs that nasperf imports (all of them present
#: count as installed)
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "trees": ("xgboost", "lightgbm", "ngboost"),
    "torch": ("torch",),
    "ray": ("ray",),
    "optuna": ("optuna",),
    "graph": ("grakel",),
    "gp": ("gpytorch", "torch"),
    "mcmc": ("emcee",),
}


def extra_installed(extra: str) -> bool:
    """Whether every module of ``extra`` can be imported (without importing it)."""
    return all(importlib.util.find_spec(m) is not None for m in EXTRA_MODULES.get(extra, ()))


def require_extra(extra: str | None, what: str) -> None:
    """Raise OptionalDependencyError unless ``extra`` (None: nothing) is installed, found
    without importing it: ``what`` names what needs it (``"bananas's surrogate xgb"``)."""
    if extra is not None and not extra_installed(extra):
        raise OptionalDependencyError(
            f"{what} needs the {extra!r} extra: pip install 'nasperf[{extra}]'"
        )


@dataclass(frozen=True)
class Entry:
    """A registered name: what it makes, a summary, the extra it needs, implied parameters."""

    name: str
    target: Any  # an object, or "package.module:attribute" imported on first use
    summary: str = ""
    extra: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def load(self) -> Any:
        """The registered object (importing its module on first use)."""
        if not isinstance(self.target, str):
            return self.target
        module, _, attr = self.target.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except ImportError as exc:
            if self.extra is None:
                raise
            raise OptionalDependencyError(
                f"{self.name} needs {exc.name or 'an optional dependency'}, which is not "
                f"installed; install it with: pip install 'nasperf[{self.extra}]'"
            ) from exc

    def extra_status(self) -> str:
        """``""`` without an extra, else ``"EXTRA (installed)"`` or ``"EXTRA (missing)"``."""
        if self.extra is None:
            return ""
        return f"{self.extra} ({'installed' if extra_installed(self.extra) else 'missing'})"


class Registry(Mapping[str, Entry]):
    """An explicit, ordered table of named entries of one ``kind`` (used in error messages).

    ``patterns`` are name forms handled outside the table (``"csv:PATH"``); they are listed
    among the choices of an unknown name.
    """

    def __init__(self, kind: str, patterns: Sequence[str] = ()) -> None:
        self.kind = kind
        self.patterns = tuple(patterns)
        self._entries: dict[str, Entry] = {}

    def add(
        self,
        name: str,
        target: Any,
        summary: str = "",
        *,
        extra: str | None = None,
        params: Mapping[str, Any] | None = None,
        **meta: Any,
    ) -> None:
        """Register ``name``; a name registered twice is a programming error."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = Entry(
            name,
            target,
            summary,
            extra,
            MappingProxyType(dict(params or {})),
            MappingProxyType(meta),
        )

    # -- Mapping -----------------------------------------------------------------------------
    def __getitem__(self, name: str) -> Entry:
        entry = self._entries.get(name)
        if entry is None:
            raise UnknownNameError(self.kind, str(name), self.choices())
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {list(self._entries)})"

    # -- lookups -----------------------------------------------------------------------------
    def choices(self) -> list[str]:
        """The registered names followed by the patterns, for messages and listings."""
        return [*self._entries, *self.patterns]

    def check(self, name: str) -> str:
        """``name`` if it is registered, else UnknownNameError listing the choices."""
        self[name]
        return name

    def load(self, name: str) -> Any:
        """The object registered as ``name`` (UnknownNameError for an unknown name)."""
        return self[name].load()

    def create(self, name: str, **kwargs: Any) -> Any:
        """Call the object registered as ``name`` with its implied parameters and ``kwargs``."""
        entry = self[name]
        return entry.load()(**{**entry.params, **kwargs})
