"""The search-space contract: parse, encode, sample, mutate."""

from __future__ import annotations

import abc
import ast
from collections.abc import Callable, Hashable
from typing import ClassVar

import numpy as np

from ..exceptions import UnknownNameError

__all__ = ["SearchSpace", "literal_sequence"]


def literal_sequence(
    arch: str, text: str, what: str, bad: Callable[[str], Exception]
) -> tuple | list:
    """The tuple or list that ``text`` (``arch`` stripped) writes as a Python literal.

    ``bad(message)`` makes the error for text that is no literal (``cannot read ARCH as WHAT``)
    or a literal of another kind (``ARCH is not WHAT``).
    """
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise bad(f"cannot read {arch!r} as {what}") from exc
    if not isinstance(value, (tuple, list)):
        raise bad(f"{arch!r} is not {what}")
    return value


class SearchSpace(abc.ABC):
    """A search space: how its architectures are written, encoded, sampled and mutated.

    Architectures are hashable values in the space's canonical form (``parse`` converts other
    accepted forms to it and raises :class:`~nasperf.exceptions.InvalidArchitectureError` on
    malformed input). Every encoding is a 1-D numpy array of a fixed length per space.
    """

    name: ClassVar[str]
    encodings: ClassVar[tuple[str, ...]]
    default_encoding: ClassVar[str]

    @abc.abstractmethod
    def parse(self, arch: object) -> Hashable:
        """Return ``arch`` in canonical form, or raise InvalidArchitectureError."""

    def encode(self, arch: object, kind: str) -> np.ndarray:
        """Return encoding ``kind`` of ``arch``."""
        if kind not in self.encodings:
            raise UnknownNameError(f"encoding of space {self.name!r}", kind, self.encodings)
        return getattr(self, f"_encode_{kind}")(self.parse(arch))

    @abc.abstractmethod
    def sample(self, rng: np.random.Generator) -> Hashable:
        """Draw one architecture at random (uniform over the space's own parametrisation)."""

    @abc.abstractmethod
    def mutate(self, arch: object, rng: np.random.Generator) -> Hashable:
        """Return a random neighbour of ``arch`` (one change), never ``arch`` itself."""

    @abc.abstractmethod
    def neighbours(self, arch: object) -> list[Hashable]:
        """Return every architecture one change away from ``arch``."""
