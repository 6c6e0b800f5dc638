"""The benchmark contract: candidates, lookups at a fidelity, and their cost."""

from __future__ import annotations

import abc
from collections.abc import Hashable, Iterator, Sequence

import numpy as np

from ..exceptions import ConfigurationError, InvalidArchitectureError
from ..records import Record

__all__ = ["Benchmark", "TabularBenchmark"]


class Benchmark(abc.ABC):
    """A set of evaluated candidates that can be listed and looked up.

    ``target_name`` names the final metric (higher is better); ``max_fidelity`` is the number of
    epochs of the recorded curves (None when the benchmark has no curves); ``target_curve`` is
    the curve whose value at an epoch is the metric then (higher is better).
    """

    name: str
    space: str
    target_name: str
    max_fidelity: int | None = None
    target_curve: str = "val_acc"

    @abc.abstractmethod
    def records(self) -> list[Record]:
        """All candidates, in a fixed order."""

    @abc.abstractmethod
    def query(self, arch: object) -> Record:
        """The record of ``arch`` (any form its space parses)."""

    def __len__(self) -> int:
        return len(self.records())

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records())

    def metric(self, arch: object, fidelity: int | None = None) -> float:
        """The validation metric of ``arch`` after ``fidelity`` epochs (the final one if None)."""
        rec = self.query(arch)
        if fidelity is None or fidelity == self.max_fidelity:
            if rec.target is None:
                raise ConfigurationError(f"{self.name}: {rec.arch!r} has no final metric")
            return float(rec.target)
        self._check_fidelity(fidelity)
        return float(rec.curve(self.target_curve, fidelity)[-1])

    def cost(self, arch: object, fidelity: int | None = None) -> float:
        """Training cost in seconds of ``arch`` up to ``fidelity`` epochs (all if None).

        Uses the recorded per-epoch times (curve ``epoch_time``) where present, the record's
        total ``cost`` otherwise (scaled linearly in epochs), and counts one unit per epoch when
        the benchmark records no time.
        """
        rec = self.query(arch)
        full = self.max_fidelity or 1
        epochs = full if fidelity is None else self._check_fidelity(fidelity)
        if "epoch_time" in rec.curves:
            return float(np.sum(rec.curve("epoch_time", epochs)))
        if rec.cost is not None:
            return float(rec.cost) * epochs / full
        return float(epochs)

    def _check_fidelity(self, fidelity: int) -> int:
        if self.max_fidelity is None:
            raise ConfigurationError(f"benchmark {self.name!r} has no learning curves")
        if not 1 <= fidelity <= self.max_fidelity:
            raise ConfigurationError(
                f"fidelity {fidelity} is outside 1..{self.max_fidelity} for {self.name!r}"
            )
        return fidelity

    def score_columns(self) -> list[str]:
        """Names of the numeric scores (columns, proxies) its records carry."""
        names: dict[str, None] = {}
        for r in self.records():
            names.update(dict.fromkeys(r.scores))
        return list(names)

    def describe(self) -> str:
        return f"{self.name}: {len(self)} candidates, space {self.space}, target {self.target_name}"


class TabularBenchmark(Benchmark):
    """A benchmark held in memory as a list of records, indexed by canonical architecture."""

    def __init__(
        self,
        name: str,
        space: str,
        target_name: str,
        records: Sequence[Record],
        max_fidelity: int | None = None,
    ) -> None:
        self.name = name
        self.space = space
        self.target_name = target_name
        self.max_fidelity = max_fidelity
        self._records = list(records)
        self._index: dict[Hashable, Record] = {}
        from ..spaces import get_space

        parse = get_space(space).parse
        for r in self._records:
            key = parse(r.arch)  # any form of a candidate finds it, and twins are caught
            if key in self._index:
                raise InvalidArchitectureError(f"{name}: candidate {r.arch!r} appears twice")
            self._index[key] = r

    def records(self) -> list[Record]:
        return list(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def query(self, arch: object) -> Record:
        try:
            rec = self._index.get(arch)  # type: ignore[arg-type]
        except TypeError:  # an unhashable form (a list, an array): parse it
            rec = None
        if rec is None:
            from ..spaces import get_space

            key = get_space(self.space).parse(arch)
            rec = self._index.get(key)
            if rec is None:
                raise InvalidArchitectureError(f"{key!r} is not a candidate of {self.name!r}")
        return rec
