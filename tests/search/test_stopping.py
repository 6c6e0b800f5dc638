"""Early-stopping rules: the runs they see, their checkpoints, Baker et al.'s predictive rule and
the median rule (on synthetic curves, and on the shipped benchmark's)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nasperf.exceptions import ConfigurationError
from nasperf.search import (
    BakerRule,
    MedianRule,
    Run,
    TabularBackend,
    check_delta,
    default_checkpoints,
    dense_checkpoints,
    permuted,
    probability_at_least,
    random_search,
)


def flat(arch: object, level: float, epochs: int) -> Run:
    return Run(arch, "custom", {"val_acc": np.full(epochs, float(level))})


def table_run(bench, arch: object, epochs: int | None = None) -> Run:  # noqa: ANN001
    """The run of ``arch`` with the benchmark's curves, cut at ``epochs`` when given."""
    curves = {k: np.asarray(v)[:epochs] for k, v in bench.query(arch).curves.items()}
    return Run(arch, bench.space, curves)


# -- the run ------------------------------------------------------------------------------------
def test_a_run_counts_its_epochs_and_becomes_a_record() -> None:
    run = Run("a", "custom")
    assert run.epochs == 0
    run.curves = {"val_acc": np.array([10.0, 20.0, 30.0]), "train_loss": np.ones(3)}
    assert run.epochs == 3 and run.last == 30.0
    rec = run.record(target=31.0)
    assert (rec.arch, rec.space, rec.target) == ("a", "custom", 31.0)
    assert rec.curve("val_acc", 2).tolist() == [10.0, 20.0]
    assert run.record().target is None  # a run still training has no final value


# -- checkpoints --------------------------------------------------------------------------------
def test_default_checkpoints_at_fractions_of_the_run() -> None:
    assert default_checkpoints(30) == [3, 6, 10, 15, 22]
    assert default_checkpoints(200) == [20, 40, 67, 100, 150]
    assert default_checkpoints(4) == [1, 2, 3]
    assert default_checkpoints(1) == []  # nothing to decide before the only epoch
    for n in (2, 5, 12, 30, 200):
        marks = default_checkpoints(n)
        assert marks == sorted(set(marks)) and all(1 <= m < n for m in marks)


def test_dense_checkpoints_add_the_first_epochs() -> None:
    assert dense_checkpoints(30) == [1, 2, 3, 5, 6, 10, 15, 22]
    assert dense_checkpoints(3) == [1, 2]
    assert dense_checkpoints(4) == default_checkpoints(4) == [1, 2, 3]
    for n in (12, 200):
        assert set(default_checkpoints(n)) < set(dense_checkpoints(n))
        assert all(1 <= m < n for m in dense_checkpoints(n))


def test_a_rules_checkpoints_lie_before_the_last_epoch(bench) -> None:  # noqa: ANN001
    assert MedianRule().checkpoints_for(30) == default_checkpoints(30)
    assert MedianRule(checkpoints=[10, 5, 5]).checkpoints_for(30) == [5, 10]
    for bad in ([30], [0, 5], []):
        with pytest.raises(ConfigurationError, match="checkpoints must lie in 1..29"):
            MedianRule(checkpoints=bad).checkpoints_for(30)
    with pytest.raises(ConfigurationError, match="checkpoints must lie"):
        random_search(TabularBackend(bench), [], rule=MedianRule(checkpoints=[30]))


@pytest.mark.parametrize("bad", [0, -1, 1.5, "5"])
def test_min_completed_is_a_positive_int(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="min_completed must be an integer >= 1"):
        MedianRule(min_completed=bad)


# -- Baker et al.'s probability -----------------------------------------------------------------
@pytest.mark.parametrize("delta", [0, 1, -0.1, 1.5, True, "0.05"])
def test_delta_outside_the_unit_interval_is_refused(delta) -> None:  # noqa: ANN001
    with pytest.raises(ConfigurationError, match="strictly between 0 and 1"):
        BakerRule(delta=delta)
    with pytest.raises(ConfigurationError, match="strictly between 0 and 1"):
        check_delta(delta)


def test_check_delta_returns_a_float() -> None:
    assert check_delta(0.05) == 0.05 and isinstance(check_delta(0.5), float)


def test_probability_at_least_is_the_normal_tail() -> None:
    assert probability_at_least(50.0, 2.0, 50.0) == pytest.approx(0.5)
    # one standard deviation above or below the best: Phi(1) and 1 - Phi(1)
    phi1 = 0.5 * (1 + math.erf(1 / math.sqrt(2)))
    assert probability_at_least(52.0, 2.0, 50.0) == pytest.approx(phi1)
    assert probability_at_least(48.0, 2.0, 50.0) == pytest.approx(1 - phi1)
    assert probability_at_least(40.0, 1.0, 50.0) < 1e-6
    # no spread: certain either way, no division by zero
    assert probability_at_least(51.0, 0.0, 50.0) == 1.0
    assert probability_at_least(49.0, 0.0, 50.0) == 0.0


