"""Architecture search strategies on the loop: regularised evolution, local search, BANANAS,
NPENAS and MetaQNN, on synthetic NB201 tables whose optimum is known."""

from __future__ import annotations

import numpy as np
import pytest

from nasperf.benchmarks import TabularBenchmark
from nasperf.exceptions import ConfigurationError, UnknownNameError
from nasperf.records import Record
from nasperf.search import (
    BANANAS,
    NPENAS,
    BakerRule,
    LocalSearch,
    MetaQNN,
    RandomSearch,
    RegularizedEvolution,
    TabularBackend,
    metaqnn_schedule,
    run_search,
)
from nasperf.spaces import get_space

SPACE = get_space("nb201")


def smooth_value(arch: str) -> float:
    """More 3x3 convolutions is better, then more 1x1: one optimum, reachable by single edits."""
    ops = SPACE.ops_of(arch)
    return 80.0 + 2.0 * ops.count("nor_conv_3x3") + 0.5 * ops.count("nor_conv_1x1")


def table(archs: list[str], epochs: int | None = None) -> TabularBenchmark:
    recs = []
    for a in archs:
        v = smooth_value(a)
        curves = {} if epochs is None else {"val_acc": v * (1 - 0.5 / np.arange(1, epochs + 1))}
        recs.append(Record(arch=a, space="nb201", target=v, curves=curves,
                           scores={"test_acc": v - 1.0}))  # fmt: skip
    return TabularBenchmark("smooth", "nb201", "val", recs, max_fidelity=epochs)


@pytest.fixture(scope="module")
def full() -> TabularBenchmark:
    return table(SPACE.all_archs())


OPTIMUM = SPACE.parse(["nor_conv_3x3"] * 6)


@pytest.mark.parametrize(
    "make",
    [
        lambda: RegularizedEvolution(population=20, sample=5),
        lambda: LocalSearch(),
        lambda: LocalSearch(first_improvement=True),
        lambda: BANANAS("xgb", n_models=2),
        lambda: BANANAS("lgb", acquisition="ucb", n_models=2),
        lambda: NPENAS("lgb"),
    ],
    ids=["re", "ls", "ls-first", "bananas-xgb", "bananas-lgb-ucb", "npenas-lgb"],
)
def test_guided_strategies_find_the_optimum_that_random_search_misses(full, make) -> None:  # noqa: ANN001
    found = [run_search(make(), TabularBackend(full), budget_epochs=300, seed=s) for s in (0, 1)]
    for res in found:
        assert res.best_arch == OPTIMUM and res.best_value == smooth_value(OPTIMUM)
        assert res.completed <= 300 and res.best_test == smooth_value(OPTIMUM) - 1.0
    rs = run_search(RandomSearch(), TabularBackend(full), budget_epochs=300, seed=0)
    assert rs.best_arch != OPTIMUM  # 300 random draws of 15,625 miss it


@pytest.mark.parametrize(
    "make",
    [RegularizedEvolution, LocalSearch, MetaQNN, lambda: BANANAS("gp"), lambda: NPENAS("xgb")],
    ids=["re", "ls", "metaqnn", "bananas-gp", "npenas-xgb"],
)
def test_on_a_small_table_every_cell_once_and_the_best_found(make) -> None:  # noqa: ANN001
    archs = SPACE.all_archs()[::401]  # 39 cells spread over the space
    bench = table(archs)
    seen: list[str] = []
    scheduler = make()
    inner = scheduler.on_result

    def spy(job, run):  # noqa: ANN001, ANN202
        seen.append(job.arch)
        inner(job, run)

    scheduler.on_result = spy
    res = run_search(scheduler, TabularBackend(bench), budget_epochs=200, seed=3)
    assert len(seen) == len(set(seen)) == len(archs)  # never twice, only the table's cells
    assert res.best_value == max(smooth_value(a) for a in archs)


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize(
    "make", [RegularizedEvolution, LocalSearch, lambda: BANANAS("xgb"), MetaQNN]
)
def test_same_seed_same_trace_and_the_budget_holds(full, make, workers) -> None:  # noqa: ANN001
    def go(seed: int):  # noqa: ANN202
        res = run_search(make(), TabularBackend(full), budget_epochs=60, workers=workers,
                         seed=seed)  # fmt: skip
        assert res.epochs_used <= 60 and res.completed == 60
        return [(p.arch, p.jobs) for p in res.trace]

    assert go(4) == go(4)
    assert go(4) != go(5)


def test_bananas_refits_once_per_round_and_times_them(full) -> None:  # noqa: ANN001
    sched = BANANAS("xgb", init=10, k=10)
    run_search(sched, TabularBackend(full), budget_epochs=50, seed=0)
    assert sched.refits == 4 and sched.fit_seconds > 0  # after 10, 20, 30 and 40 evaluations


