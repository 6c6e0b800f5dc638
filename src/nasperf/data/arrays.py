"""An in-memory dataset with train, validation and test splits as numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import ConfigurationError, InvalidDataError, UnknownNameError, require

if TYPE_CHECKING:  # pragma: no cover
    import torch
    import torch.utils.data

__all__ = ["ArrayDataset", "SPLITS"]

#: the split names every dataset has
SPLITS = ("train", "val", "test")


def _check_count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigurationError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigurationError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


@dataclass(repr=False, eq=False)
class ArrayDataset:
    """Train, validation and test arrays of one dataset.

    Inputs are float32 arrays ``(N, C, H, W)`` for images or ``(N, C, L)`` for 1-D signals;
    labels are int64 arrays ``(N,)`` with values in ``0 .. num_classes - 1``. ``mean`` and
    ``std`` are the per-channel statistics the inputs were standardised with (None when they
    were not), so new inputs can be standardised the same way: ``(x - mean) / std`` with the
    statistics broadcast over the channel axis.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    def __post_init__(self) -> None:
        shape = None
        for split in SPLITS:
            x = np.asarray(getattr(self, f"x_{split}"), dtype=np.float32)
            y = np.asarray(getattr(self, f"y_{split}"))
            if x.ndim not in (3, 4):
                raise InvalidDataError(
                    f"{self.name}: x_{split} must be (N, C, H, W) images or (N, C, L) signals, "
                    f"got shape {x.shape}"
                )
            if shape is not None and x.shape[1:] != shape:
                raise InvalidDataError(
                    f"{self.name}: x_{split} has input shape {x.shape[1:]} but x_train has {shape}"
                )
            shape = x.shape[1:]
            if y.ndim != 1 or len(y) != len(x):
                raise InvalidDataError(
                    f"{self.name}: y_{split} must be a 1-D array of {len(x)} labels, got shape "
                    f"{y.shape}"
                )
            if len(y) and not np.issubdtype(y.dtype, np.integer):
                raise InvalidDataError(f"{self.name}: y_{split} must hold integer class labels")
            y = y.astype(np.int64, copy=False)
            if len(y) and (y.min() < 0 or y.max() >= self.num_classes):
                raise InvalidDataError(
                    f"{self.name}: y_{split} holds labels outside 0..{self.num_classes - 1}"
                )
            setattr(self, f"x_{split}", x)
            setattr(self, f"y_{split}", y)

    def __repr__(self) -> str:
        return (
            f"ArrayDataset({self.name!r}, input_shape={self.input_shape}, "
            f"num_classes={self.num_classes}, train={len(self.y_train)}, val={len(self.y_val)}, "
            f"test={len(self.y_test)})"
        )

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one input: ``(C, H, W)`` for images, ``(C, L)`` for signals."""
        return tuple(int(d) for d in self.x_train.shape[1:])

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``(x, y)`` arrays of the split ``"train"``, ``"val"`` or ``"test"``."""
        if name not in SPLITS:
            raise UnknownNameError("split", name, SPLITS)
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")

    def sample_indices(
        self, size: int, split: str = "train", seed: int = 0, balanced: bool = False
    ) -> np.ndarray:
        """Indices into ``split`` of the examples :meth:`batch` returns (no torch needed)."""
        _, y = self.split(split)
        size = _check_count(size, "batch size")
        rng = np.random.default_rng(_check_seed(seed))
        if size > len(y):
            raise ConfigurationError(
                f"batch size {size} is larger than the {split} split of {self.name} "
                f"({len(y)} examples); ask for at most {len(y)}"
            )
        if not balanced:
            return rng.choice(len(y), size=size, replace=False)
        classes = np.unique(y)
        pools = [np.flatnonzero(y == c) for c in classes]
        pools = [pool[rng.permutation(len(pool))] for pool in pools]
        available = np.array([len(pool) for pool in pools])
        quota = np.zeros(len(classes), dtype=np.int64)
        remaining = size
        while remaining > 0:  # equal shares; a class too small gives the rest to the others
            open_ = np.flatnonzero(quota < available)
            add = np.full(len(open_), remaining // len(open_))
            add[rng.permutation(len(open_))[: remaining % len(open_)]] += 1
            add = np.minimum(add, available[open_] - quota[open_])
            quota[open_] += add
            remaining -= int(add.sum())
        chosen = np.concatenate([pool[:q] for pool, q in zip(pools, quota, strict=True)])
        return chosen[rng.permutation(len(chosen))]

    def batch(
        self, size: int, split: str = "train", seed: int = 0, balanced: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """A deterministic random batch of ``size`` distinct examples as torch tensors.

        The same ``(size, split, seed, balanced)`` always gives the same batch. With
        ``balanced`` every class present in the split gets ``size // num_present`` examples
        (the remainder goes to randomly chosen classes; a class with too few examples gives
        its share to the others), as zero-cost proxies such as GraSP expect. Returns
        ``(x, y)``: float32 inputs and int64 labels, in random order.
        """
        torch = require("torch", "torch")
        idx = self.sample_indices(size, split, seed, balanced)
        x, y = self.split(split)
        return torch.from_numpy(x[idx]), torch.from_numpy(y[idx])

    def loader(
        self, split: str, batch_size: int, shuffle: bool, seed: int = 0
    ) -> torch.utils.data.DataLoader:
        """A torch ``DataLoader`` over ``split`` (in-process, no worker processes).

        With ``shuffle`` the order comes from a generator seeded with ``seed``: a new loader
        with the same seed yields the same batches, and successive epochs of one loader
        differ from each other in a reproducible way.
        """
        torch = require("torch", "torch")
        from torch.utils.data import DataLoader, TensorDataset

        batch_size = _check_count(batch_size, "batch_size")
        x, y = self.split(split)
        generator = torch.Generator()
        generator.manual_seed(_check_seed(seed))
        return DataLoader(
            TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
            batch_size=batch_size,
            shuffle=bool(shuffle),
            generator=generator,
            num_workers=0,
        )
