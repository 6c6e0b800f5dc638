"""The tabular curve evaluator: runs brought to an epoch from a benchmark's curves, in simulated
time (the recorded per-epoch cost), continuing where they stopped."""

from __future__ import annotations

import numpy as np
import pytest

from nasperf.benchmarks import TabularBenchmark, load_benchmark
from nasperf.exceptions import ConfigurationError, InvalidArchitectureError
from nasperf.predictors.learning_curve import ARCH_COLUMNS
from nasperf.records import Record
from nasperf.search import CurveEvaluator, Run, TabularCurveEvaluator
from nasperf.spaces import get_space


@pytest.fixture(scope="module")
def bench():  # noqa: ANN201
    return load_benchmark("nb201-digits")


@pytest.fixture(scope="module")
def archs(bench) -> list:  # noqa: ANN001
    return [r.arch for r in bench.records()]


def untimed(epochs: int = 6) -> TabularBenchmark:
    """Three candidates with curves but no recorded time (nor total cost)."""
    recs = [
        Record(arch=f"c{i}", space="custom", target=50.0 + i,
               curves={"val_acc": np.linspace(10, 50 + i, epochs), "train_loss": np.ones(epochs)},
               scores={"params_m": 0.1 * (i + 1), "proxy": float(i)})
        for i in range(3)
    ]  # fmt: skip
    return TabularBenchmark("untimed", "custom", "final", recs, max_fidelity=epochs)


def test_it_is_a_curve_evaluator_over_the_benchmark(bench) -> None:  # noqa: ANN001
    ev = TabularCurveEvaluator(bench)
    assert isinstance(ev, CurveEvaluator)
    assert ev.max_epochs == bench.max_fidelity == 30 and ev.space == bench.space == "nb201"
    assert (ev.epochs_used, ev.seconds_used) == (0, 0.0)


def test_a_benchmark_without_curves_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="no learning curves"):
        TabularCurveEvaluator(load_benchmark("nbgraph-cora"))


def test_a_run_starts_empty_and_is_kept(bench, archs) -> None:  # noqa: ANN001
    ev = TabularCurveEvaluator(bench)
    run = ev.run(archs[0])
    assert isinstance(run, Run) and run.epochs == 0 and run.arch == archs[0]
    assert run.space == "nb201" and ev.run(archs[0]) is run
    assert ev.epochs_used == 0  # looking at a run trains nothing


def test_advance_reads_the_curves_up_to_the_epoch(bench, archs) -> None:  # noqa: ANN001
    ev = TabularCurveEvaluator(bench)
    a, b = archs[:2]
    out = ev.advance([(a, 5), (b, 12)])
    assert out == [ev.run(a), ev.run(b)]  # in job order
    rec = bench.query(a)
    assert out[0].epochs == 5
    for name, values in rec.curves.items():
        np.testing.assert_array_equal(out[0].curves[name], values[:5])
    assert out[1].epochs == 12 and out[1].last == bench.metric(b, 12)
    # the run carries the record's architecture columns only, not its proxies or test accuracy
    assert set(out[0].scores) == set(ARCH_COLUMNS) & set(rec.scores)
    assert all(out[0].scores[k] == rec.scores[k] for k in out[0].scores)
    assert ev.epochs_used == 5 + 12
    assert ev.seconds_used == pytest.approx(bench.cost(a, 5) + bench.cost(b, 12))


def test_continuing_charges_only_the_new_epochs(bench, archs) -> None:  # noqa: ANN001
    a = archs[3]
    ev = TabularCurveEvaluator(bench)
    ev.advance([(a, 4)])
    ev.advance([(a, 10)])
    assert ev.epochs_used == 10 and ev.run(a).epochs == 10
    assert ev.seconds_used == pytest.approx(bench.cost(a, 10))
    # the recorded per-epoch times: epochs 5..10 cost their own times, not 6/10 of the total
    times = bench.query(a).curves["epoch_time"]
    assert bench.cost(a, 10) - bench.cost(a, 4) == pytest.approx(float(np.sum(times[4:10])))
    ev.advance([(a, 30)])
    assert ev.seconds_used == pytest.approx(bench.cost(a))
    assert ev.run(a).last == bench.metric(a) == ev.true_final(a)


def test_a_run_already_there_costs_nothing_and_is_not_cut(bench, archs) -> None:  # noqa: ANN001
    a = archs[5]
    ev = TabularCurveEvaluator(bench)
    ev.advance([(a, 8)])
    spent = (ev.epochs_used, ev.seconds_used)
    (run,) = ev.advance([(a, 3)])
    assert run.epochs == 8  # asking for fewer epochs keeps what was trained
    ev.advance([(a, 8), (a, 8)])
    assert (ev.epochs_used, ev.seconds_used) == spent


@pytest.mark.parametrize("epoch", [0, -1, 31])
def test_epochs_outside_the_run_are_refused_before_any_training(bench, archs, epoch) -> None:  # noqa: ANN001
    ev = TabularCurveEvaluator(bench)
    with pytest.raises(ConfigurationError, match="outside 1..30"):
        ev.advance([(archs[0], 5), (archs[1], epoch)])
    assert ev.epochs_used == 0 and ev.run(archs[0]).epochs == 0


def test_an_unknown_candidate_is_an_error(bench, archs) -> None:  # noqa: ANN001
    known = set(archs)
    absent = next(a for a in get_space("nb201").all_archs() if a not in known)
    ev = TabularCurveEvaluator(bench)
    with pytest.raises(InvalidArchitectureError, match="not a candidate"):
        ev.advance([(absent, 2)])
    assert ev.epochs_used == 0


def test_without_recorded_time_an_epoch_costs_one_unit() -> None:
    ev = TabularCurveEvaluator(untimed())
    ev.advance([("c0", 2), ("c1", 6)])
    ev.advance([("c0", 5)])
    assert ev.epochs_used == 5 + 6 and ev.seconds_used == pytest.approx(11.0)
    assert ev.run("c0").scores == {"params_m": 0.1}  # "proxy" is not an architecture column
    assert ev.true_final("c1") == 51.0


def test_another_curve_can_stand_for_the_validation_accuracy() -> None:
    ev = TabularCurveEvaluator(untimed(), curve="train_loss")
    (run,) = ev.advance([("c2", 4)])
    np.testing.assert_array_equal(run.curves["val_acc"], np.ones(4))
    assert run.last == 1.0  # what the searches and rules read
