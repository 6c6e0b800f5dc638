"""Search spaces: encodings, sampling and mutation.

Spaces are looked up by name through an explicit table; nothing registers itself on import.
"""

from __future__ import annotations

from functools import cache

from ..exceptions import UnknownNameError
from ._base import SearchSpace

__all__ = ["SearchSpace", "get_space", "SPACE_NAMES"]

SPACE_NAMES = ("nb201", "nb101", "darts", "graph", "graph-proteins", "custom")


@cache
def get_space(name: str) -> SearchSpace:
    """Return the (shared, stateless) search space called ``name``."""
    if name == "nb201":
        from .nb201 import NB201Space

        return NB201Space()
    if name == "nb101":
        from .nb101 import NB101Space

        return NB101Space()
    if name == "darts":
        from .darts import DartsSpace

        return DartsSpace()
    if name == "graph":
        from .graph import GraphSpace

        return GraphSpace()
    if name == "graph-proteins":
        from .graph import GraphSpace

        return GraphSpace(proteins=True)
    if name == "custom":
        from .custom import CustomSpace

        return CustomSpace()
    raise UnknownNameError("search space", name, SPACE_NAMES)
