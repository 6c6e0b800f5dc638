"""The benchmark contract (nasperf.benchmarks._base): the final and per-epoch metric, the cost
with and without recorded times, fidelity checks, and the in-memory TabularBenchmark's lookup
by any form its space parses."""

from __future__ import annotations

import numpy as np
import pytest

from nasperf.benchmarks import Benchmark, TabularBenchmark
from nasperf.exceptions import ConfigurationError, InvalidArchitectureError
from nasperf.records import Record
from nasperf.spaces import get_space

NB201 = get_space("nb201")
CELLS = NB201.all_archs()[100:104]  # canonical cell strings
EPOCHS = 4


def record(arch: object, i: int, **kwargs: object) -> Record:
    curves = {"val_acc": np.array([10.0, 20.0, 30.0, 40.0]) + i}
    curves.update(kwargs.pop("curves", {}))
    return Record(arch=arch, space="nb201", target=45.0 + i, curves=curves, **kwargs)


@pytest.fixture
def timed() -> TabularBenchmark:
    """Per-epoch times recorded (and a total cost that must not be used instead)."""
    recs = [
        record(a, i, curves={"epoch_time": np.array([1.0, 2.0, 3.0, 4.0]) * (i + 1)}, cost=99.0)
        for i, a in enumerate(CELLS)
    ]
    return TabularBenchmark("timed", "nb201", "final_val_acc", recs, max_fidelity=EPOCHS)


@pytest.fixture
def costed() -> TabularBenchmark:
    """Only a total training cost per candidate."""
    recs = [record(a, i, cost=8.0 * (i + 1)) for i, a in enumerate(CELLS)]
    return TabularBenchmark("costed", "nb201", "final_val_acc", recs, max_fidelity=EPOCHS)


@pytest.fixture
def untimed() -> TabularBenchmark:
    """No time at all."""
    recs = [record(a, i) for i, a in enumerate(CELLS)]
    return TabularBenchmark("untimed", "nb201", "final_val_acc", recs, max_fidelity=EPOCHS)


@pytest.fixture
def final_only() -> TabularBenchmark:
    """No learning curves: only final values (and one candidate without one)."""
    recs = [Record(arch=a, space="nb201", target=60.0 + i, cost=5.0) for i, a in enumerate(CELLS)]
    recs[3].target = None
    return TabularBenchmark("final", "nb201", "final_val_acc", recs)


# -- metric -------------------------------------------------------------------------------------
def test_metric_is_the_target_at_the_last_epoch_and_the_curve_before(timed) -> None:  # noqa: ANN001
    a = CELLS[1]
    assert timed.metric(a) == timed.metric(a, EPOCHS) == 46.0  # the target, not val_acc[-1] (41)
    assert [timed.metric(a, e) for e in (1, 2, 3)] == [11.0, 21.0, 31.0]
    assert isinstance(timed.metric(a, 2), float)


@pytest.mark.parametrize("fidelity", [0, -1, EPOCHS + 1])
def test_metric_and_cost_check_the_fidelity(timed, fidelity: int) -> None:  # noqa: ANN001
    with pytest.raises(ConfigurationError, match=f"fidelity {fidelity} is outside 1..4"):
        timed.metric(CELLS[0], fidelity)
    with pytest.raises(ConfigurationError, match="outside 1..4 for 'timed'"):
        timed.cost(CELLS[0], fidelity)


def test_a_benchmark_without_curves_has_only_final_values(final_only) -> None:  # noqa: ANN001
    assert final_only.max_fidelity is None
    assert final_only.metric(CELLS[2]) == 62.0
    with pytest.raises(ConfigurationError, match="has no learning curves"):
        final_only.metric(CELLS[2], 1)
    with pytest.raises(ConfigurationError, match="has no learning curves"):
        final_only.cost(CELLS[2], 1)
    with pytest.raises(ConfigurationError, match="has no final metric"):
        final_only.metric(CELLS[3])
    assert final_only.cost(CELLS[2]) == 5.0  # the whole recorded cost


# -- cost ---------------------------------------------------------------------------------------
def test_cost_sums_the_recorded_epoch_times(timed) -> None:  # noqa: ANN001
    a = CELLS[2]  # epoch times 3, 6, 9, 12
    assert [timed.cost(a, e) for e in (1, 2, 3, 4)] == [3.0, 9.0, 18.0, 30.0]
    assert timed.cost(a) == 30.0  # not the recorded total of 99