def test_baker_rule_settings_are_checked() -> None:
    with pytest.raises(ConfigurationError, match="fidelity and a predictive distribution"):
        BakerRule(predictor="xgb")
    with pytest.raises(ConfigurationError, match="refit_growth must be a finite number >= 1"):
        BakerRule(refit_growth=0.5)
    assert BakerRule(min_completed=1).min_completed == 3  # the model needs a few curves
    # the sequential regression models predict the gain still to come by default
    assert BakerRule().predictor_params == {"residual": True}
    assert BakerRule(predictor="lc-rf").predictor_params == {"residual": True}
    assert BakerRule(predictor="lc-br", predictor_params={}).predictor_params == {}


def test_baker_rule_accepts_lce_as_its_error_message_says() -> None:
    rule = BakerRule(predictor="lce")
    assert rule.predictor == "lce" and rule.predictor_params == {}


# -- the rules' decisions -----------------------------------------------------------------------
def test_median_rule_compares_running_averages_at_the_same_epoch() -> None:
    rule = MedianRule(min_completed=3)
    for acc in (50.0, 60.0, 70.0):
        rule.observe(flat(acc, acc, 30))
    assert rule.should_stop(flat("low", 55.0, 5), 70.0)
    assert not rule.should_stop(flat("high", 65.0, 5), 70.0)
    assert (rule.decisions, rule.stopped) == (2, 1)
    # rising curves: the running averages after 5 epochs lie far below the finals (~90), so a
    # run at 30% after 5 epochs is kept and one at 12% is stopped
    rising = MedianRule(min_completed=3)
    for offset in (0.0, 5.0, 10.0):
        rising.observe(Run(offset, "custom", {"val_acc": np.linspace(10, 90, 30) + offset}))
    assert not rising.should_stop(flat("mid", 30.0, 5), 100.0)
    assert rising.should_stop(flat("low", 12.0, 5), 100.0)


def test_no_decision_before_min_completed_or_without_an_incumbent(bench) -> None:  # noqa: ANN001
    archs = [r.arch for r in bench.records()]
    hopeless = Run(archs[50], "nb201", {"val_acc": np.full(5, 10.0)})
    for rule in (MedianRule(min_completed=10), BakerRule(min_completed=10)):
        for a in archs[:9]:
            rule.observe(table_run(bench, a))
        assert not rule.should_stop(hopeless, best_final=99.0)  # 9 of 10 completed
        rule.observe(table_run(bench, archs[9]))
        assert not rule.should_stop(hopeless, best_final=None)
        assert rule.decisions == 0 and rule.stopped == 0
        assert rule.should_stop(hopeless, 99.0)
        assert (rule.decisions, rule.stopped) == (1, 1)


def test_baker_rule_gives_a_leader_better_odds_than_a_laggard(bench) -> None:  # noqa: ANN001
    archs = list(permuted([r.arch for r in bench.records()], 4))
    rule = BakerRule(delta=0.05, min_completed=10)
    for a in archs[:30]:
        rule.observe(table_run(bench, a))
    best = max(bench.query(a).target for a in archs[:30])
    rest = sorted(archs[30:130], key=lambda a: bench.query(a).target)
    leader, laggard = table_run(bench, rest[-1], 6), table_run(bench, rest[0], 6)
    p_leader, p_laggard = rule.probability(leader, best), rule.probability(laggard, best)
    assert 0.0 <= p_laggard < p_leader <= 1.0
    assert rule.should_stop(laggard, best) and p_laggard <= 0.05


def test_baker_rule_refits_only_as_the_completed_runs_grow(bench) -> None:  # noqa: ANN001
    archs = list(permuted([r.arch for r in bench.records()], 5))
    rule = BakerRule(min_completed=10, refit_growth=1.5)
    for a in archs[:10]:
        rule.observe(table_run(bench, a))
    probe = table_run(bench, archs[40], 5)
    first = rule.probability(probe, 90.0)
    rule.observe(table_run(bench, archs[10]))  # 11 < 10 * 1.5: the fitted model is kept
    assert rule.probability(probe, 90.0) == first
    for a in archs[11:20]:  # 20 >= 15: refitted on the larger set
        rule.observe(table_run(bench, a))
    assert rule.probability(probe, 90.0) != first


@pytest.mark.quality
def test_baker_rule_saves_epochs_and_keeps_the_best_on_the_shipped_curves(bench) -> None:  # noqa: ANN001
    """Baker et al.'s rule in a random search over nb201-digits: over 100 runs stopped, 30%
    fewer epochs, and the best run (nearly) still found (docs/RESULTS.md)."""
    archs = [r.arch for r in bench.records()]
    rule = BakerRule(delta=0.05, min_completed=10)
    res = random_search(TabularBackend(bench), permuted(archs, 3), rule=rule)
    plain = random_search(TabularBackend(bench), permuted(archs, 3))
    assert res.stopped > 100 and res.epochs_used < 0.7 * plain.epochs_used
    assert res.best_value >= plain.best_value - 0.5
