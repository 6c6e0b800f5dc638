"""The space a structure-reading predictor was fitted on, and the check that keeps it there."""

from __future__ import annotations

from typing import ClassVar

from ...exceptions import InvalidDataError
from ...records import Record
from ...spaces import SearchSpace, get_space

__all__ = ["OneSpace"]


class OneSpace:
    """Mixin of the predictors that read a space's own structure (token sequences, graphs):
    ``fit`` learns the space of its records (``space_``), and records of another space are
    refused, in fit and in predict."""

    #: what the predictor reads of a cell, for the error message
    reads: ClassVar[str] = "cells"
    space_: str

    def _learn_space(self, records: list[Record]) -> SearchSpace:
        """Remember the records' space and return it."""
        self.space_ = records[0].space
        return get_space(self.space_)

    def _check_space(self, records: list[Record]) -> None:
        for r in records:
            if r.space != self.space_:
                raise InvalidDataError(
                    f"{type(self).__name__} was fitted on {self.space_!r} {self.reads}; record "
                    f"{r.arch!r} is of space {r.space!r}"
                )
