"""The White et al. protocol on synthetic benchmarks: splits, determinism, errors, outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import synthetic_records
from nasperf.benchmarks import TabularBenchmark
from nasperf.evaluation import ProtocolConfig, evaluate_predictors, save_result
from nasperf.exceptions import ConfigurationError
from nasperf.predictors import ColumnBaseline, Predictor, Requirements
from nasperf.records import Record


class Spy(Predictor):
    """Records what it was trained and tested on."""

    seen: list = []

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def _requirements(self) -> Requirements:
        return Requirements()

    def _fit(self, records, y) -> None:  # noqa: ANN001
        self.train_ids_ = [r.arch for r in records]

    def _predict(self, records):  # noqa: ANN001
        Spy.seen.append((self.train_ids_, [r.arch for r in records], self.random_state))
        return np.array([r.features[0] for r in records])


@pytest.fixture
def bench() -> TabularBenchmark:
    return TabularBenchmark("synthetic", "custom", "y", synthetic_records(300))


def test_splits_disjoint_nested_and_seeded(bench) -> None:
    Spy.seen = []
    cfg = ProtocolConfig(train_sizes=(10, 40), test_size=50, trials=3, seed=7)
    res = evaluate_predictors(bench, {"spy": Spy()}, cfg)
    assert len(res.rows) == 6 and len(Spy.seen) == 6
    by_trial = [Spy.seen[i : i + 2] for i in range(0, 6, 2)]
    for (tr_small, te_small, rs_small), (tr_big, te_big, rs_big) in by_trial:
        assert len(te_small) == 50 and te_small == te_big
        assert len(tr_small) == 10 and len(tr_big) == 40 and tr_big[:10] == tr_small
        assert not set(tr_big) & set(te_big)
        assert rs_small == rs_big
    assert by_trial[0][0][1] != by_trial[1][0][1]  # trials differ
    assert by_trial[0][0][2] != by_trial[1][0][2]  # and get different predictor seeds
    Spy.seen = []
    again = evaluate_predictors(bench, {"spy": Spy()}, cfg)
    assert (
        again.frame()
        .drop(columns=["fit_time", "query_time"])
        .equals(res.frame().drop(columns=["fit_time", "query_time"]))
    )


def test_summary_and_files(bench, tmp_path) -> None:
    cfg = ProtocolConfig(train_sizes=(0, 20), test_size=100, trials=2, seed=0)
    res = evaluate_predictors(bench, {"col": ColumnBaseline("s")}, cfg)
    summ = res.summary()
    assert list(summ["train_size"]) == [0, 20]
    assert {"kendall_tau_mean", "kendall_tau_std", "fit_time_mean", "query_time_mean"} <= set(summ)
    assert (summ["kendall_tau_mean"] > 0.5).all()
    paths = save_result(res, tmp_path / "out")
    data = json.loads(paths["json"].read_text())
    assert data["config"]["trials"] == 2 and len(data["rows"]) == 4
    assert paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "plot.png",
        "result.json",
        "rows.csv",
        "summary.csv",
    ]


@pytest.mark.parametrize(
    "cfg, message",
    [
        (ProtocolConfig(train_sizes=(200,), test_size=200), "exceeds the 300"),
        (ProtocolConfig(train_sizes=(0,), test_size=10), "at least 2"),
        (ProtocolConfig(train_sizes=(10,), test_size=10, trials=0), "trials"),
        (ProtocolConfig(train_sizes=(10,), test_size=1), "test-size"),
    ],
)
def test_impossible_settings(bench, cfg: ProtocolConfig, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        evaluate_predictors(bench, {"spy": Spy()}, cfg)


def test_common_pool_for_partial_columns() -> None:
    recs = synthetic_records(100)
    for r in recs[:40]:
        r.scores = {}
    bench = TabularBenchmark("partial", "custom", "y", recs)
    res = evaluate_predictors(
        bench,
        {"col": ColumnBaseline("s"), "spy": Spy()},
        ProtocolConfig(train_sizes=(5,), test_size=50, trials=1),
    )
    assert res.pool_size == 60


def test_test_size_all(bench) -> None:
    Spy.seen = []
    res = evaluate_predictors(
        bench, {"spy": Spy()}, ProtocolConfig(train_sizes=(20,), test_size=None, trials=1)
    )
    assert len(Spy.seen[0][1]) == 280 and len(res.rows) == 1


def test_record_without_target_excluded() -> None:
    recs = synthetic_records(60) + [Record(arch="x", space="custom", features=np.zeros(8))]
    bench = TabularBenchmark("t", "custom", "y", recs)
    res = evaluate_predictors(
        bench, {"spy": Spy()}, ProtocolConfig(train_sizes=(5,), test_size=20, trials=1)
    )
    assert res.pool_size == 60
