"""Successive halving on live training: runs are promoted by continuing their checkpoints."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from nasperf.benchmarks import LiveBenchmarkConfig  # noqa: E402
from nasperf.execution import LocalExecutor  # noqa: E402
from nasperf.search import (  # noqa: E402
    LiveCurveEvaluator,
    MedianRule,
    random_search,
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
        space="nb201", dataset="digits", cells=3, C=4, N=1, limit=200,
        train=TrainConfig(epochs=3, batch_size=64), proxies=(),
    )


def test_live_successive_halving_continues_promoted_runs(tmp_path) -> None:
    with LocalExecutor(workers=2) as ex:
        ev = LiveCurveEvaluator(config(), ex, tmp_path / "runs")
        res = successive_halving(ev, ARCHS, n=3, min_epochs=1, eta=3)
        assert ev.epochs_used == 3 * 1 + 1 * 2 and res.completed == 1
        winner = ev.run(res.best_arch)
        assert winner.epochs == 3 and np.isfinite(winner.curves["val_acc"]).all()
        assert winner.scores["params_m"] > 0
        # the same seed trained straight to the end gives the same curve
        with LocalExecutor(workers=1) as ex1:
            fresh = LiveCurveEvaluator(config(), ex1, tmp_path / "fresh")
            again = random_search(fresh, [res.best_arch])
        np.testing.assert_allclose(
            fresh.run(again.best_arch).curves["val_acc"], winner.curves["val_acc"]
        )
        # a rule on live runs: nothing to learn from yet, so nothing is stopped
        ev2 = LiveCurveEvaluator(config(), ex, tmp_path / "rule")
        res2 = random_search(ev2, ARCHS[:1], rule=MedianRule(checkpoints=[1]))
        assert res2.stopped == 0 and res2.completed == 1


def test_checkpoints_left_by_an_earlier_search_count_only_what_is_asked(tmp_path, caplog) -> None:
    with LocalExecutor(workers=1) as ex:
        first = LiveCurveEvaluator(config(), ex, tmp_path / "runs")
        first.advance([(ARCHS[0], 3)])  # finished: its checkpoint holds 3 epochs
        again = LiveCurveEvaluator(config(), ex, tmp_path / "runs")
        with caplog.at_level("WARNING"):
            (run,) = again.advance([(ARCHS[0], 1)])
        assert run.epochs == 1 and again.epochs_used == 1  # not the 3 the checkpoint holds
        assert "already holds 3 epochs" in caplog.text
        again.advance([(ARCHS[0], 2)])
        assert again.epochs_used == 2
