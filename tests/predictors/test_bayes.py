"""BLR, DNGO and BOHAMIANN: the closed forms they rest on, the sampler, and their intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from nasperf.predictors.model_based._bayes import (
    BayesianLinearModel,
    BLRPredictor,
    BOHAMIANNPredictor,
    DNGOPredictor,
    adaptive_sghmc,
)
from nasperf.records import Record

#: light settings: enough to test the mechanics, not the measured defaults
QUICK_DNGO = {"epochs": 40}
QUICK_BOHAMIANN = {"burn_in_steps": 300, "num_samples": 20, "keep_every": 10}


def records(X: np.ndarray, y: np.ndarray) -> list[Record]:
    return [
        Record(arch=i, space="custom", target=float(t), features=x)
        for i, (x, t) in enumerate(zip(X, y, strict=True))
    ]


def toy(n: int, d: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, X @ np.arange(1.0, d + 1.0) + np.sin(2.0 * X[:, 0]) + 0.2 * rng.normal(size=n)


def standardised(y: np.ndarray) -> np.ndarray:
    return (y - y.mean()) / y.std()


def closed_form(
    Phi: np.ndarray, y: np.ndarray, alpha: float, beta: float, Phi_new: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bishop (3.53)-(3.54) and (3.58)-(3.59): weight posterior and predictive mean and std."""
    S = np.linalg.inv(alpha * np.eye(Phi.shape[1]) + beta * Phi.T @ Phi)
    m = beta * S @ Phi.T @ y
    var = 1.0 / beta + np.einsum("ij,jk,ik->i", Phi_new, S, Phi_new)
    return m, S, Phi_new @ m, np.sqrt(var)


def with_bias(X: np.ndarray) -> np.ndarray:
    return np.hstack([X, np.ones((len(X), 1))])


# -- Bayesian linear regression ------------------------------------------------------------------
def test_blr_posterior_matches_the_closed_form() -> None:
    X, y = toy(12)
    Phi, Phi_new = with_bias(X), with_bias(toy(5, seed=1)[0])
    model = BayesianLinearModel(alpha=0.7, beta=3.0).fit(Phi, y)
    m, S, mean, std = closed_form(Phi, y, 0.7, 3.0, Phi_new)
    np.testing.assert_allclose(model.mean_, m, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model.cov_, S, rtol=1e-9, atol=1e-12)
    got_mean, got_std = model.predict(Phi_new)
    np.testing.assert_allclose(got_mean, mean, rtol=1e-9)
    np.testing.assert_allclose(got_std, std, rtol=1e-9)


def test_blr_evidence_is_the_gaussian_marginal_and_is_maximised() -> None:
    X, y = toy(30)
    Phi = with_bias(X)
    model = BayesianLinearModel().fit(Phi, y)
    a, b = model.alpha_, model.beta_

    def log_marginal(alpha: float, beta: float) -> float:
        cov = Phi @ Phi.T / alpha + np.eye(len(y)) / beta
        return float(multivariate_normal(np.zeros(len(y)), cov).logpdf(y))

    assert model.log_evidence_ == pytest.approx(log_marginal(a, b), rel=1e-9)
    for fa, fb in [(1.1, 1.0), (0.9, 1.0), (1.0, 1.1), (1.0, 0.9)]:
        assert log_marginal(a * fa, b * fb) < model.log_evidence_
    # scikit-learn's BayesianRidge maximises the same evidence (with near-flat hyperpriors)
    from sklearn.linear_model import BayesianRidge

    ridge = BayesianRidge(fit_intercept=False, tol=1e-10, max_iter=10_000).fit(Phi, y)
    assert a == pytest.approx(ridge.lambda_, rel=1e-3)
    assert b == pytest.approx(ridge.alpha_, rel=1e-3)


def test_held_out_criterion_maximises_the_conditional_marginal_likelihood() -> None:
    X, y = toy(40)
    Phi = with_bias(X)
    held = np.zeros(len(y), dtype=bool)
    held[::4] = True
    model = BayesianLinearModel().fit(Phi, y, held_out=held)

    def conditional(alpha: float, beta: float) -> float:
        m, S, mean, _ = closed_form(Phi[~held], y[~held], alpha, beta, Phi[held])
        cov = Phi[held] @ S @ Phi[held].T + np.eye(held.sum()) / beta
        return float(multivariate_normal(mean, cov).logpdf(y[held]))

    best = conditional(model.alpha_, model.beta_)
    for fa, fb in [(1.2, 1.0), (0.8, 1.0), (1.0, 1.2), (1.0, 0.8)]:
        assert conditional(model.alpha_ * fa, model.beta_ * fb) < best
    # the posterior is conditioned on every point
    m, S, _, _ = closed_form(Phi, y, model.alpha_, model.beta_, Phi[:1])
    np.testing.assert_allclose(model.mean_, m, rtol=1e-8)


