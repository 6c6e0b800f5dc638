"""Live NB201 cells: their settings, seeds, data and networks, in one place.

``make-benchmark``, the live search, sample-and-estimate, the proxy table, the CLI and the
benchmark scripts all build cells the same way:

- :class:`LiveBenchmarkConfig` holds the dataset, network size and a
  :class:`~nasperf.training.TrainConfig`;
- :func:`select_cells` draws cells of a space (a prefix of one seeded permutation);
- :func:`cell_seed` gives a cell its weight and training seed, a function of the run's seed and
  the cell alone (never of its position or of the worker that runs it);
- :func:`cell_data` loads the config's dataset once per process;
- :func:`build_cell` builds the cell's network under its seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from ..data.datasets import DATASETS
from ..exceptions import ConfigurationError, InvalidDataError, UnknownNameError
from ..predictors.zero_cost import PROXY_NAMES
from ..spaces.nb201 import NUM_ARCHS
from ..training.config import TrainConfig
from ..validation import (
    InstanceOf,
    Interval,
    Options,
    Predicate,
    validate_dataclass,
)

__all__ = [
    "LiveBenchmarkConfig",
    "select_cells",
    "cell_seed",
    "cell_key",
    "cell_data",
    "build_cell",
]

#: the training fields of a live benchmark written by nasperf 0.1 (format 1), flat in its config
_FLAT_TRAIN_FIELDS = (
    "optimizer",
    "lr",
    "weight_decay",
    "momentum",
    "batch_size",
    "epochs",
    "schedule",
    "schedule_unit",
    "label_smoothing",
    "grad_clip",
)


def _image_dataset(name: object) -> bool:
    return name in DATASETS and DATASETS.load(name).kind == "image"


def _proxy_names(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and all(v in PROXY_NAMES for v in value)
        and len(set(value)) == len(value)
    )


@dataclass(frozen=True)
class LiveBenchmarkConfig:
    """How live cells are made; all of it but ``cells`` and ``data_root`` must match to resume
    a benchmark.

    ``C`` and ``N`` size the NB201 network (``N`` cells per stage, ``C`` channels in the
    first). ``size`` and ``channels`` transform the inputs as in
    :func:`~nasperf.data.load_dataset` (None keeps the dataset's own); ``limit`` caps the
    training split; the splits are cut with ``seed``. ``train`` is the
    :class:`~nasperf.training.TrainConfig` of every cell (its ``seed`` and ``num_threads`` are
    set per cell, see :meth:`train_config`). ``proxies`` are computed on a batch of
    ``proxy_batch`` training examples (fewer if the split is smaller), the same batch for
    every cell. Bad values raise ConfigurationError or UnknownNameError when it is made.
    """

    space: str = "nb201"
    dataset: str = "digits"
    cells: int = 100
    seed: int = 0
    C: int = 16
    N: int = 5
    size: int | None = None
    channels: int | None = None
    limit: int | None = None
    val_fraction: float = 0.1
    data_root: str | None = None
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=30))
    proxies: tuple[str, ...] = PROXY_NAMES
    proxy_batch: int = 64

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "space": [Options(("nb201",))],
        "dataset": [
            Options(sorted(DATASETS), kind="dataset"),
        ],
        "cells": [Interval(int, 1, NUM_ARCHS)],
        "seed": [Interval(int, 0, 2**63 - 1)],
        "C": [Interval(int, 1, None)],
        "N": [Interval(int, 1, None)],
        "size": [None, Interval(int, 1, None)],
        "channels": [None, Interval(int, 1, None)],
        "limit": [None, Interval(int, 1, None)],
        "val_fraction": [Interval(float, 0.0, 1.0, closed="neither")],
        "data_root": [None, InstanceOf(str, "a directory path as a string")],
        "train": [InstanceOf(TrainConfig, "a TrainConfig")],
        "proxies": [Predicate(_proxy_names, "a tuple of distinct zero-cost proxy names")],
        "proxy_batch": [Interval(int, 2, None)],
    }

    def __post_init__(self) -> None:
        if isinstance(self.proxies, (list, tuple)):
            object.__setattr__(self, "proxies", tuple(self.proxies))
        for name in self.proxies if isinstance(self.proxies, tuple) else ():
            if name not in PROXY_NAMES:
                raise UnknownNameError("zero-cost proxy", str(name), PROXY_NAMES)
        validate_dataclass(self)
        if not _image_dataset(self.dataset):
            raise ConfigurationError(
                f"nb201 networks need images, but {self.dataset} holds 1-D signals; "
                "use digits, mnist or cifar10"
            )
        object.__setattr__(self, "val_fraction", float(self.val_fraction))
        # the per-cell fields are set by train_config; keep them neutral so configs compare
        object.__setattr__(self, "train", replace(self.train, seed=0, num_threads=None))

    @property
    def epochs(self) -> int:
        """The length of a full run (``train.epochs``)."""
        return self.train.epochs

    def train_config(self, seed: int, threads: int | None = None) -> TrainConfig:
        """The :class:`TrainConfig` of a cell trained with ``seed`` on ``threads`` threads."""
        return replace(self.train, seed=seed, num_threads=threads)

    def with_train(self, **changes: Any) -> LiveBenchmarkConfig:
        """A copy whose training settings have ``changes`` (e.g. ``epochs=9``)."""
        return replace(self, train=replace(self.train, **changes))

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-safe dict (``from_dict`` rebuilds the config)."""
        data = asdict(self)
        data["proxies"] = list(self.proxies)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LiveBenchmarkConfig:
        """Rebuild a config from :meth:`to_dict`'s output (or nasperf 0.1's flat form, whose
        training fields sit beside the others); unknown keys are an error."""
        data = dict(data)
        if "train" not in data:
            flat = {k: data.pop(k) for k in _FLAT_TRAIN_FIELDS if k in data}
            data["train"] = {"epochs": 30, **flat}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidDataError(f"unknown live benchmark settings: {', '.join(unknown)}")
        train = data["train"]
        if not isinstance(train, dict):
            raise InvalidDataError(f"the live benchmark's train settings are not a dict: {train!r}")
        try:
            data["train"] = TrainConfig(**train)
        except TypeError as exc:
            raise InvalidDataError(f"bad live benchmark train settings: {exc}") from exc
        if "proxies" in data:
            data["proxies"] = tuple(data["proxies"])
        return cls(**data)


def select_cells(space_name: str, cells: int | None, seed: int) -> list[str]:
    """``cells`` cells of the space drawn without replacement under ``seed`` (all if None).

    The draw is a prefix of one seeded permutation, so 100 cells are the first 100 of 1,000.
    """
    from ..spaces import get_space

    space = get_space(space_name)
    if not hasattr(space, "all_archs") or not hasattr(space, "build"):
        raise ConfigurationError(
            f"space {space_name!r} cannot build networks for every cell; use nb201"
        )
    archs = list(space.all_archs())
    if cells is None:
        return archs
    if not 1 <= cells <= len(archs):
        raise ConfigurationError(f"--cells must be between 1 and {len(archs)}, or 'all'")
    order = np.random.default_rng(seed).permutation(len(archs))
    return [archs[i] for i in order[:cells]]


def cell_key(seed: int, arch: str) -> str:
    """A short hexadecimal key of ``arch`` under ``seed`` (names its checkpoint files)."""
    return hashlib.sha1(f"{seed}:{arch}".encode()).hexdigest()[:16]


def cell_seed(seed: int, arch: str) -> int:
    """The weight and training seed of ``arch`` in a run seeded with ``seed``.

    A function of the two alone: the cell trains the same network in a benchmark, a search and
    a short-budget estimate, whatever its position in a draw or the worker it runs on.
    """
    return int(cell_key(seed, arch)[:8], 16)


@lru_cache(maxsize=2)
def cell_data(config: LiveBenchmarkConfig) -> Any:
    """The dataset of ``config``, loaded once per process (the key is the whole config)."""
    from ..data import load_dataset

    return load_dataset(
        config.dataset,
        root=config.data_root,
        size=config.size,
        channels=config.channels,
        val_fraction=config.val_fraction,
        limit=config.limit,
        seed=config.seed,
    )


def build_cell(
    config: LiveBenchmarkConfig, arch: str, seed: int, data: Any, device: str = "cpu"
) -> tuple[Any, float, float]:
    """The network of ``arch`` for ``data`` with weights drawn under ``seed`` (on the CPU, so
    they do not depend on the device), moved to ``device``; its parameters (millions) and FLOPs
    (millions)."""
    from ..spaces import count_flops, count_params, get_space
    from ..training import seeded

    with seeded(seed):
        model = get_space(config.space).build(
            arch,
            C=config.C,
            N=config.N,
            in_channels=data.input_shape[0],
            num_classes=data.num_classes,
        )
    params_m, flops = count_params(model) / 1e6, count_flops(model, data.input_shape)
    return model.to(device), params_m, flops
