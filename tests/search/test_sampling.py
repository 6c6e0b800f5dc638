"""sample_and_estimate's choices, with stand-in executor and backend (no training)."""

from __future__ import annotations

import numpy as np
import pytest

from nasperf.benchmarks import LiveBenchmarkConfig
from nasperf.exceptions import ConfigurationError
from nasperf.execution import TaskOutcome
from nasperf.predictors.training_based import FeatureHistorySettings
from nasperf.search import Backend, Event, sample_and_estimate
from nasperf.training import TrainConfig

FH = FeatureHistorySettings(epochs=2, probe_size=64)

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


class StandInBackend(Backend):
    """Full runs of 30 epochs whose curve is the candidate's final value throughout."""

    max_epochs = 30
    space = "nb201"

    def __init__(self) -> None:
        super().__init__()
        self.trained: list[str] = []
        self._jobs: list[tuple[str, int]] = []

    def submit(self, arch, upto) -> None:  # noqa: ANN001
        self.trained.append(arch)
        self._jobs.append((arch, upto))

    def next_event(self) -> Event:
        arch, upto = self._jobs.pop(0)
        run = self.run(arch)
        have = run.epochs
        run.curves = {"val_acc": np.full(upto, FINALS[arch])}
        return Event(arch, upto - have)


def test_top_k_by_estimate_and_the_best_of_them() -> None:
    config = LiveBenchmarkConfig(dataset="digits", train=TrainConfig(epochs=30))
    backend = StandInBackend()
    found = sample_and_estimate(
        config, list(ESTIMATES), StandInExecutor(), backend, FeatureHistorySettings(epochs=2)
    )
    assert backend.trained == ["b", "d"]  # the two best estimates; the failed cell skipped
    assert (found.best_arch, found.best_value) == ("d", 97.5)
    assert [r["arch"] for r in found.estimates] == list(ESTIMATES)  # in the sampled order
    failed = found.estimates[2]
    assert failed["status"] == "failed" and "worker died" in failed["reason"]
    with pytest.raises(ConfigurationError, match="top_k"):
        sample_and_estimate(config, list(ESTIMATES), StandInExecutor(), backend, top_k=0)
    with pytest.raises(ConfigurationError, match="longer than a full run"):
        sample_and_estimate(
            config, list(ESTIMATES), StandInExecutor(), backend, FeatureHistorySettings(epochs=31)
        )


@pytest.mark.ray
def test_estimates_on_ray_equal_those_on_the_process_pool() -> None:
    """Issue 6: the short-budget estimates run in parallel on either executor, alike."""
    from nasperf.benchmarks import select_cells
    from nasperf.execution import LocalExecutor, RayExecutor
    from nasperf.search import estimate_cells

    config = LiveBenchmarkConfig(
        dataset="digits", C=4, N=1, train=TrainConfig(epochs=3, batch_size=64), proxies=()
    )
    archs = select_cells("nb201", 15625, 7)[:3]
    with LocalExecutor(workers=2) as pool:
        local = estimate_cells(config, archs, pool, FH, seed=5)
    with RayExecutor(workers=2) as ray:
        remote = estimate_cells(config, archs, ray, FH, seed=5)
    assert [r["status"] for r in local] == ["ok"] * 3
    for a, b in zip(local, remote, strict=True):
        assert a["arch"] == b["arch"]
        assert a["estimate"] == b["estimate"] and a["variants"] == b["variants"]
        assert a["network_val_acc"] == b["network_val_acc"]


def makespan(costs: list[float], workers: int) -> float:
    """When the last of ``costs`` ends, run in order, each on the first worker to be free."""
    free = [0.0] * workers
    for cost in costs:
        k = free.index(min(free))
        free[k] += cost
    return max(free)


