"""Behaviour specific to the learning-curve predictors (the shared contract is in test_api.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

from helpers import synthetic_records
from nasperf.benchmarks import load_benchmark
from nasperf.exceptions import ConfigurationError, InvalidDataError, MissingRequirementError
from nasperf.predictors import make_predictor
from nasperf.predictors.learning_curve import (
    LCEPredictor,
    RankMap,
    SequentialRegressionPredictor,
    curve_features,
    curve_from_steps,
    extrapolate_curve,
)
from nasperf.records import Record


def rec(curve, target=None, **curves) -> Record:  # noqa: ANN001
    return Record(arch="a", space="custom", target=target,
                  curves={"val_acc": np.asarray(curve, dtype=float), **curves})


def test_early_stop_and_sotl_arithmetic() -> None:
    r = rec([0.2, 0.5, 0.6, 0.7], val_loss=np.array([2.0, 1.5, 1.2, 1.0]),
            train_loss=np.array([2.0, 1.0, 0.5, 0.25]))
    assert make_predictor("early-stop-acc", fidelity=3).fit([]).predict([r])[0] == 0.6
    assert make_predictor("early-stop-loss", fidelity=2).fit([]).predict([r])[0] == -1.5
    assert make_predictor("sotl", fidelity=3).fit([]).predict([r])[0] == pytest.approx(-3.5)
    assert make_predictor("sotl-e", fidelity=3).fit([]).predict([r])[0] == pytest.approx(-0.5)


def test_curve_features_are_values_and_differences() -> None:
    f = curve_features(np.array([[1.0, 3.0, 4.0]]))
    np.testing.assert_allclose(f, [[1, 3, 4, 2, 1, -1]])
    assert curve_features(np.array([[1.0]])).shape == (1, 1)


def test_lce_extrapolates_a_pow3_curve() -> None:
    t = np.arange(1, 101, dtype=float)
    curve = 0.9 - 0.6 * t**-0.8
    mean, std = extrapolate_curve(curve[:20], 100)
    assert abs(mean - curve[-1]) < 0.01 and 0 < std < 0.05
    # too short to fit any family: the last value, with a wide spread
    mean, std = extrapolate_curve(curve[:2], 100)
    assert mean == curve[1] and std >= 0.02


def test_lce_handles_percent_and_calibrates() -> None:
    train, test = synthetic_records(60, seed=1), synthetic_records(30, seed=2)
    pct = [Record(r.arch, r.space, r.target, {"val_acc": 100 * r.curves["val_acc"]}) for r in test]
    lce = LCEPredictor(fidelity=5, calibrate=False).fit([])
    m_frac, _ = lce.predict_dist(test)
    m_pct, _ = lce.predict_dist(pct)
    np.testing.assert_allclose(m_pct, 100 * m_frac, rtol=1e-6)
    cal = LCEPredictor(fidelity=5).fit(train)
    assert cal.std_factor_ != 1.0 and np.isfinite(cal.shift_)
    with pytest.raises(ConfigurationError, match="families must be None or a tuple"):
        LCEPredictor(families=("pow3", "nope")).fit([]).predict(test)


def test_lce_predicts_each_record_on_its_own() -> None:
    # a percent curve alone and beside another: the same prediction (the units are per record)
    t = np.arange(1, 31, dtype=float)
    good = rec(100 * (0.9 - 0.6 * t**-0.8))
    low = rec(np.full(30, 1.2))  # a network stuck near 1%: in which units, is its own affair
    lce = LCEPredictor(fidelity=5, calibrate=False).fit([])
    assert lce.predict([good, low])[1] == lce.predict([low])[0]
    assert lce.predict([good, low])[0] == lce.predict([good])[0]
    with pytest.raises(ConfigurationError, match="curve must be a curve name"):
        LCEPredictor(curve=3).fit([]).predict([good])
    with pytest.raises(ConfigurationError, match="horizon must be"):
        LCEPredictor(horizon=0).fit([]).predict([good])


def test_lce_extrapolates_losses_and_errors() -> None:
    """A loss curve is extrapolated as exp(-loss), an error as 1 - error; both predict minus the
    final value, and a negated loss (-val_loss) the same as the loss."""
    t = np.arange(1, 31, dtype=float)
    loss = 0.3 + 2.0 * t**-0.8
    r = rec(np.zeros(30), val_loss=loss, **{"-val_loss": -loss, "val_err": 0.6 * t**-0.5})
    lce = {c: LCEPredictor(fidelity=10, curve=c, calibrate=False).fit([]) for c in
           ("val_loss", "-val_loss", "val_err")}
    assert lce["val_loss"].predict([r])[0] == pytest.approx(-loss[-1], abs=0.05)
    assert lce["-val_loss"].predict([r])[0] == lce["val_loss"].predict([r])[0]
    assert lce["val_err"].predict([r])[0] == pytest.approx(-0.6 * 30**-0.5, abs=0.03)


@pytest.mark.quality
def test_sequential_regression_beats_early_stop_on_shipped_digits() -> None:
    """White et al.: LcSVR with 100 training curves beats the early-stop value at low budgets."""
    recs = load_benchmark("nb201-digits").records()
    taus = {"lcsvr": [], "es": []}
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(recs))
        train = [recs[i] for i in order[:100]]
        test = [recs[i] for i in order[100:200]]
        y = [r.target for r in test]
        for name, pred in (("lcsvr", make_predictor("lcsvr", fidelity=2)),
                           ("es", make_predictor("early-stop-acc", fidelity=2))):
            taus[name].append(kendalltau(pred.fit(train).predict(test), y)[0])
    assert np.mean(taus["lcsvr"]) > np.mean(taus["es"]) + 0.05


def _as(records: list[Record], curve: str, unit, target) -> list[Record]:  # noqa: ANN001
    """``records`` with one curve ``x``: ``unit`` of their curve ``curve``, and target
    ``target`` of that curve's last value."""
    return [Record(r.arch, r.space, float(target(r.curves[curve][-1])),
                   {"x": unit(np.asarray(r.curves[curve]))}, dict(r.scores)) for r in records]


