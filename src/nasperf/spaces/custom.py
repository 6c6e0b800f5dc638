"""The space of a user's own search history: candidates known only by their feature columns."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from ..exceptions import InvalidArchitectureError
from ._base import SearchSpace

__all__ = ["CustomSpace"]


class CustomSpace(SearchSpace):
    """Candidates are opaque identifiers; their only encoding is the record's ``features``.

    The ``features`` encoding is served by :meth:`nasperf.records.Record.encode` from the record
    itself, so this space declares no encodings of its own and cannot sample or mutate.
    """

    name = "custom"
    encodings = ()
    default_encoding = "features"

    def parse(self, arch: object) -> Hashable:
        try:
            hash(arch)
        except TypeError as exc:
            raise InvalidArchitectureError(f"candidate id {arch!r} is not hashable") from exc
        return arch  # type: ignore[return-value]

    def sample(self, rng: np.random.Generator) -> Hashable:
        raise InvalidArchitectureError("a custom search history cannot be sampled from")

    def mutate(self, arch: object, rng: np.random.Generator) -> Hashable:
        raise InvalidArchitectureError("a custom search history cannot be mutated")

    def neighbours(self, arch: object) -> list[Hashable]:
        raise InvalidArchitectureError("a custom search history has no neighbourhood")
