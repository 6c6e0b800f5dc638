"""Multi-fidelity searches on the shipped benchmark (simulated time); the early-stopping rules
are in test_stopping.py, the evaluators in test_evaluators.py."""

from __future__ import annotations

import pytest

from nasperf.benchmarks import load_benchmark
from nasperf.exceptions import ConfigurationError
from nasperf.search import (
    TabularCurveEvaluator,
    asha,
    hyperband,
    hyperband_brackets,
    permuted,
    random_search,
    successive_halving,
)


class CompletionClock(TabularCurveEvaluator):
    """A tabular evaluator that notes the epochs handed out so far each time a search reads a
    completed incumbent's true final value (once per completed run, as it adds a trace point)."""

    def __init__(self, bench) -> None:  # noqa: ANN001
        super().__init__(bench)
        self.dispatched_at_completion: list[int] = []

    def true_final(self, arch):  # noqa: ANN001, ANN201
        self.dispatched_at_completion.append(self.epochs_used)
        return super().true_final(arch)


@pytest.fixture(scope="module")
def bench():  # noqa: ANN201
    return load_benchmark("nb201-digits")


def test_hyperband_brackets_follow_li_et_al() -> None:
    # Li et al. 2017, Table 1 (R=81, eta=3): n = 81, 34, 15, 8, 5 with r = 1, 3, 9, 27, 81
    brackets = hyperband_brackets(81, 1, 3)
    assert [n for n, _ in brackets] == [81, 34, 15, 8, 5]
    assert [rungs[0] for _, rungs in brackets] == [1, 3, 9, 27, 81]
    assert brackets[0][1] == [1, 3, 9, 27, 81]
    with pytest.raises(ConfigurationError, match="eta"):
        hyperband_brackets(81, 1, 1)


def test_random_search_costs_full_training(bench) -> None:  # noqa: ANN001
    archs = [r.arch for r in bench.records()]
    ev = TabularCurveEvaluator(bench)
    res = random_search(ev, permuted(archs, 0), budget_epochs=300)
    assert res.configs == res.completed == 10 and ev.epochs_used == 300
    seen = list(permuted(archs, 0))[:10]
    assert res.best_value == max(bench.query(a).target for a in seen)
    assert ev.seconds_used == pytest.approx(sum(bench.cost(a) for a in seen))
    assert [p.epochs for p in res.trace] == list(range(30, 301, 30))


def test_successive_halving_epochs_and_promotion(bench) -> None:  # noqa: ANN001
    archs = list(permuted([r.arch for r in bench.records()], 1))[:9]
    ev = TabularCurveEvaluator(bench)
    res = successive_halving(ev, archs, n=9, min_epochs=3, eta=3)
    # rungs 30/9, 30/3, 30 (rounded: 3, 10, 30): 9 x 3 epochs, 3 continued to 10, 1 to 30
    assert ev.epochs_used == 9 * 3 + 3 * 7 + 1 * 20
    at3 = sorted(archs, key=lambda a: bench.metric(a, 3), reverse=True)[:3]
    at10 = max(at3, key=lambda a: bench.metric(a, 10))
    assert res.best_arch == at10 and res.completed == 1


@pytest.mark.parametrize("min_epochs", [0, -1, 31, 2.5])
def test_min_epochs_outside_the_run_is_refused(bench, min_epochs) -> None:  # noqa: ANN001
    archs = [r.arch for r in bench.records()]
    for search in (hyperband, asha):  # these used to loop for ever or divide by zero
        with pytest.raises(ConfigurationError, match="min_epochs must be an int in 1..30"):
            search(TabularCurveEvaluator(bench), archs, budget_epochs=100, min_epochs=min_epochs)
    with pytest.raises(ConfigurationError, match="min_epochs"):
        successive_halving(TabularCurveEvaluator(bench), archs, n=9, min_epochs=min_epochs)


def test_asha_trace_counts_only_finished_jobs(bench) -> None:  # noqa: ANN001
    archs = [r.arch for r in bench.records()]
    ev = CompletionClock(bench)
    res = asha(ev, permuted(archs, 3), budget_epochs=900, workers=4)
    dispatched = ev.dispatched_at_completion  # epochs handed out when each run completed
    assert len(dispatched) == len(res.trace) == res.completed
    epochs = [p.epochs for p in res.trace]
    assert epochs == sorted(epochs) and epochs[-1] <= ev.epochs_used
    # jobs still running on the other workers are not charged to a trace point
    assert all(e <= d for e, d in zip(epochs, dispatched, strict=True))
    assert any(e < d for e, d in zip(epochs, dispatched, strict=True))


def test_hyperband_and_asha_respect_the_budget(bench) -> None:  # noqa: ANN001
    archs = [r.arch for r in bench.records()]
    for search in (hyperband, asha):
        ev = TabularCurveEvaluator(bench)
        res = search(ev, permuted(archs, 2), budget_epochs=600)
        assert 600 <= ev.epochs_used < 600 + 30  # the last job may finish past the budget
        assert res.completed >= 1 and res.best_value is not None
        again = search(TabularCurveEvaluator(bench), permuted(archs, 2), budget_epochs=600)
        assert again.best_arch == res.best_arch and again.epochs_used == res.epochs_used


def test_search_argument_errors(bench) -> None:  # noqa: ANN001
    ev = TabularCurveEvaluator(bench)
    with pytest.raises(ConfigurationError, match="budget must be at least one epoch"):
        random_search(ev, [bench.records()[0].arch], budget_epochs=0)
    with pytest.raises(ConfigurationError, match="eta must be an int >= 2"):
        successive_halving(ev, [], n=9, eta=1)
    with pytest.raises(ConfigurationError, match="n must be >= 1"):
        successive_halving(ev, [], n=0)
    with pytest.raises(ConfigurationError, match="workers must be >= 1"):
        asha(ev, [], budget_epochs=100, workers=0)
    assert ev.epochs_used == 0  # refused before any training


def test_search_cli_table_trace_and_errors(tmp_path, capsys) -> None:  # noqa: ANN001
    from nasperf.cli import main

    code = main(["search", "--strategy", "hyperband", "-b", "nb201-digits", "--rule", "median",
                 "--budget", "600", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "hyperband+MedianRule" in out
    lines = (tmp_path / "trace.csv").read_text().splitlines()
    assert lines[0] == "epochs,seconds,arch,value,true_value" and len(lines) > 1
    for args, fragment in [
        (["--strategy", "bohb", "-b", "nb201-digits"], "unknown strategy"),
        (["-b", "nb201-digits", "--rule", "baker", "--delta", "1.5"], "strictly between"),
        (["--strategy", "random"], "--benchmark"),
        (["-b", "nbgraph-cora"], "no learning curves"),
    ]:
        code = main(["search", *args])
        err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
        assert code == 2 and len(err) == 1 and fragment in err[0], err
