"""The sparse GP (SGPR) and variational sparse GP (SVGP) predictors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from helpers import synthetic_records
from nasperf.exceptions import OptionalDependencyError
from nasperf.predictors import make_predictor
from nasperf.records import Record

pytest.importorskip("gpytorch")

NAMES = ["sparse-gp", "var-sparse-gp"]


def rbf(a: np.ndarray, b: np.ndarray, length_scale: float, outputscale: float) -> np.ndarray:
    sq = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    return outputscale * np.exp(-0.5 * sq / length_scale**2)


def normalised_problem(pred, train: list[Record], test: list[Record]):  # noqa: ANN001, ANN201
    """Training inputs, normalised targets and test inputs as the fitted predictor sees them."""
    X = np.array([r.features for r in train])
    Xt = np.array([r.features for r in test])
    y = np.array([r.target for r in train])
    xs = (X - pred.x_mean_) / pred.x_scale_
    xt = (Xt - pred.x_mean_) / pred.x_scale_
    return xs, (y - pred.z_mean_) / pred.z_scale_, xt


def to_target_units(pred, mean: np.ndarray, var: np.ndarray):  # noqa: ANN001, ANN201
    """A predictive (mean, latent variance) on the normalised scale, noise added, in target units
    (target_transform='none': only the normalisation to undo)."""
    return mean * pred.z_scale_ + pred.z_mean_, np.sqrt(var + pred.noise_) * pred.z_scale_


def test_inducing_points_at_the_data_give_the_exact_gp() -> None:
    """With an inducing point at every training input (kept there), Titsias' approximation is
    exact: the predictive mean and variance are the exact GP's with the learnt hyperparameters."""
    train, test = synthetic_records(25, d=3, seed=1), synthetic_records(10, d=3, seed=2)
    pred = make_predictor(
        "sparse-gp",
        encoding="features",
        num_inducing=1000,  # more than n: one at each training input
        learn_inducing=False,
        max_iter=30,
        target_transform="none",
    ).fit(train)
    xs, z, xt = normalised_problem(pred, train, test)
    np.testing.assert_allclose(pred.inducing_points_, xs)
    ls, s2, noise = pred.length_scale_, pred.outputscale_, pred.noise_
    assert pred.length_scale_ != pytest.approx(np.sqrt(3.0))  # the optimiser moved it
    K = rbf(xs, xs, ls, s2) + noise * np.eye(len(xs))
    Ks = rbf(xt, xs, ls, s2)
    mean = Ks @ np.linalg.solve(K, z)
    var = s2 - np.einsum("ij,ji->i", Ks, np.linalg.solve(K, Ks.T))
    want_mean, want_std = to_target_units(pred, mean, var)
    got_mean, got_std = pred.predict_dist(test)
    np.testing.assert_allclose(got_mean, want_mean, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got_std, want_std, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(pred.predict(test), got_mean)


def test_sparse_gp_is_titsias_predictive_with_fewer_inducing_points() -> None:
    """With m < n inducing points the prediction is Titsias' (2009) predictive distribution:
    mean K*u S K_uf z / noise and variance K** - Q** + K*u S K_u*, S = (K_uu + K_uf K_fu /
    noise)^-1, at the learnt inducing locations and hyperparameters."""
    train, test = synthetic_records(40, d=3, seed=3), synthetic_records(10, d=3, seed=4)
    pred = make_predictor(
        "sparse-gp", encoding="features", num_inducing=8, max_iter=30, target_transform="none"
    ).fit(train)
    xs, z, xt = normalised_problem(pred, train, test)
    u = pred.inducing_points_
    assert u.shape == (8, 3)
    ls, s2, noise = pred.length_scale_, pred.outputscale_, pred.noise_
    Kuu, Kuf, Kus = rbf(u, u, ls, s2), rbf(u, xs, ls, s2), rbf(u, xt, ls, s2)
    S = np.linalg.inv(Kuu + Kuf @ Kuf.T / noise)
    mean = Kus.T @ S @ Kuf @ z / noise
    q = np.einsum("ij,ik,kj->j", Kus, np.linalg.inv(Kuu), Kus)
    var = s2 - q + np.einsum("ij,ik,kj->j", Kus, S, Kus)
    want_mean, want_std = to_target_units(pred, mean, var)
    got_mean, got_std = pred.predict_dist(test)
    np.testing.assert_allclose(got_mean, want_mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_std, want_std, rtol=1e-5, atol=1e-5)


def far_and_near(train: list[Record]) -> tuple[list[Record], list[Record]]:
    near = [Record(arch=i, space="custom", features=r.features) for i, r in enumerate(train[:5])]
    far = [
        Record(arch=100 + i, space="custom", features=r.features + 8.0)
        for i, r in enumerate(train[:5])
    ]
    return near, far


@pytest.mark.parametrize("name", NAMES)
def test_uncertainty_grows_away_from_the_data(name: str) -> None:
    train = synthetic_records(40, d=3, seed=5)
    pred = make_predictor(name, encoding="features", max_iter=60).fit(train)
    near, far = far_and_near(train)
    _, std_near = pred.predict_dist(near)
    mean_far, std_far = pred.predict_dist(far)
    assert np.all(std_far > 1.5 * std_near.max())
    # far from every inducing point the mean returns to the prior's: the targets' centre
    centre = np.median([r.target for r in train])
    assert np.all(np.abs(mean_far - centre) < 0.5 * np.std([r.target for r in train]))


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_under_random_state(name: str) -> None:
    train, test = synthetic_records(40, d=3, seed=6), synthetic_records(8, d=3, seed=7)

    def fit(seed: int):  # noqa: ANN202
        return make_predictor(
            name, encoding="features", num_inducing=10, max_iter=40, random_state=seed
        ).fit(train)

    a, b, c = fit(0), fit(0), fit(1)
    for got, want in zip(a.predict_dist(test), b.predict_dist(test), strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(a.inducing_points_, b.inducing_points_)
    # another seed starts from other training inputs
    assert not np.allclose(a.inducing_points_, c.inducing_points_)


@pytest.mark.parametrize("name", NAMES)
def test_no_more_inducing_points_than_distinct_inputs(name: str) -> None:
    train = synthetic_records(12, d=3, seed=8)
    twins = [Record(arch=100 + i, space="custom", target=r.target + 0.01, features=r.features)
             for i, r in enumerate(train[:4])]  # fmt: skip
    pred = make_predictor(name, encoding="features", num_inducing=50, max_iter=5)
    assert pred.fit(train + twins).inducing_points_.shape == (12, 3)
    assert pred.set_params(num_inducing=5).fit(train).inducing_points_.shape == (5, 3)


@pytest.mark.parametrize("name", NAMES)
def test_capabilities(name: str) -> None:
    caps = make_predictor(name).capabilities()
    assert caps.extra == "gp" and caps.has_dist and caps.family == "model-based"
    assert caps.requires.encoding == "default"


@pytest.mark.parametrize("name", NAMES)
def test_a_missing_gpytorch_names_the_extra(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for mod in [m for m in sys.modules if m == "gpytorch" or m.startswith("gpytorch.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "gpytorch", None)
    pred = make_predictor(name, encoding="features")
    with pytest.raises(OptionalDependencyError, match=r"nasperf\[gp\]"):
        pred.fit(synthetic_records(10, d=3))
