"""The multi-fidelity schedulers on the shipped benchmark (simulated time); the early-stopping
rules are in test_stopping.py, the backends in test_backends.py, the loop in test_loop.py."""

from __future__ import annotations

import pytest

from nasperf.exceptions import ConfigurationError
from nasperf.search import (
    ASHA,
    TabularBackend,
    asha,
    hyperband,
    minimum_budget,
    permuted,
    random_search,
    run_search,
    successive_halving,
)
from nasperf.search.schedulers import bracket_cost, hyperband_brackets
from nasperf.search.strategies import check_budget


class CompletionClock(ASHA):
    """ASHA that notes the epochs handed out so far (spent, and committed to the jobs still
    running) each time a run completes (once per completed run, as the loop adds a trace
    point)."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.dispatched_at_completion: list[int] = []

    def on_result(self, job, run) -> None:  # noqa: ANN001
        if run.epochs == self.state.max_epochs:
            self.dispatched_at_completion.append(self.state.epochs_spent + self.state.committed)
        super().on_result(job, run)


def trained(backend: TabularBackend, archs: list) -> int:
    """The epochs the runs of ``archs`` hold on ``backend``."""
    return sum(backend.run(a).epochs for a in archs)


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
    ev = TabularBackend(bench)
    res = random_search(ev, permuted(archs, 0), budget_epochs=300)
    assert res.configs == res.completed == 10 and res.epochs_used == 300
    seen = list(permuted(archs, 0))[:10]
    assert res.best_value == max(bench.query(a).target for a in seen)
    # one worker: the runs one after another
    assert res.seconds_used == pytest.approx(sum(bench.cost(a) for a in seen)) == ev.now
    assert [p.epochs for p in res.trace] == list(range(30, 301, 30))


def test_successive_halving_epochs_and_promotion(bench) -> None:  # noqa: ANN001
    archs = list(permuted([r.arch for r in bench.records()], 1))[:9]
    ev = TabularBackend(bench)
    res = successive_halving(ev, archs, n=9, min_epochs=3, eta=3)
    # rungs 30/9, 30/3, 30 (rounded: 3, 10, 30): 9 x 3 epochs, 3 continued to 10, 1 to 30
    assert res.epochs_used == 9 * 3 + 3 * 7 + 1 * 20 == trained(ev, archs)
    at3 = sorted(archs, key=lambda a: bench.metric(a, 3), reverse=True)[:3]
    at10 = max(at3, key=lambda a: bench.metric(a, 10))
    assert res.best_arch == at10 and res.completed == 1


@pytest.mark.parametrize("min_epochs", [0, -1, 31, 2.5])
def test_min_epochs_outside_the_run_is_refused(bench, min_epochs) -> None:  # noqa: ANN001
    archs = [r.arch for r in bench.records()]
    for search in (hyperband, asha):  # these used to loop for ever or divide by zero
        with pytest.raises(ConfigurationError, match="min_epochs must be an integer"):
            search(TabularBackend(bench), archs, budget_epochs=100, min_epochs=min_epochs)
    with pytest.raises(ConfigurationError, match="min_epochs"):
        successive_halving(TabularBackend(bench), archs, n=9, min_epochs=min_epochs)


def test_asha_trace_counts_only_finished_jobs(bench) -> None:  # noqa: ANN001
    archs = [r.arch for r in bench.records()]
    scheduler = CompletionClock(candidates=permuted(archs, 3))
    res = run_search(scheduler, TabularBackend(bench), workers=4, budget_epochs=900)
    dispatched = scheduler.dispatched_at_completion  # epochs handed out when each completed
    assert len(dispatched) == len(res.trace) == res.completed
    epochs = [p.epochs for p in res.trace]
    assert epochs == sorted(epochs) and epochs[-1] <= res.epochs_used
    # jobs still running on the other workers are not charged to a trace point
    assert all(e <= d for e, d in zip(epochs, dispatched, strict=True))
    assert any(e < d for e, d in zip(epochs, dispatched, strict=True))


def test_hyperband_and_asha_respect_the_budget(bench) -> None:  # noqa: ANN001
    archs = [r.arch for r in bench.records()]
    for search in (hyperband, asha):
        ev = TabularBackend(bench)
        res = search(ev, permuted(archs, 2), budget_epochs=600)
        # never past the budget; Hyperband stops before a bracket (at most 120 epochs) that
        # would not fit in what is left
        assert 600 - 120 < res.epochs_used <= 600
        assert res.completed >= 1 and res.best_value is not None
        again = search(TabularBackend(bench), permuted(archs, 2), budget_epochs=600)
        assert again.best_arch == res.best_arch and again.epochs_used == res.epochs_used


def test_search_argument_errors(bench) -> None:  # noqa: ANN001
    ev = TabularBackend(bench)
    with pytest.raises(ConfigurationError, match="budget must be at least one epoch"):
        random_search(ev, [bench.records()[0].arch], budget_epochs=0)
    with pytest.raises(ConfigurationError, match="eta must be an integer >= 2"):
        successive_halving(ev, [], n=9, eta=1)
    with pytest.raises(ConfigurationError, match="n must be an integer >= 1"):
        successive_halving(ev, [], n=0)
    with pytest.raises(ConfigurationError, match="workers must be an integer >= 1"):
        asha(ev, [], budget_epochs=100, workers=0)
    assert ev.now == 0.0 and trained(ev, ev.archs()) == 0  # refused before any training


def test_search_cli_table_trace_and_errors(tmp_path, capsys) -> None:  # noqa: ANN001
    from nasperf.cli import main

    args = ["search", "hyperband", "-b", "nb201-digits", "--rule", "median"]
    code = main([*args, "--budget", "600", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "hyperband+MedianRule on nb201-digits" in out
    lines = (tmp_path / "trace.csv").read_text().splitlines()
    assert lines[0] == "epochs,seconds,arch,value,true_value,test_value,jobs" and len(lines) > 1
    assert int(lines[-1].split(",")[0]) <= 600
    for args, fragment in [
        (["bohb", "-b", "nb201-digits"], "No such command 'bohb'"),
        (["hyperband", "-b", "nb201-digits", "--rule", "baker", "--delta", "1.5"], "strictly"),
        (["random"], "--benchmark"),
        (["hyperband", "-b", "nbgraph-cora"], "no learning curves"),
        (["random", "-b", "nbgraph-cora", "--rule", "median"], "no learning curves"),
    ]:
        code = main(["search", *args])
        err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
        assert code == 2 and len(err) == 1 and fragment in err[0], err


def _run(name: str, ev: TabularBackend, archs: list, budget: int, n: int | None = None):  # noqa: ANN202
    order = permuted(archs, 1)
    if name == "random":
        return random_search(ev, order, budget_epochs=budget)
    if name == "sh":
        return successive_halving(ev, order, n=n or len(archs), budget_epochs=budget)
    return {"hyperband": hyperband, "asha": asha}[name](ev, order, budget_epochs=budget)


@pytest.mark.parametrize("name", ["random", "hyperband", "asha"])
@pytest.mark.parametrize("budget", [90, 300, 391, 1000])
def test_a_budget_is_never_exceeded(bench, name: str, budget: int) -> None:  # noqa: ANN001
    archs = [r.arch for r in bench.records()]
    ev = TabularBackend(bench)
    res = _run(name, ev, archs, budget)
    assert res.epochs_used <= budget and res.epochs_used == trained(ev, archs)
    # (ASHA's 4 workers start more runs than one promotion needs: at 90 epochs none ends)
    assert res.completed >= 1 or (name, budget) == ("asha", 90)


def test_hyperband_stops_before_a_bracket_that_does_not_fit(bench) -> None:  # noqa: ANN001
    # nb201-digits (30 epochs, eta 3): brackets of 86, 84, 100 and 120 epochs at most
    assert [bracket_cost(n, rungs, 3) for n, rungs in hyperband_brackets(30)] == [86, 84, 100, 120]
    ev = TabularBackend(bench)
    res = _run("hyperband", ev, [r.arch for r in bench.records()], 300)
    assert res.epochs_used == 86 + 84 + 100  # was 390: the 120-epoch bracket no longer starts


def test_successive_halving_fits_its_bracket_or_says_so(bench) -> None:  # noqa: ANN001
    archs = [r.arch for r in bench.records()]
    ev = TabularBackend(bench)
    res = _run("sh", ev, archs, 300, n=30)
    assert res.epochs_used <= 300 and res.completed == 1
    ev = TabularBackend(bench)
    with pytest.raises(ConfigurationError, match="bracket of 300 runs .* at least 951"):
        _run("sh", ev, archs, 300)  # returned nothing with exit code 0 before
    assert ev.now == 0.0 and trained(ev, archs) == 0


@pytest.mark.parametrize(
    "name, budget, minimum",
    [("random", 29, 30), ("sh", 950, 951), ("hyperband", 85, 86), ("asha", 85, 86)],
)
def test_a_budget_too_small_names_the_minimum(bench, name, budget, minimum) -> None:  # noqa: ANN001
    archs = [r.arch for r in bench.records()]
    assert minimum_budget(name, 30, len(archs))[0] == minimum
    ev = TabularBackend(bench)
    message = f"too small for {name}: .* give a budget of at least {minimum}$"
    with pytest.raises(ConfigurationError, match=message):
        _run(name, ev, archs, budget)
    assert ev.now == 0.0 and trained(ev, archs) == 0  # refused before any training
    with pytest.raises(ConfigurationError, match=message):
        check_budget(name, budget, 30, len(archs))
    check_budget(name, minimum, 30, len(archs))  # enough: no error
    check_budget(name, None, 30, len(archs))


def test_the_minimum_follows_the_candidates_at_hand() -> None:
    assert minimum_budget("sh", 30, 300, n=9) == (
        9 * 1 + 3 * 2 + 1 * 7 + 1 * 20,
        "its bracket of 9 runs (rungs at 1, 3, 10, 30 epochs)",
    )
    assert minimum_budget("hyperband", 30, 5)[0] == bracket_cost(5, [1, 3, 10, 30], 3)