def test_a_predictor_without_a_distribution_becomes_an_ensemble(full) -> None:  # noqa: ANN001
    sched = BANANAS("xgb", n_models=3)
    run_search(sched, TabularBackend(full), budget_epochs=12, seed=0)
    assert sched.surrogate.n_models == 3
    gp = BANANAS("gp", n_models=3)
    run_search(gp, TabularBackend(full), budget_epochs=12, seed=0)
    assert gp.surrogate.n_models == 1  # its own predictive distribution


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: BANANAS("no-such"), "no-such"),
        (lambda: BANANAS("sotl"), "model-based"),
        (lambda: BANANAS("xgb", acquisition="ei"), "acquisition"),
        (lambda: BANANAS("xgb", k=0), "k must be"),
        (lambda: RegularizedEvolution(population=5, sample=10), "cannot exceed"),
        (lambda: MetaQNN(alpha=0), "alpha"),
        (lambda: MetaQNN(schedule=[(1.5, 10)]), "schedule"),
    ],
)
def test_bad_settings_are_refused_before_any_work(full, make, match) -> None:  # noqa: ANN001
    with pytest.raises((ConfigurationError, UnknownNameError), match=match):
        run_search(make(), TabularBackend(full), budget_epochs=100)


def test_a_population_larger_than_the_budget_is_an_error(full) -> None:  # noqa: ANN001
    with pytest.raises(ConfigurationError, match="population of 30 is larger than the budget"):
        run_search(RegularizedEvolution(), TabularBackend(full), budget_epochs=20)


def test_metaqnn_follows_its_schedule_and_learns_the_good_operation(full) -> None:  # noqa: ANN001
    schedule = [(1.0, 150), (0.0, 30)]
    sched = MetaQNN(schedule, alpha=0.1)
    res = run_search(sched, TabularBackend(full), seed=0)
    assert res.completed == 180  # the search ends with its schedule
    assert sched.epsilon() == 0.0 and len(sched.memory) == 180
    greedy = [SPACE.ops_of(SPACE.from_tuple(ops)) for ops, _ in sched.memory[150:]]
    conv3 = np.mean([ops.count("nor_conv_3x3") for ops in greedy])
    assert conv3 > 2.0  # random choice gives 6/5 = 1.2
    rewards = [r for _, r in sched.memory]
    assert np.mean(rewards[150:]) > np.mean(rewards[:150]) + 0.01


def test_metaqnn_schedule_scales_the_papers() -> None:
    steps = metaqnn_schedule(270)
    assert sum(n for _, n in steps) == 270 and steps[0] == (1.0, 150)
    assert [e for e, _ in steps] == [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]


def test_metaqnn_needs_nb201() -> None:
    recs = [Record(arch=f"c{i}", space="custom", target=float(i)) for i in range(5)]
    with pytest.raises(ConfigurationError, match="NB201"):
        run_search(MetaQNN(), TabularBackend(TabularBenchmark("c", "custom", "v", recs)))


def test_metaqnn_with_bakers_rule_spends_fewer_epochs() -> None:
    archs = SPACE.all_archs()[::97]  # 162 cells with 20-epoch curves
    bench = table(archs, epochs=20)
    plain = run_search(MetaQNN(metaqnn_schedule(100)), TabularBackend(bench), seed=1)
    rule = BakerRule(0.1, min_completed=5, checkpoints=[2, 5])
    fast = run_search(MetaQNN(metaqnn_schedule(100)), TabularBackend(bench), rule=rule, seed=1)
    assert fast.stopped > 0 and fast.epochs_used < plain.epochs_used
    assert plain.configs == fast.configs == 100


def test_zero_cost_columns_become_free_features_of_the_surrogate() -> None:
    archs = SPACE.all_archs()[::7]
    recs = [Record(arch=a, space="nb201", target=smooth_value(a),
                   scores={"proxy": smooth_value(a) ** 3, "noise": float(i % 5)})
            for i, a in enumerate(archs)]  # fmt: skip
    recs[0] = Record(arch=archs[0], space="nb201", target=smooth_value(archs[0]), scores={})
    bench = TabularBenchmark("zc", "nb201", "val", recs)
    sched = BANANAS("xgb", features=("proxy", "noise"))
    run_search(sched, TabularBackend(bench), budget_epochs=60, seed=0)
    assert sched.surrogate.params == {"encoding": "features"}
    rec = sched._record(archs[0])
    assert rec.features[-2:].tolist() == [0.5, 0.5]  # no value: the middle quantile
    assert len(rec.features) == 30 + 2  # the one-hot encoding and the two columns
    plain = BANANAS("xgb")
    run_search(plain, TabularBackend(bench), budget_epochs=60, seed=0)
    guided = [v for _, v in sched.history[10:]]  # after the 10 random ones
    assert np.mean(guided) > np.mean([v for _, v in plain.history[10:]])
    with pytest.raises(ConfigurationError, match="'test_acc' is a result of training"):
        run_search(BANANAS("xgb", features=("test_acc",)), TabularBackend(bench), budget_epochs=20)
    with pytest.raises(ConfigurationError, match="no values of the column 'absent'"):
        run_search(BANANAS("xgb", features=("absent",)), TabularBackend(bench), budget_epochs=20)


@pytest.mark.parametrize("workers", [1, 2])
def test_local_search_climbs_and_restarts_with_any_number_of_workers(full, workers) -> None:  # noqa: ANN001
    sched = LocalSearch(init=5)
    moves = []
    inner = sched._move
    sched._move = lambda arch, value: (moves.append(arch), inner(arch, value))  # type: ignore[method-assign]
    res = run_search(sched, TabularBackend(full), budget_epochs=400, workers=workers, seed=2)
    assert res.best_arch == OPTIMUM  # the smooth table is climbed to its top
    assert len(set(moves)) >= 6  # it moved (and restarted), not stuck at one centre
