"""Shared fixtures: synthetic records (:mod:`helpers`), one torch thread for every test, the
``ray`` marker's skip and the ``slow`` mark of the tests listed in ``slow_tests.txt``."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

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


#: tests measured at more than a few seconds on an idle 2-core machine (``make test-slow``
#: runs them, CI's second step); one pytest node id per line, ``#`` comments
SLOW_LIST = Path(__file__).with_name("slow_tests.txt")


def _slow_ids() -> set[str]:
    lines = SLOW_LIST.read_text().splitlines() if SLOW_LIST.is_file() else []
    return {line.split("#")[0].strip() for line in lines} - {""}


@pytest.hookimpl(tryfirst=True)  # before -m selects on the marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the listed tests ``slow``; tests marked ``ray`` start Ray: skip them, with the
    reason, where the extra is missing."""
    slow = _slow_ids()
    for item in items:
        if item.nodeid in slow:
            item.add_marker(pytest.mark.slow)
    if importlib.util.find_spec("ray") is not None:
        return
    skip = pytest.mark.skip(reason="needs the ray extra (pip install 'nasperf[ray]')")
    for item in items:
        if item.get_closest_marker("ray") is not None:
            item.add_marker(skip)
