"""The White et al. protocol on synthetic benchmarks: splits, determinism, errors, outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers import synthetic_records
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
    ],
)
def test_impossible_settings(bench, cfg: ProtocolConfig, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        evaluate_predictors(bench, {"spy": Spy()}, cfg)


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"trials": 0}, "trials must be an integer >= 1, got 0"),
        ({"test_size": 1}, "test_size must be an integer >= 2"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"train_sizes": ()}, "train_sizes must be one or more whole numbers >= 0"),
        ({"fidelities": (0,)}, "fidelities must be whole numbers of epochs >= 1"),
    ],
)
def test_bad_settings_are_refused_when_the_config_is_made(settings: dict, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ProtocolConfig(**{"train_sizes": (10,), **settings})


def test_a_column_baseline_is_scored_on_its_own_coverage() -> None:
    recs = synthetic_records(100)
    for r in recs[:40]:
        r.scores = {}
    bench = TabularBenchmark("partial", "custom", "y", recs)
    Spy.seen = []
    res = evaluate_predictors(
        bench,
        {"col": ColumnBaseline("s"), "spy": Spy()},
        ProtocolConfig(train_sizes=(5,), test_size=50, trials=1),
    )
    # the trained predictor is not restricted to the cells the column covers
    assert res.pool_sizes == {"col": 60, "spy": 100} and res.pool_size == 100
    train, test, _ = Spy.seen[0]
    assert any(a < 40 for a in [*train, *test])
    assert {r["predictor"]: r["pool_size"] for r in res.rows} == res.pool_sizes
    summary = res.summary()
    assert dict(zip(summary["predictor"], summary["pool_size"], strict=True)) == res.pool_sizes


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


def test_a_full_column_scores_the_same_alone_and_beside_a_partial_one() -> None:
    recs = synthetic_records(200)
    for i, r in enumerate(recs):
        r.scores = {"full": r.scores["s"], **({"part": -r.target} if i % 3 else {})}
    bench = TabularBenchmark("mixed", "custom", "y", recs)
    cfg = ProtocolConfig(train_sizes=(0,), test_size=None, trials=2)
    alone = evaluate_predictors(bench, {"col:full": ColumnBaseline("full")}, cfg)
    paired = evaluate_predictors(
        bench, {"col:full": ColumnBaseline("full"), "col:part": ColumnBaseline("part")}, cfg
    )
    assert paired.pool_sizes == {"col:full": 200, "col:part": 133}
    full = paired.frame().query("predictor == 'col:full'").reset_index(drop=True)
    drop = ["fit_time", "query_time"]
    assert full.drop(columns=drop).equals(alone.frame().drop(columns=drop))


@pytest.mark.parametrize(
    "name, strip, message",
    [
        ("col:nope", None, "synthetic has no column 'nope'; col:nope needs it"),
        ("col:-ss", None, "did you mean 's'?"),
        ("sotl", "train_loss", "synthetic records no train_loss curve; sotl needs it"),
        ("early-stop-acc", "val_acc", "records no val_acc curve; early-stop-acc needs it"),
    ],
)
def test_what_a_predictor_lacks_is_named(name: str, strip: str | None, message: str) -> None:
    from nasperf.exceptions import MissingRequirementError
    from nasperf.predictors import make_predictor

    recs = synthetic_records(60)
    for r in recs:
        r.curves = {k: v for k, v in r.curves.items() if k != strip}
    bench = TabularBenchmark("synthetic", "custom", "y", recs)
    cfg = ProtocolConfig(train_sizes=(0,), test_size=20, trials=1)
    with pytest.raises(MissingRequirementError, match=message.replace("?", r"\?")):
        evaluate_predictors(bench, {name: make_predictor(name)}, cfg)


def test_a_fidelity_past_the_curves_is_named(bench) -> None:
    from nasperf.evaluation import missing_cause
    from nasperf.predictors import make_predictor

    req = make_predictor("early-stop-acc", fidelity=12).capabilities().requires
    assert missing_cause("es", req, bench.records(), "synthetic") == (
        "the val_acc curves of synthetic have at most 10 epochs; es reads 12"
    )


def test_a_negative_seed_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="seed must be an integer >= 0"):
        ProtocolConfig(train_sizes=(5,), seed=-1)
