"""Parsers of the comma-separated option values (integers, names, a count or 'all')."""

from __future__ import annotations

from ..exceptions import ConfigurationError

__all__ = ["int_list", "names", "count_or_all", "proxy_names"]


def int_list(text: str, what: str) -> tuple[int, ...]:
    """The comma-separated integers of ``text`` (option ``what``); none is an error."""
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise ConfigurationError(f"{what} must be comma-separated integers, got {text!r}") from exc
    if not values:
        raise ConfigurationError(f"{what} is empty")
    return values


def names(text: str, what: str) -> list[str]:
    """The comma-separated names of ``text`` (option ``what``); none, or one twice, is an error."""
    found = [v.strip() for v in text.split(",") if v.strip()]
    if not found:
        raise ConfigurationError(f"{what} is empty")
    if len(set(found)) != len(found):
        raise ConfigurationError(f"{what} names one twice: {text!r}")
    return found


def count_or_all(text: str, what: str) -> int | None:
    """One integer, or None for ``all``."""
    if text.strip() == "all":
        return None
    (count,) = int_list(text, what)
    return count


def proxy_names(text: str | None, *, allow_none: bool = False) -> tuple[str, ...] | None:
    """The ``--proxies`` value: None when not given (all of them), ``()`` for ``none``."""
    if text is None:
        return None
    if allow_none and text.strip() == "none":
        return ()
    return tuple(names(text, "--proxies"))
