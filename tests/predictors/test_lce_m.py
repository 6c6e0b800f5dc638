"""SoTL-EMA's moving average and LCE-m's MCMC curve extrapolation."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from nasperf.exceptions import ConfigurationError, OptionalDependencyError
from nasperf.predictors import make_predictor
from nasperf.predictors.learning_curve import (
    CURVE_FAMILIES,
    LCEMPredictor,
    extrapolate_curve,
    sample_curve_posterior,
)
from nasperf.records import Record

#: a curve drawn from exp3 (c - exp(-a x + b)) with a little noise, 40 epochs
EXP3 = (0.85, 0.4, -0.3)
FAMILIES = ("pow3", "exp3", "ilog2")


def exp3_record(noise: float = 0.003, seed: int = 0) -> Record:
    x = np.arange(1, 41, dtype=np.float64)
    y = CURVE_FAMILIES["exp3"].func(x, *EXP3) + noise * np.random.default_rng(seed).normal(size=40)
    return Record(arch=0, space="custom", curves={"val_acc": y})


def test_sotl_ema_matches_a_hand_computed_average() -> None:
    losses = np.array([2.0, 1.0, 0.5, 0.4, 9.9])  # the fifth epoch is not observed
    r = Record(arch=0, space="custom", curves={"train_loss": losses, "train_acc": 1.0 - losses})
    # NASLib's mu = 0.99: m = 2, 0.01*2 + 0.99*1 = 1.01, 0.01*1.01 + 0.99*0.5 = 0.5051,
    # 0.01*0.5051 + 0.99*0.4 = 0.401051
    ema = make_predictor("sotl-ema", fidelity=4).fit([])
    assert ema.ema == 0.99
    assert ema.predict([r])[0] == pytest.approx(-(2.0 + 1.01 + 0.5051 + 0.401051))
    # mu = 0.5: 2, 1.5, 1.0, 0.7; with window=1 only the last average
    half = make_predictor("sotl-ema", fidelity=4, ema=0.5).fit([])
    assert half.predict([r])[0] == pytest.approx(-5.2)
    assert half.set_params(window=1).predict([r])[0] == pytest.approx(-0.7)
    # mu = 1 is plain SoTL; an accuracy curve is summed, not negated, so higher stays better
    assert make_predictor("sotl-ema", fidelity=4, ema=1.0).fit([]).predict([r])[0] == (
        pytest.approx(make_predictor("sotl", fidelity=4).fit([]).predict([r])[0])
    )
    acc = make_predictor("sotl", fidelity=4, curve="train_acc").fit([]).predict([r])[0]
    assert acc == pytest.approx(4.0 - 3.9)


def test_lce_m_recovers_a_curve_of_one_family_and_weights_it_most() -> None:
    rec = exp3_record()
    truth = float(rec.curves["val_acc"][-1])
    pred = LCEMPredictor(fidelity=15, families=FAMILIES, calibrate=False).fit([])
    mean, std = pred.predict_dist([rec])
    assert abs(truth - mean[0]) <= 1.645 * std[0]  # inside the 90% interval
    assert 0.0 < std[0] < 0.05
    post = sample_curve_posterior(rec.curves["val_acc"][:15], 40, FAMILIES)
    assert post.mean == pytest.approx(mean[0])
    assert max(post.weights, key=post.weights.get) == "exp3"
    assert post.weights["exp3"] > 0.6 and sum(post.weights.values()) == pytest.approx(1.0)
    assert 0.0 < post.acceptance < 1.0


def test_lce_m_is_deterministic_under_random_state() -> None:
    recs = [exp3_record(0.01, seed=s) for s in range(2)]
    a = LCEMPredictor(fidelity=10, n_steps=100, burn_in=50).fit([]).predict(recs)
    b = LCEMPredictor(fidelity=10, n_steps=100, burn_in=50).fit([]).predict(recs)
    np.testing.assert_array_equal(a, b)
    # each record's chain depends on random_state alone, not on the records predicted with it
    alone = LCEMPredictor(fidelity=10, n_steps=100, burn_in=50).fit([]).predict(recs[1:])
    assert alone[0] == a[1]
    other = LCEMPredictor(fidelity=10, n_steps=100, burn_in=50, random_state=1)
    c = other.fit([]).predict(recs)
    assert not np.array_equal(a, c) and np.allclose(a, c, atol=0.05)


def test_lce_m_falls_back_on_a_prefix_too_short_to_fit() -> None:
    y = np.array([0.3, 0.5])
    post = sample_curve_posterior(y, 40)
    assert (post.mean, post.std) == extrapolate_curve(y, 40) and post.weights == {}


def test_lce_m_rejects_a_burn_in_as_long_as_the_chain() -> None:
    with pytest.raises(ConfigurationError, match="burn_in"):
        LCEMPredictor(n_steps=100, burn_in=100).capabilities()  # before any work
    with pytest.raises(ConfigurationError, match="burn_in"):
        LCEMPredictor(n_steps=100, burn_in=100).fit([])


def test_a_missing_emcee_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for mod in [m for m in sys.modules if m == "emcee" or m.startswith("emcee.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "emcee", None)
    with pytest.raises(OptionalDependencyError, match=r"nasperf\[mcmc\]"):
        make_predictor("lce-m").fit([])
    with pytest.raises(OptionalDependencyError, match=r"nasperf\[mcmc\]"):
        sample_curve_posterior(exp3_record().curves["val_acc"][:10], 40)