def test_sequential_regression_is_invariant_to_the_metrics_units() -> None:
    """Accuracy in % or as a fraction, a loss, minus a loss or a log-loss: the same ranking
    quality (the curve and target enter as rank scores)."""
    recs = load_benchmark("nb201-digits").records()
    families = {
        "accuracy": [("val_acc", lambda c: c, lambda v: v),
                     ("val_acc", lambda c: c / 100, lambda v: v / 100)],
        "loss": [("val_loss", lambda c: c, lambda v: -v),
                 ("val_loss", lambda c: -c, lambda v: -v),
                 ("val_loss", np.log, lambda v: -v)],
    }
    for family, variants in families.items():
        taus = []
        for curve, unit, target in variants:
            data = _as(recs, curve, unit, target)
            tau = []
            for seed in range(2):
                order = np.random.default_rng(seed).permutation(len(data))
                train, test = [data[i] for i in order[:100]], [data[i] for i in order[100:200]]
                pred = make_predictor("lcsvr", fidelity=3, curve="x").fit(train)
                tau.append(kendalltau(pred.predict(test), [r.target for r in test])[0])
            taus.append(np.mean(tau))
        assert max(taus) - min(taus) <= 0.02, (family, taus)
        assert min(taus) > 0.4, (family, taus)


def test_rank_maps_are_monotone_and_invert() -> None:
    rank = RankMap(np.array([3.0, 1.0, 2.0, 2.0, 10.0]))
    x = np.array([-5.0, 1.0, 1.5, 2.0, 9.0, 10.0, 50.0])
    z = rank.transform(x)
    assert np.all(np.diff(z) > 0)  # strictly increasing, beyond the training range too
    np.testing.assert_allclose(rank.inverse(z), x)
    bounded = RankMap(np.array([1.0, 2.0, 3.0]), bounded=True).transform(np.array([3.0, 1e9]))
    assert bounded[1] - bounded[0] <= 1.0  # a far outlier stays near the data


def test_sequential_regression_distribution_and_options() -> None:
    train, test = synthetic_records(60, seed=1), synthetic_records(30, seed=2)
    for model in ("svr", "rf", "bayesian_ridge"):
        for residual, transform in ((False, "rank"), (True, "rank"), ("auto", "standard")):
            pred = SequentialRegressionPredictor(
                fidelity=4, model=model, encoding="features", residual=residual, n_iter=4,
                transform=transform,
            ).fit(train)
            mean, std = pred.predict_dist(test)
            assert mean.shape == std.shape == (30,) and np.all(std > 0)
            assert np.corrcoef(mean, [r.target for r in test])[0, 1] > 0.5
    with pytest.raises(ConfigurationError, match="model must be"):
        SequentialRegressionPredictor(model="svm", encoding=None).fit(train)
    with pytest.raises(InvalidDataError, match="too few"):
        SequentialRegressionPredictor(encoding=None).fit(train[:2])


def test_bad_curves_are_clear_errors() -> None:
    nan = rec([0.1, np.nan, 0.5, 0.6], target=0.7)
    with pytest.raises(InvalidDataError, match="not finite at epoch 2"):
        make_predictor("early-stop-acc", fidelity=3).fit([]).predict([nan])
    with pytest.raises(InvalidDataError, match="not finite"):
        make_predictor("lcsvr", fidelity=3, encoding=None).fit([nan] * 5)
    short = rec([0.1, 0.2], target=0.7)
    with pytest.raises(MissingRequirementError, match="fidelity 5 is out of range"):
        make_predictor("lce", fidelity=5).fit([]).predict([short])
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ConfigurationError, match="fidelity"):
            make_predictor("early-stop-acc", fidelity=bad).fit([]).predict([short])


def test_curve_from_steps() -> None:
    np.testing.assert_allclose(curve_from_steps([1, 3, 4], [0.1, 0.3, 0.5]), [0.1, 0.2, 0.3, 0.5])
    np.testing.assert_allclose(curve_from_steps([3], [0.4]), [0.4, 0.4, 0.4])
    with pytest.raises(InvalidDataError, match="strictly increasing"):
        curve_from_steps([1, 3, 2], [0.1, 0.2, 0.3])
    with pytest.raises(InvalidDataError, match="strictly increasing"):
        curve_from_steps([1, 2, 2], [0.1, 0.2, 0.3])
    with pytest.raises(InvalidDataError, match="whole numbers from 1"):
        curve_from_steps([0, 1], [0.1, 0.2])
    with pytest.raises(InvalidDataError, match="NaN"):
        curve_from_steps([1, 2], [0.1, float("nan")])