def test_sample_and_estimate_on_a_table_in_simulated_time() -> None:
    from nasperf.benchmarks import load_benchmark
    from nasperf.predictors import make_predictor
    from nasperf.search import TabularBackend, permuted, sample_and_estimate_curves

    bench = load_benchmark("nb201-digits")
    archs = list(permuted([r.arch for r in bench.records()], 0))[:20]
    found = sample_and_estimate_curves(TabularBackend(bench), archs, 2, 2, "sotl-e", 2)
    scores = make_predictor("sotl-e", fidelity=2).fit([]).predict([bench.query(a) for a in archs])
    top = [archs[i] for i in np.argsort(-scores, kind="stable")[:2]]
    assert set(found.finals) == set(top)
    assert found.best_value == max(bench.query(a).target for a in top)
    assert found.estimate_seconds == pytest.approx(makespan([bench.cost(a, 2) for a in archs], 2))
    # the top two continue from epoch 2 on the two workers: the longer of their remainders
    rest = [bench.cost(a) - bench.cost(a, 2) for a in top]
    assert found.train_seconds == pytest.approx(max(rest))
    with pytest.raises(ConfigurationError, match="learns from fully trained curves"):
        sample_and_estimate_curves(TabularBackend(bench), archs, 2, 2, "lcsvr")
    with pytest.raises(ConfigurationError, match="short budget"):
        sample_and_estimate_curves(TabularBackend(bench), archs, 30)


class FearStandIn:
    """Stands in for the workers of FEAR estimates: stage-1 seconds scripted per cell, the
    time limit applied as a worker applies it; reference cells reach 20, 30, ... percent."""

    workers = 1
    STAGE1 = {"a": 3.0, "b": 10.0, "c": 13.0, "d": 1.0, "e": 4.5, "f": 3.9}

    def __init__(self) -> None:
        self.limits: list[float | None] = []
        self.thresholds: list[float | None] = []

    def map_unordered(self, fn, items, *, retries=1):  # noqa: ANN001
        from nasperf.search.backends import first_epoch_accuracy as _first_epoch

        for i, task in enumerate(list(items)):
            if fn is _first_epoch:
                yield TaskOutcome(task, 20.0 + 10.0 * i, None, 1)
                continue
            self.limits.append(task.time_limit)
            self.thresholds.append(task.threshold)
            t = self.STAGE1[task.arch]
            late = task.time_limit is not None and t > task.time_limit
            row = {"arch": task.arch, "estimate": None if late else 50.0 + t,
                   "status": "dropped" if late else "ok", "stage1_seconds": t,
                   "reached": True}  # fmt: skip
            yield TaskOutcome(task, row, None, 1)


def test_fear_time_ratio_rule_in_the_live_estimate_backend() -> None:
    from nasperf.predictors.training_based import FearSettings
    from nasperf.search import LiveEstimateBackend, RandomSearch, run_search

    config = LiveBenchmarkConfig(dataset="digits", train=TrainConfig(epochs=30))
    executor = FearStandIn()
    backend = LiveEstimateBackend(config, executor, FearSettings(), seed=0, time_ratio=4.0)
    run_search(RandomSearch(list(FearStandIn.STAGE1)), backend, workers=1)
    # calibrated once from five reference cells (20..60%): the 0.9 quantile, 56%
    assert executor.thresholds == [pytest.approx(0.56)] * 6
    # the limit each task got: none, 4x3 s until the 1 s cell, then 4x1 s
    assert executor.limits == [None, 12.0, 12.0, 12.0, 4.0, 4.0]
    status = {a: r["status"] for a, r in backend.rows.items()}
    assert status == {"a": "ok", "b": "ok", "c": "dropped", "d": "ok", "e": "dropped", "f": "ok"}
    # a result slower than the limit when it arrives (sent before the limit fell) is dropped
    backend._apply("g", 1, {"arch": "g", "estimate": 80.0, "stage1_seconds": 4.2,
                            "reached": True, "status": "ok"})  # fmt: skip
    assert backend.rows["g"]["status"] == "dropped" and backend.rows["g"]["estimate"] is None
    with pytest.raises(ConfigurationError, match="FEAR's rule"):
        LiveEstimateBackend(config, executor, FH, time_ratio=4.0)
