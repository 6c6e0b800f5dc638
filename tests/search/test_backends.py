"""The tabular backend: runs brought to an epoch from a benchmark's curves through an event
queue in simulated time (the recorded per-epoch cost), continuing where they stopped."""

from __future__ import annotations

import numpy as np
import pytest

from nasperf.benchmarks import TabularBenchmark, load_benchmark
from nasperf.exceptions import ConfigurationError, InvalidArchitectureError
from nasperf.predictors.learning_curve import ARCH_COLUMNS
from nasperf.records import Record
from nasperf.search import Backend, Event, Run, TabularBackend
from nasperf.spaces import get_space


def untimed(epochs: int = 6) -> TabularBenchmark:
    """Three candidates with curves but no recorded time (nor total cost)."""
    recs = [
        Record(arch=f"c{i}", space="custom", target=50.0 + i,
               curves={"val_acc": np.linspace(10, 50 + i, epochs), "train_loss": np.ones(epochs)},
               scores={"params_m": 0.1 * (i + 1), "proxy": float(i)})
        for i in range(3)
    ]  # fmt: skip
    return TabularBenchmark("untimed", "custom", "final", recs, max_fidelity=epochs)


def bring(backend: TabularBackend, jobs: list) -> list[Event]:
    """Submit every ``(arch, epoch)`` at once; the events in the order they end."""
    for arch, upto in jobs:
        backend.submit(arch, upto)
    return [backend.next_event() for _ in jobs]


def test_it_is_a_backend_over_the_benchmark(bench) -> None:  # noqa: ANN001
    backend = TabularBackend(bench)
    assert isinstance(backend, Backend)
    assert backend.max_epochs == bench.max_fidelity == 30 and backend.space == "nb201"
    assert backend.now == 0.0 and backend.archs() == [r.arch for r in bench.records()]


def test_a_benchmark_without_curves_answers_queries_with_its_final_value() -> None:
    bench = load_benchmark("nbgraph-cora")
    backend = TabularBackend(bench)
    assert backend.max_epochs == 1
    arch = backend.archs()[7]
    (event,) = bring(backend, [(arch, 1)])
    assert event == Event(arch, 1) and backend.run(arch).last == bench.query(arch).target
    assert backend.test_value(arch) == bench.query(arch).scores["test_acc"]
    with pytest.raises(ConfigurationError, match="no learning curves"):
        TabularBackend(bench, curve="train_loss")


def test_a_run_starts_empty_and_is_kept(bench, archs) -> None:  # noqa: ANN001
    backend = TabularBackend(bench)
    run = backend.run(archs[0])
    assert isinstance(run, Run) and run.epochs == 0 and run.arch == archs[0]
    assert run.space == "nb201" and backend.run(archs[0]) is run


def test_segments_end_in_simulated_time_and_read_the_curves(bench, archs) -> None:  # noqa: ANN001
    backend = TabularBackend(bench)
    a, b = archs[:2]
    events = bring(backend, [(b, 12), (a, 5)])
    first = min((a, 5), (b, 12), key=lambda j: bench.cost(j[0], j[1]))
    assert events[0].arch == first[0] and events[0].epochs == first[1]
    assert backend.now == pytest.approx(max(bench.cost(a, 5), bench.cost(b, 12)))
    rec = bench.query(a)
    run = backend.run(a)
    assert run.epochs == 5
    for name, values in rec.curves.items():
        np.testing.assert_array_equal(run.curves[name], values[:5])
    assert backend.run(b).epochs == 12 and backend.run(b).last == bench.metric(b, 12)
    # the run carries the record's architecture columns only, not its proxies or test accuracy
    assert set(run.scores) == set(ARCH_COLUMNS) & set(rec.scores)


def test_a_segment_is_not_seen_before_it_ends(bench, archs) -> None:  # noqa: ANN001
    backend = TabularBackend(bench)
    backend.submit(archs[0], 30)
    assert backend.run(archs[0]).epochs == 0  # the future is not visible
    backend.next_event()
    assert backend.run(archs[0]).epochs == 30


def test_continuing_charges_only_the_new_epochs(bench, archs) -> None:  # noqa: ANN001
    a = archs[3]
    backend = TabularBackend(bench)
    bring(backend, [(a, 4)])
    (event,) = bring(backend, [(a, 10)])
    assert event.epochs == 6 and backend.run(a).epochs == 10
    assert backend.now == pytest.approx(bench.cost(a, 10))
    times = bench.query(a).curves["epoch_time"]
    assert bench.cost(a, 10) - bench.cost(a, 4) == pytest.approx(float(np.sum(times[4:10])))
    bring(backend, [(a, 30)])
    assert backend.now == pytest.approx(bench.cost(a))
    assert backend.run(a).last == bench.metric(a) == backend.true_final(a)


@pytest.mark.parametrize("epoch", [0, -1, 31])
def test_epochs_outside_the_run_are_refused(bench, archs, epoch) -> None:  # noqa: ANN001
    backend = TabularBackend(bench)
    with pytest.raises(ConfigurationError, match="outside 1..30"):
        backend.submit(archs[1], epoch)


def test_an_unknown_candidate_is_an_error(bench, archs) -> None:  # noqa: ANN001
    known = set(archs)
    absent = next(a for a in get_space("nb201").all_archs() if a not in known)
    backend = TabularBackend(bench)
    assert not backend.contains(absent) and backend.contains(archs[0])
    with pytest.raises(InvalidArchitectureError, match="not a candidate"):
        bring(backend, [(absent, 2)])


def test_without_recorded_time_an_epoch_costs_one_unit() -> None:
    backend = TabularBackend(untimed())
    bring(backend, [("c0", 2), ("c1", 6)])
    assert backend.now == pytest.approx(6.0)  # both ran at once
    bring(backend, [("c0", 5)])
    assert backend.now == pytest.approx(9.0)
    assert backend.run("c0").scores == {"params_m": 0.1}  # "proxy" is not an architecture column
    assert backend.true_final("c1") == 51.0 and backend.test_value("c1") is None


def test_another_curve_can_stand_for_the_validation_accuracy() -> None:
    backend = TabularBackend(untimed(), curve="train_loss")
    bring(backend, [("c2", 4)])
    run = backend.run("c2")
    np.testing.assert_array_equal(run.curves["val_acc"], np.ones(4))
    assert run.last == 1.0  # what the schedulers and rules read


def test_a_short_or_diverged_curve_is_a_failed_segment() -> None:
    recs = [
        Record(arch="short", space="custom", target=1.0, curves={"val_acc": np.ones(3)}),
        Record(arch="nan", space="custom", target=1.0,
               curves={"val_acc": np.array([1.0, np.nan, np.nan, np.nan])}),
    ]  # fmt: skip
    backend = TabularBackend(TabularBenchmark("ragged", "custom", "final", recs, max_fidelity=4))
    events = bring(backend, [("short", 4), ("nan", 2)])
    assert {e.arch: e.error is not None for e in events} == {"short": True, "nan": True}
    assert "holds 3 epochs" in next(e.error for e in events if e.arch == "short")
