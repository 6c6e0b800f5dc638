"""Shared fixtures: synthetic records (:mod:`helpers`), one torch thread for every test and the
``ray`` marker's skip."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from helpers import synthetic_records
from nasperf.records import Record


@pytest.fixture
def records() -> list[Record]:
    return synthetic_records()


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Every test runs with one torch thread (restored after the session).

    The tests' models are tiny: one thread is fastest for them, and several spin-wait against
    each other on a shared machine (a test that took 8.5 s alone took far longer in a suite).
    """
    if importlib.util.find_spec("torch") is None:
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``ray`` start Ray: skip them, with the reason, where the extra is missing."""
    if importlib.util.find_spec("ray") is not None:
        return
    skip = pytest.mark.skip(reason="needs the ray extra (pip install 'nasperf[ray]')")
    for item in items:
        if item.get_closest_marker("ray") is not None:
            item.add_marker(skip)
