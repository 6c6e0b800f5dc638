"""Behaviour specific to the model-based predictors (the shared contract is in test_api.py)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from scipy.stats import kendalltau

from helpers import needs_data, synthetic_records
from nasperf.exceptions import ConfigurationError, OptionalDependencyError
from nasperf.predictors import make_predictor
from nasperf.predictors.model_based import BananasPredictor, TargetScaler


@pytest.mark.parametrize("kind", ["quantile", "standard", "none"])
def test_target_scaler_round_trip_is_monotone(kind: str) -> None:
    y = np.array([10.0, 93.1, 91.5, 91.5, 88.0, 93.7, 45.2])
    scaler = TargetScaler(kind)
    z = scaler.fit_transform(y)
    np.testing.assert_allclose(scaler.inverse(z), y, atol=1e-9)
    grid = np.linspace(z.min() - 3, z.max() + 3, 101)
    assert np.all(np.diff(scaler.inverse(grid)) > 0)  # strictly increasing, also past the ends


def test_target_scaler_quantile_tames_outliers() -> None:
    y = np.array([10.0, 90.0, 91.0, 92.0, 93.0])
    z = TargetScaler("quantile").fit_transform(y)
    gaps = np.diff(z)
    assert gaps.max() / gaps.min() < 1.5  # the diverged cell is one rank below, not 80 points


def test_target_scaler_rejects_unknown_kind() -> None:
    with pytest.raises(ConfigurationError, match="quantile"):
        TargetScaler("log")


def test_missing_optional_dependency_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "xgboost", None)  # makes `import xgboost` fail
    pred = make_predictor("xgb", encoding="features")
    with pytest.raises(OptionalDependencyError, match=r"nasperf\[trees\]"):
        pred.fit(synthetic_records(20))


def test_bananas_is_an_ensemble_on_the_path_encoding() -> None:
    pred = BananasPredictor()
    assert pred.capabilities().requires.encoding == "path" and pred.n_models == 3
    pred.set_params(encoding="features", epochs=30).fit(synthetic_records(60))
    assert len(pred.models_) == 3
    test = synthetic_records(20, seed=9)
    mean, std = pred.predict_dist(test)
    np.testing.assert_allclose(mean, pred.predict(test))
    assert np.all(std > 0)  # independently seeded members disagree


def test_gp_uncertainty_grows_away_from_the_data() -> None:
    train = synthetic_records(60, seed=1)
    pred = make_predictor("gp", encoding="features").fit(train)
    near = synthetic_records(30, seed=2)
    far = synthetic_records(30, seed=3)
    for r in far:
        r.features = r.features * 6.0
    assert pred.predict_dist(far)[1].mean() > pred.predict_dist(near)[1].mean()


@pytest.mark.parametrize("name", ["xgb", "lgb", "rf", "gp"])
def test_more_data_helps(name: str) -> None:
    test = synthetic_records(100, seed=50)
    truth = [r.target for r in test]
    small = make_predictor(name, encoding="features").fit(synthetic_records(15, seed=51))
    large = make_predictor(name, encoding="features").fit(synthetic_records(300, seed=52))
    assert kendalltau(large.predict(test), truth)[0] > kendalltau(small.predict(test), truth)[0]


@pytest.mark.quality
@needs_data("nb201/nb201_cifar10.csv.gz")
def test_xgboost_reaches_target_on_nb201() -> None:
    """Issue 2: XGBoost on the one-hot encoding, 121 training cells, Kendall tau >= 0.55."""
    from nasperf.benchmarks import load_benchmark

    records = load_benchmark("nb201-cifar10").records()
    taus = []
    for trial in range(3):
        order = np.random.default_rng(trial).permutation(len(records))
        test = [records[i] for i in order[:200]]
        train = [records[i] for i in order[200:321]]
        pred = make_predictor("xgb", random_state=trial).fit(train)
        taus.append(kendalltau(pred.predict(test), [r.target for r in test])[0])
    assert np.mean(taus) >= 0.55


@pytest.mark.parametrize("name", ["mlp", "bananas"])
def test_torch_predictors_give_the_same_predictions_on_any_thread_count(name: str) -> None:
    pytest.importorskip("torch")
    import torch

    from nasperf.predictors import make_predictor

    train, test = synthetic_records(40, seed=1), synthetic_records(30, seed=2)
    before = torch.get_num_threads()
    preds = {}
    for threads in (1, 2):
        pred = make_predictor(name, encoding="features", epochs=20, num_threads=threads)
        preds[threads] = pred.fit(train).predict(test)
        assert torch.get_num_threads() == before  # restored after fit and predict
    # the same up to the last bit of a float64 sum whose order the thread count may change
    np.testing.assert_allclose(preds[1], preds[2], rtol=1e-12, atol=0)
    assert make_predictor(name).num_threads == 1  # one thread unless asked for more
