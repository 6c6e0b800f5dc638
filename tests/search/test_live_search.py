"""Schedulers on live training: runs are promoted by continuing their checkpoints, and the
jobs run on the executor's workers at once."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from nasperf.benchmarks import LiveBenchmarkConfig  # noqa: E402
from nasperf.execution import LocalExecutor  # noqa: E402
from nasperf.search import (  # noqa: E402
    ASHA,
    Event,
    Job,
    LiveBackend,
    MedianRule,
    TabularBackend,
    random_search,
    run_search,
    successive_halving,
)
from nasperf.training import TrainConfig  # noqa: E402

ARCHS = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|",
    "|none~0|+|none~0|none~1|+|none~0|none~1|avg_pool_3x3~2|",
    "|nor_conv_1x1~0|+|skip_connect~0|nor_conv_3x3~1|+|nor_conv_3x3~0|none~1|nor_conv_1x1~2|",
]


def config() -> LiveBenchmarkConfig:
    return LiveBenchmarkConfig(
        space="nb201",
        dataset="digits",
        cells=3,
        C=4,
        N=1,
        limit=200,
        train=TrainConfig(epochs=3, batch_size=64),
        proxies=(),
    )


def bring(backend: LiveBackend, arch: str, upto: int) -> Event:
    """Train ``arch`` to epoch ``upto`` on ``backend`` and wait for it."""
    backend.submit(arch, upto)
    return backend.next_event()


class Watched(ASHA):
    """ASHA that notes the most jobs it has had in flight at once."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.most = 0

    def suggest(self) -> Job | None:
        job = super().suggest()
        if job is not None:
            self.most = max(self.most, len(self.state.running) + 1)
        return job


def test_live_successive_halving_continues_promoted_runs(tmp_path) -> None:
    with LocalExecutor(workers=2) as ex:
        ev = LiveBackend(config(), ex, tmp_path / "runs")
        res = successive_halving(ev, ARCHS, n=3, min_epochs=1, eta=3, workers=ex.workers)
        assert res.epochs_used == 3 * 1 + 1 * 2 and res.completed == 1
        winner = ev.run(res.best_arch)
        assert winner.epochs == 3 and np.isfinite(winner.curves["val_acc"]).all()
        assert winner.scores["params_m"] > 0
        # the same seed trained straight to the end gives the same curve
        with LocalExecutor(workers=1) as ex1:
            fresh = LiveBackend(config(), ex1, tmp_path / "fresh")
            again = random_search(fresh, [res.best_arch])
        np.testing.assert_allclose(
            fresh.run(again.best_arch).curves["val_acc"], winner.curves["val_acc"]
        )
        # a rule on live runs: nothing to learn from yet, so nothing is stopped
        ev2 = LiveBackend(config(), ex, tmp_path / "rule")
        res2 = random_search(ev2, ARCHS[:1], rule=MedianRule(checkpoints=[1]))
        assert res2.stopped == 0 and res2.completed == 1


def test_checkpoints_left_by_an_earlier_search_count_only_what_is_asked(tmp_path, caplog) -> None:
    with LocalExecutor(workers=1) as ex:
        first = LiveBackend(config(), ex, tmp_path / "runs")
        bring(first, ARCHS[0], 3)  # finished: its checkpoint holds 3 epochs
        again = LiveBackend(config(), ex, tmp_path / "runs")
        with caplog.at_level("WARNING"):
            event = bring(again, ARCHS[0], 1)
        assert event == Event(ARCHS[0], 1)  # not the 3 the checkpoint holds
        assert again.run(ARCHS[0]).epochs == 1
        assert "already holds 3 epochs" in caplog.text
        assert bring(again, ARCHS[0], 2) == Event(ARCHS[0], 1)
        assert again.run(ARCHS[0]).epochs == 2


def test_live_asha_keeps_both_workers_busy_and_runs_as_on_a_table(tmp_path) -> None:
    """The same scheduler type on a table and live: two jobs in flight on two workers, a run
    promoted from its checkpoint, the budget kept."""
    from nasperf.benchmarks import load_benchmark

    bench = load_benchmark("nb201-digits")
    on_table = Watched(min_epochs=1, eta=3)
    res = run_search(on_table, TabularBackend(bench), workers=2, budget_epochs=200)
    assert on_table.most == 2 and res.completed >= 1 and res.epochs_used <= 200
    with LocalExecutor(workers=2) as ex:
        backend = LiveBackend(config(), ex, tmp_path / "runs")
        live = Watched(min_epochs=1, eta=3, candidates=ARCHS)
        try:
            res = run_search(live, backend, workers=ex.workers, budget_epochs=5)
        finally:
            backend.close()
    assert live.most == 2  # both workers busy
    # rung 1 (1 epoch) for the three candidates, the best continued to epoch 3
    assert res.epochs_used == 3 * 1 + 1 * 2 and res.jobs == 4 and res.completed == 1
    assert backend.run(res.best_arch).epochs == 3 and res.trace[-1].seconds == res.seconds_used
