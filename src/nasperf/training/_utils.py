"""Small torch helpers shared by the trainer and the callbacks."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from ..exceptions import ConfigurationError

__all__ = ["resolve_device", "seeded", "restore_modes", "model_device", "torch_threads"]


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch (CPU and every CUDA device), numpy's global and Python's ``random`` RNGs with
    ``seed`` inside the block, and restore all of them afterwards.

    Use it to make weight initialisation reproducible without disturbing the caller's RNGs:

    >>> with seeded(0):  # doctest: +SKIP
    ...     model = build_nb201_network(arch, C=16, N=5)
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigurationError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    py_state = random.getstate()
    np_state = np.random.get_state()
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed % 2**32)
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` torch intra-op threads (None: leave as is), then restore."""
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def restore_modes(model: nn.Module) -> Iterator[None]:
    """Restore the train/eval flag of every submodule of ``model`` when the block ends."""
    modes = [(module, module.training) for module in model.modules()]
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter; ConfigurationError if it has none."""
    param = next(model.parameters(), None)
    if param is None:
        raise ConfigurationError(
            f"{type(model).__name__} has no parameters to train; pass a model with parameters"
        )
    return param.device


def resolve_device(device: str | None = "auto") -> str:
    """The torch device to compute on: ``"auto"`` (or None) is ``"cuda"`` when a GPU is
    available, else ``"cpu"``; any other name must be one torch accepts and can use here."""
    if device is None or device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(device, str):
        raise ConfigurationError(f"device must be a string such as 'cpu' or 'cuda', got {device!r}")
    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise ConfigurationError(
            f"unknown device {device!r}; use auto, cpu, cuda or cuda:N"
        ) from exc
    if parsed.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (parsed.index or 0) >= count:
            raise ConfigurationError(
                f"device {device!r} is not available here ({count} CUDA device(s)); "
                "use --device cpu or auto"
            )
    elif parsed.type != "cpu":
        raise ConfigurationError(f"device {device!r} is not supported; use auto, cpu or cuda[:N]")
    return str(parsed)
