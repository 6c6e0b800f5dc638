"""Many seeds of a search: the strategy table, the journal that lets a rerun continue, the
anytime curves and their plot."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nasperf.exceptions import ConfigurationError, UnknownNameError
from nasperf.execution import LocalExecutor
from nasperf.search import (
    STRATEGIES,
    SearchSpec,
    anytime,
    make_rule,
    make_scheduler,
    plot_anytime,
    run_seeds,
    run_spec,
)
from nasperf.search.spec import result_from_row, result_row

SPEC = SearchSpec("re", "nb201-digits", {"population": 10, "sample": 3}, budget_epochs=600)


def test_every_strategy_is_registered_and_made_by_name() -> None:
    assert set(STRATEGIES) == {"random", "sh", "hyperband", "asha", "re", "ls", "bananas",
                               "npenas", "metaqnn"}  # fmt: skip
    assert type(make_scheduler("bananas", {"predictor": "xgb"})).__name__ == "BANANAS"
    with pytest.raises(UnknownNameError, match="no-such"):
        make_scheduler("no-such")
    with pytest.raises(ConfigurationError, match="re: .*unexpected keyword"):
        make_scheduler("re", {"eta": 3})
    assert make_rule("none") is None
    assert make_rule("baker", {"checkpoints": "dense"}, 30).checkpoints == [1, 2, 3, 5, 6, 10,
                                                                            15, 22]  # fmt: skip


def test_a_result_survives_its_json_row() -> None:
    res = run_spec(SPEC, 0)
    row = json.loads(json.dumps(result_row(res)))
    back = result_from_row(row)
    assert back.best_value == res.best_value and back.trace == res.trace
    assert back.epochs_used == res.epochs_used <= 600 and back.seed == 0


def test_the_journal_continues_and_refuses_other_settings(tmp_path) -> None:  # noqa: ANN001
    calls = []
    with LocalExecutor(1) as ex:
        first = run_seeds(SPEC, [0, 1], ex, tmp_path, on_seed=lambda d, t: calls.append((d, t)))
        assert calls[-1] == (2, 2)
        lines = (tmp_path / "seeds.jsonl").read_text().splitlines()
        assert len(lines) == 2
        more = run_seeds(SPEC, [0, 1, 2], ex, tmp_path)
    assert [r.seed for r in more] == [0, 1, 2]
    assert [r.trace for r in more[:2]] == [r.trace for r in first]
    assert len((tmp_path / "seeds.jsonl").read_text().splitlines()) == 3  # seed 2 only was run
    other = SearchSpec("re", "nb201-digits", {"population": 12, "sample": 3}, budget_epochs=600)
    with LocalExecutor(1) as ex, pytest.raises(ConfigurationError, match="params.population"):
        run_seeds(other, [0], ex, tmp_path)


def test_seeds_in_parallel_equal_seeds_in_turn() -> None:
    with LocalExecutor(2) as ex:
        pooled = run_seeds(SPEC, [3, 4, 5], ex)
    with LocalExecutor(1) as ex:
        serial = run_seeds(SPEC, [3, 4, 5], ex)
    assert [r.trace for r in pooled] == [r.trace for r in serial]


def test_anytime_regret_and_its_plot(tmp_path) -> None:  # noqa: ANN001
    with LocalExecutor(1) as ex:
        results = run_seeds(SPEC, [0, 1, 2], ex)
    best = 100.0
    grid, regret = anytime(results, best, "jobs", grid=[0, 5, 20])
    assert regret.shape == (3, 3) and np.isnan(regret[:, 0]).all()  # nothing completed at 0
    assert (np.diff(regret[:, 1:], axis=1) <= 0).all()  # the incumbent only improves
    with pytest.raises(ConfigurationError, match="axis"):
        anytime(results, best, "minutes")
    path = plot_anytime({"re": results}, best, tmp_path / "anytime.png", "digits")
    assert path.stat().st_size > 10_000


def test_a_spec_with_a_fitness_trains_its_top_k_and_refuses_a_rule() -> None:
    spec = SearchSpec("random", "nb201-digits", budget_epochs=30, fitness="early-stop-acc",
                      short_epochs=2, top_k=3)  # fmt: skip
    res = run_spec(spec, 0)
    assert res.strategy == "random+early-stop-acc" and res.configs == 30 and res.completed == 3
    assert res.epochs_used == 30 * 2 + 3 * 28  # 30 estimates, then 3 runs to the end
    assert result_from_row(json.loads(json.dumps(result_row(res)))).trace == res.trace
    with pytest.raises(ConfigurationError, match="no rule"):
        run_spec(SearchSpec("random", "nb201-digits", fitness="sotl-e", rule="median"), 0)


def test_a_seed_given_twice_runs_once() -> None:
    with LocalExecutor(1) as ex:
        results = run_seeds(SPEC, [4, 4, 2], ex)
    assert [r.seed for r in results] == [4, 2]


@pytest.mark.ray
def test_a_tables_seeds_on_ray_equal_those_on_the_process_pool() -> None:
    """Issue 22: --executor ray runs a table's seeds too, with the rows of the process pool."""
    from nasperf.execution import RayExecutor

    with LocalExecutor(2) as pool:
        local = run_seeds(SPEC, [0, 1, 2], pool)
    with RayExecutor(workers=2) as ray:
        remote = run_seeds(SPEC, [0, 1, 2], ray)
    assert [result_row(r) for r in remote] == [result_row(r) for r in local]


