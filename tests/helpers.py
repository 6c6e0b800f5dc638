"""What the tests share beyond fixtures: the real data under NASPERF_DATA (skipped, with the
reason, if absent) and synthetic records. Imported as ``from helpers import ...`` (a conftest is
no module to import: each test folder may have its own)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from nasperf.records import Record

__all__ = ["needs_data", "synthetic_records"]


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
