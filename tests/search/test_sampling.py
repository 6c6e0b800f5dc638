"""sample_and_estimate's choices, with stand-in executor and evaluator (no training)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from nasperf.benchmarks import LiveBenchmarkConfig
from nasperf.exceptions import ConfigurationError
from nasperf.search import Run, sample_and_estimate
from nasperf.search.executors import TaskOutcome

ESTIMATES = {"a": 70.0, "b": 95.0, "c": None, "d": 90.0, "e": 80.0}  # c fails
FINALS = {"a": 90.0, "b": 96.0, "d": 97.5, "e": 99.0}


class StandInExecutor:
    workers = 2

    def map_unordered(self, fn, items, *, retries=1):
        for task in reversed(list(items)):  # finishing order must not matter
            est = ESTIMATES[task.arch]
            if est is None:
                yield TaskOutcome(task, None, "RuntimeError: worker died", retries + 1)
            else:
                yield TaskOutcome(task, {"arch": task.arch, "estimate": est}, None, 1)


class StandInEvaluator:
    max_epochs = 30
    seconds_used = 0.0

    def __init__(self) -> None:
        self.trained: list[str] = []

    def advance(self, jobs):
        self.trained += [a for a, _ in jobs]
        return [Run(a, "nb201", {"val_acc": np.array([FINALS[a]])}) for a, _ in jobs]


def test_top_k_by_estimate_and_the_best_of_them() -> None:
    config = LiveBenchmarkConfig(dataset="digits", epochs=30)
    evaluator = StandInEvaluator()
    found = sample_and_estimate(config, list(ESTIMATES), StandInExecutor(), evaluator, 2)
    assert evaluator.trained == ["b", "d"]  # the two best estimates; the failed cell skipped
    assert (found.best_arch, found.best_value) == ("d", 97.5)
    assert [r["arch"] for r in found.estimates] == list(ESTIMATES)  # in the sampled order
    failed = found.estimates[2]
    assert failed["status"] == "failed" and "worker died" in failed["reason"]
    with pytest.raises(ConfigurationError, match="top_k"):
        sample_and_estimate(config, list(ESTIMATES), StandInExecutor(), evaluator, 2, top_k=0)
    with pytest.raises(ConfigurationError, match="longer than a full run"):
        sample_and_estimate(config, list(ESTIMATES), StandInExecutor(), evaluator, 31)


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs the ray extra")
def test_estimates_on_ray_equal_those_on_the_process_pool() -> None:
    """Issue 6: the short-budget estimates run in parallel on either executor, alike."""
    from nasperf.benchmarks._proxy_table import select_cells
    from nasperf.search import estimate_cells
    from nasperf.search.executors import LocalExecutor, RayExecutor

    config = LiveBenchmarkConfig(dataset="digits", epochs=3, C=4, N=1, batch_size=64, proxies=())
    archs = select_cells("nb201", 15625, 7)[:3]
    with LocalExecutor(workers=2) as pool:
        local = estimate_cells(config, archs, pool, epochs=2, seed=5, probe_size=64)
    with RayExecutor(workers=2) as ray:
        remote = estimate_cells(config, archs, ray, epochs=2, seed=5, probe_size=64)
    assert [r["status"] for r in local] == ["ok"] * 3
    for a, b in zip(local, remote, strict=True):
        assert a["arch"] == b["arch"]
        assert a["estimate"] == b["estimate"] and a["variants"] == b["variants"]
        assert a["network_val_acc"] == b["network_val_acc"]