def test_cost_scales_the_total_linearly_without_epoch_times(costed) -> None:  # noqa: ANN001
    a = CELLS[1]  # total 16 over 4 epochs
    assert [costed.cost(a, e) for e in (1, 2, 4)] == [4.0, 8.0, 16.0]
    assert costed.cost(a) == 16.0


def test_cost_counts_epochs_when_nothing_is_timed(untimed) -> None:  # noqa: ANN001
    assert [untimed.cost(CELLS[0], e) for e in (1, 3)] == [1.0, 3.0]
    assert untimed.cost(CELLS[0]) == float(EPOCHS)


# -- lookup -------------------------------------------------------------------------------------
def test_query_accepts_any_form_the_space_parses(timed) -> None:  # noqa: ANN001
    a = CELLS[3]
    rec = timed.query(a)
    t = NB201.to_tuple(a)
    for form in (t, str(t), tuple(NB201.ops_of(a)), f" {a}\n"):
        assert timed.query(form) is rec, form
        assert timed.metric(form) == rec.target and timed.cost(form, 2) == timed.cost(a, 2)


@pytest.mark.parametrize("form", ["list", "array"])
def test_query_accepts_unhashable_forms(timed, form: str) -> None:  # noqa: ANN001
    t = NB201.to_tuple(CELLS[3])
    assert timed.query(list(t) if form == "list" else np.array(t)) is timed.query(CELLS[3])


def test_query_of_an_absent_or_malformed_arch(timed) -> None:  # noqa: ANN001
    absent = NB201.all_archs()[0]
    with pytest.raises(InvalidArchitectureError, match="is not a candidate of 'timed'"):
        timed.query(absent)
    with pytest.raises(InvalidArchitectureError):
        timed.query("not a cell")
    with pytest.raises(InvalidArchitectureError):
        timed.metric((9, 9, 9, 9, 9, 9))


def test_a_candidate_given_twice_is_refused() -> None:
    recs = [record(CELLS[0], 0), record(CELLS[1], 1), record(CELLS[0], 2)]
    with pytest.raises(InvalidArchitectureError, match="appears twice"):
        TabularBenchmark("dup", "nb201", "final_val_acc", recs, max_fidelity=EPOCHS)


def test_records_in_another_form_are_indexed_canonically() -> None:
    t = NB201.to_tuple(CELLS[0])
    bench = TabularBenchmark("forms", "nb201", "final_val_acc", [record(t, 0)], EPOCHS)
    assert bench.query(CELLS[0]).target == 45.0
    with pytest.raises(InvalidArchitectureError, match="appears twice"):
        TabularBenchmark("forms", "nb201", "t", [record(t, 0), record(CELLS[0], 1)], EPOCHS)


# -- listing ------------------------------------------------------------------------------------
def test_records_length_iteration_and_score_columns() -> None:
    recs = [
        record(CELLS[0], 0, scores={"b": 1.0, "a": 2.0}),
        record(CELLS[1], 1, scores={"c": 3.0, "a": 4.0}),
        record(CELLS[2], 2),
    ]
    bench = TabularBenchmark("listed", "nb201", "final_val_acc", recs, max_fidelity=EPOCHS)
    assert isinstance(bench, Benchmark)
    assert len(bench) == 3 and [r.arch for r in bench] == CELLS[:3]
    got = bench.records()
    assert got == recs and got is not recs
    got.clear()  # the caller's list is its own
    assert len(bench) == 3 and len(bench.records()) == 3
    assert bench.score_columns() == ["b", "a", "c"]  # each once, in first-seen order
    assert bench.describe() == "listed: 3 candidates, space nb201, target final_val_acc"


def test_a_benchmark_subclass_gets_metric_and_cost_from_records_and_query() -> None:
    """The contract's defaults only need ``records`` and ``query``."""

    class Two(Benchmark):
        name, space, target_name, max_fidelity = "two", "custom", "acc", 2
        recs = [Record(arch=k, space="custom", target=float(k), curves={"val_acc": [k - 1.0, k]},
                       cost=10.0) for k in (1, 2)]  # fmt: skip

        def records(self) -> list[Record]:
            return list(self.recs)

        def query(self, arch: object) -> Record:
            return next(r for r in self.recs if r.arch == arch)

    two = Two()
    assert len(two) == 2 and [r.arch for r in two] == [1, 2]
    assert two.metric(2, 1) == 1.0 and two.metric(2) == 2.0
    assert two.cost(1, 1) == 5.0 and two.cost(1) == 10.0
    with pytest.raises(TypeError):
        Benchmark()  # abstract: records and query are required