def test_blr_predictor_is_the_closed_form_in_target_units() -> None:
    X, y = toy(25)
    X_new = toy(6, seed=2)[0]
    pred = BLRPredictor(encoding="features", alpha=0.5, beta=2.0, target_transform="none")
    mean, std = pred.fit(records(X, y)).predict_dist(records(X_new, np.zeros(6)))
    _, _, m, s = closed_form(with_bias(X), standardised(y), 0.5, 2.0, with_bias(X_new))
    np.testing.assert_allclose(mean, m * y.std() + y.mean(), rtol=1e-9)
    np.testing.assert_allclose(std, s * y.std(), rtol=1e-9)


# -- DNGO ----------------------------------------------------------------------------------------
def test_dngo_last_layer_is_the_closed_form_given_the_features() -> None:
    X, y = toy(40)
    X_new = toy(7, seed=3)[0]
    pred = DNGOPredictor(encoding="features", target_transform="none", **QUICK_DNGO)
    mean, std = pred.fit(records(X, y)).predict_dist(records(X_new, np.zeros(7)))
    import torch

    def features(A: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return with_bias(pred.body_(torch.as_tensor(A, dtype=torch.float64)).numpy())

    assert features(X).shape == (40, 51)  # 50 tanh units of the last layer and a constant
    a, b = pred.blr_.alpha_, pred.blr_.beta_
    _, _, m, s = closed_form(features(X), standardised(y), a, b, features(X_new))
    np.testing.assert_allclose(mean, m * y.std() + y.mean(), rtol=1e-7)
    np.testing.assert_allclose(std, s * y.std(), rtol=1e-7)


# -- SGHMC ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [0.1, 2.0])
def test_sghmc_samples_a_gaussian_posterior(scale: float) -> None:
    """2,000 independent chains on U = (theta - mu)^2 / (2 scale^2), with noisy gradients: the
    same step size serves scales 20 times apart (the adaptation), and the states after burn-in
    have the posterior's mean and variance."""
    import torch

    torch.manual_seed(0)
    mu = 1.5
    theta = torch.zeros(2000, dtype=torch.float64, requires_grad=True)
    sampler = adaptive_sghmc([theta], lr=0.02, mdecay=0.05, num_burn_in_steps=500)
    kept = []
    for step in range(3000):
        sampler.zero_grad()
        U = torch.sum((theta - mu) ** 2) / (2 * scale**2)
        U.backward()
        theta.grad += torch.randn_like(theta) / scale  # minibatch noise in the gradient
        sampler.step()
        if step >= 1000 and step % 50 == 0:
            kept.append(theta.detach().clone())
    draws = torch.stack(kept).numpy()
    assert draws.mean() == pytest.approx(mu, abs=0.05 * scale)
    assert draws.var() == pytest.approx(scale**2, rel=0.1)


# -- predictive distributions --------------------------------------------------------------------
def near_and_far(pred: object) -> tuple[float, float]:
    """The std at a training point and far from all of them (targets standardised: the rank
    transform's linear tails would shrink a std far outside the training targets)."""
    pred.set_params(target_transform="standard")
    X, y = toy(60, seed=4)
    pred.fit(records(X, y))
    far = X[:1] + 6.0
    _, std = pred.predict_dist(records(np.vstack([X[:1], far]), np.zeros(2)))
    return float(std[0]), float(std[1])


@pytest.mark.parametrize(
    "make",
    [
        lambda: BLRPredictor(encoding="features"),
        lambda: DNGOPredictor(encoding="features", **QUICK_DNGO),
        lambda: BOHAMIANNPredictor(encoding="features", **QUICK_BOHAMIANN),
    ],
    ids=["blr", "dngo", "bohamiann"],
)
def test_std_is_positive_and_grows_away_from_the_data(make: object) -> None:
    at_train, far = near_and_far(make())
    assert 0.0 < at_train < far


@pytest.mark.parametrize(
    "cls, params",
    [(DNGOPredictor, QUICK_DNGO), (BOHAMIANNPredictor, QUICK_BOHAMIANN)],
    ids=["dngo", "bohamiann"],
)
def test_random_state_fixes_the_fit(cls: type, params: dict) -> None:
    X, y = toy(40, seed=5)
    X_new = toy(5, seed=6)[0]

    def run(seed: int) -> np.ndarray:
        pred = cls(encoding="features", random_state=seed, **params).fit(records(X, y))
        return np.concatenate(pred.predict_dist(records(X_new, np.zeros(5))))

    np.testing.assert_array_equal(run(0), run(0))
    assert not np.allclose(run(0), run(1))
