"""Shared fixtures: synthetic records, the real data under NASPERF_DATA (skipped if absent),
one torch thread for every test and the ``ray`` marker's skip."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from nasperf.records import Record


def _data_root() -> Path | None:
    value = os.environ.get("NASPERF_DATA")
    return Path(value) if value else None


def needs_data(relative: str):  # noqa: ANN201 - a pytest mark
    """Skip a test, with a reason, unless NASPERF_DATA/relative exists."""
    root = _data_root()
    ok = root is not None and (root / relative).is_file()
    reason = (
        "NASPERF_DATA is not set; set it to ../shared/data to run the real-data tests"
        if root is None
        else f"{root / relative} is missing"
    )
    return pytest.mark.skipif(not ok, reason=reason)


def synthetic_records(n: int = 120, d: int = 8, seed: int = 0, noise: float = 0.1) -> list[Record]:
    """Records with a feature vector and a target that is a smooth function of it.

    Each also has 10-epoch learning curves (``val_acc`` as a fraction, ``val_loss``,
    ``train_loss``) that rise towards a level increasing with the target, with a little noise.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = 2.0 * x[:, 0] - x[:, 1] + 0.5 * x[:, 2] ** 2 + noise * rng.normal(size=n)
    level = 0.25 + 0.7 / (1.0 + np.exp(-y / 2.0))
    t = np.arange(1, 11, dtype=np.float64)
    out = []
    for i in range(n):
        acc = level[i] - (level[i] - 0.1) * t**-0.7 + 0.003 * rng.normal(size=10)
        curves = {
            "val_acc": acc,
            "val_loss": 2.3 * (1.0 - acc),
            "train_loss": 2.3 * (1.0 - acc) - 0.05 + 0.003 * rng.normal(size=10),
        }
        out.append(
            Record(
                arch=i,
                space="custom",
                target=float(y[i]),
                features=x[i],
                scores={"s": float(x[i, 0])},
                curves=curves,
            )
        )
    return out


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
