"""Search spaces: encodings, sampling, mutation and PyTorch builders.

Spaces are looked up by name in :data:`SPACES`, an explicit table; nothing registers itself on
import. ``count_params`` and ``count_flops`` (PyTorch models) import torch on first use.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..registry import Registry
from ._base import SearchSpace
from .structure import CellGraph, check_tokens, decode_graph, graph_vector, seq_from_graph

__all__ = [
    "SearchSpace",
    "SPACES",
    "SPACE_NAMES",
    "get_space",
    "count_params",
    "count_flops",
    "CellGraph",
    "check_tokens",
    "decode_graph",
    "graph_vector",
    "seq_from_graph",
]

#: the search spaces by name
SPACES = Registry("search space")
SPACES.add("nb201", "nasperf.spaces.nb201:NB201Space", "NAS-Bench-201 cells (15,625)")
SPACES.add("nb101", "nasperf.spaces.nb101:NB101Space", "NAS-Bench-101 cells")
SPACES.add("darts", "nasperf.spaces.darts:DartsSpace", "DARTS normal and reduction cells")
SPACES.add("graph", "nasperf.spaces.graph:GraphSpace", "NAS-Bench-Graph architectures")
SPACES.add(
    "graph-proteins",
    "nasperf.spaces.graph:GraphSpace",
    "NAS-Bench-Graph architectures of the proteins task",
    params={"proteins": True},
)
SPACES.add("custom", "nasperf.spaces.custom:CustomSpace", "a user's own candidates by id")

SPACE_NAMES = tuple(SPACES)

_LAZY = ("count_params", "count_flops")


@cache
def get_space(name: str) -> SearchSpace:
    """Return the (shared, stateless) search space called ``name``."""
    return SPACES.create(name)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import _complexity

        return getattr(_complexity, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