def test_check_is_one_dry_bind_before_any_work(monkeypatch) -> None:  # noqa: ANN001
    """A spec's settings are checked against the table (the budget against the strategy's
    minimum, the population against the queries) without a single run."""
    from nasperf.search import TabularBackend

    def no_work(*args: object) -> None:
        raise AssertionError("check() submitted a job")

    monkeypatch.setattr(TabularBackend, "submit", no_work)
    SPEC.check()
    with pytest.raises(ConfigurationError, match="population of 30 is larger than the budget"):
        SearchSpec("re", "nb201-digits", queries=20).check()
    with pytest.raises(ConfigurationError, match="at least 951"):
        SearchSpec("sh", "nb201-digits", budget_epochs=300).check()
    with pytest.raises(ConfigurationError, match="no learning curves"):
        SearchSpec("hyperband", "nbgraph-cora").check()
    with pytest.raises(ConfigurationError, match="a table cannot give FEAR scores"):
        SearchSpec("re", "nb201-digits", fitness="fear").check()
    with pytest.raises(UnknownNameError, match="unknown search strategy"):
        SearchSpec("nope", "nb201-digits")
    with pytest.raises(ConfigurationError, match="a benchmark table or live"):
        SearchSpec("re")


def test_a_live_spec_runs_its_seeds_in_turn_on_the_executor(tmp_path) -> None:  # noqa: ANN001
    """One SearchSpec for live runs too: the same run_seeds, journal and rerun."""
    pytest.importorskip("torch")
    from nasperf.benchmarks import LiveBenchmarkConfig, select_cells
    from nasperf.search import LiveRuns
    from nasperf.training import TrainConfig

    config = LiveBenchmarkConfig(
        dataset="digits", cells=2, C=4, N=1, limit=200, train=TrainConfig(epochs=2, batch_size=64)
    )
    cells = tuple(select_cells("nb201", 2, 0))
    live = LiveRuns(config, str(tmp_path / "runs"), "cpu", cells)
    spec = SearchSpec("random", live=live)
    spec.check()
    with LocalExecutor(1) as ex:
        results = run_seeds(spec, [0, 1], ex, tmp_path / "seeds")
    assert [r.seed for r in results] == [0, 1]
    assert all(r.completed == 2 and r.epochs_used == 4 for r in results)
    with LocalExecutor(1) as ex:  # read back from the journal: nothing trains
        again = run_seeds(spec, [0, 1], ex, tmp_path / "seeds")
    assert [result_row(r) for r in again] == [result_row(r) for r in results]


def test_summaries_show_a_minimised_metric_in_its_own_units(tmp_path) -> None:  # noqa: ANN001
    from nasperf.benchmarks import load_benchmark, write_curves
    from nasperf.search import ShownMetric, summarise

    digits = load_benchmark("nb201-digits")
    path = write_curves(tmp_path / "c.csv", digits.records())
    spec = SearchSpec("random", f"curves:{path}", queries=20,
                      benchmark_options={"curve": "val_loss"})  # fmt: skip
    bench = spec.table()
    with LocalExecutor(1) as ex:
        results = run_seeds(spec, [0, 1], ex)
    assert all(r.best_value < 0 for r in results)  # inside nasperf: minus the loss
    title, row = summarise(results[:1], spec.where(), bench=bench)
    assert title.endswith("(val_loss: lower is better)") and "final val acc" not in row
    loss = -bench.query(results[0].best_arch).target
    assert row["final val_loss"] == f"{-results[0].best_value:.4g}" and loss > 0
    assert float(row["true final"]) == pytest.approx(loss, rel=1e-3)
    _, rows = summarise(results, spec.where(), bench=bench)
    mean, std = (float(x) for x in rows["final val_loss"].split(" ± "))
    assert mean == pytest.approx(-np.mean([r.best_value for r in results]), rel=1e-3) and std >= 0
    # an accuracy table prints as it always has: its name, two decimals, no direction
    assert ShownMetric.of(digits) == ShownMetric() and ShownMetric.of(None) == ShownMetric()
    with LocalExecutor(1) as ex:
        title, row = summarise(run_seeds(SPEC, [0], ex), SPEC.where(), bench=digits)
    assert title == "re on nb201-digits" and re_two_decimals(row["final val acc"])
    assert ShownMetric.of(bench) == ShownMetric("val_loss", -1.0, -1.0)


def re_two_decimals(text: str) -> bool:
    whole, _, decimals = text.partition(".")
    return whole.isdigit() and len(decimals) == 2 and decimals.isdigit()
