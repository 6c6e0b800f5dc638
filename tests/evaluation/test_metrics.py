"""Tests of the White et al. 2021 metrics in nasperf.evaluation.metrics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from nasperf.evaluation.metrics import (
    METRICS,
    RANK_METRICS,
    compute_metrics,
    kendall_tau,
    mae,
    pearson,
    precision_at_k,
    rmse,
    sparse_kendall_tau,
    spearman,
)
from nasperf.exceptions import ConfigurationError, InvalidDataError, UnknownNameError

CORRELATIONS = [kendall_tau, spearman, pearson, sparse_kendall_tau]
ALL_FUNCS = [*CORRELATIONS, precision_at_k, mae, rmse]


def _data(seed: int, n: int = 200, ties: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = rng.normal(90.0, 3.0, n)
    y_pred = y_true + rng.normal(0.0, 2.0, n)
    if ties:  # coarse values: many ties in both arrays
        y_true = np.round(y_true)
        y_pred = np.round(y_pred / 2.0)
    return y_true, y_pred


# --- agreement with scipy --------------------------------------------------------------------


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_matches_scipy(seed: int, ties: bool) -> None:
    t, p = _data(seed, ties=ties)
    if ties:
        assert len(np.unique(t)) < len(t) and len(np.unique(p)) < len(p)
    assert kendall_tau(t, p) == pytest.approx(stats.kendalltau(t, p, variant="b").statistic)
    assert spearman(t, p) == pytest.approx(stats.spearmanr(t, p).statistic)
    assert pearson(t, p) == pytest.approx(stats.pearsonr(t, p).statistic)
    expected_sparse = stats.kendalltau(np.round(t, 1), np.round(p, 1)).statistic
    assert sparse_kendall_tau(t, p) == pytest.approx(expected_sparse)
    assert mae(t, p) == pytest.approx(np.mean(np.abs(t - p)))
    assert rmse(t, p) == pytest.approx(np.sqrt(np.mean((t - p) ** 2)))


def test_returns_python_floats() -> None:
    t, p = _data(0, n=30)
    for name, value in compute_metrics(t, p).items():
        assert type(value) is float, name


# --- hand-worked cases -----------------------------------------------------------------------


def test_perfect_and_reversed_order() -> None:
    t = [1.0, 2.0, 3.0, 4.0, 5.0]
    for func in (kendall_tau, spearman, sparse_kendall_tau):
        assert func(t, [10, 20, 30, 40, 50]) == pytest.approx(1.0)
        assert func(t, [50, 40, 30, 20, 10]) == pytest.approx(-1.0)
    assert pearson(t, [3, 5, 7, 9, 11]) == pytest.approx(1.0)  # affine: 2x + 1
    assert pearson(t, [-1, -2, -3, -4, -5]) == pytest.approx(-1.0)


def test_kendall_one_discordant_pair() -> None:
    # 6 pairs; only (3rd, 4th) is discordant: (5 concordant - 1 discordant) / 6
    assert kendall_tau([1, 2, 3, 4], [1, 2, 4, 3]) == pytest.approx((5 - 1) / 6)


def test_precision_at_k_by_hand() -> None:
    t = [5.0, 4.0, 3.0, 2.0, 1.0]  # true top-2 = {0, 1}, top-3 = {0, 1, 2}
    p = [5.0, 1.0, 4.0, 3.0, 2.0]  # predicted top-2 = {0, 2}, top-3 = {0, 2, 3}
    assert precision_at_k(t, p, k=1) == 1.0
    assert precision_at_k(t, p, k=2) == pytest.approx(1 / 2)
    assert precision_at_k(t, p, k=3) == pytest.approx(2 / 3)
    assert precision_at_k(t, p, k=5) == 1.0


def test_precision_at_k_ties_broken_by_position() -> None:
    # truth: index 0, then a tie between 1 and 2 -> the lower index (1) wins: top-2 = {0, 1}
    assert precision_at_k([3.0, 1.0, 1.0, 0.0], [3.0, 0.0, 1.0, 2.0], k=2) == pytest.approx(0.5)
    assert precision_at_k([3.0, 1.0, 1.0, 0.0], [3.0, 2.0, 0.0, 1.0], k=2) == 1.0
    # constant predictions: top-2 by prediction = {0, 1}; true top-2 = {3, 2}
    assert precision_at_k([0.0, 1.0, 2.0, 3.0], [7.0, 7.0, 7.0, 7.0], k=2) == 0.0
    assert precision_at_k([3.0, 2.0, 1.0, 0.0], [7.0, 7.0, 7.0, 7.0], k=2) == 1.0


def test_sparse_tau_rounding_creates_ties() -> None:
    t = [90.01, 90.04, 91.0, 92.0]
    p = [90.04, 90.01, 91.0, 92.0]  # first pair discordant, but within 0.1 points
    assert kendall_tau(t, p) == pytest.approx((5 - 1) / 6)
    # rounded: both [90.0, 90.0, 91.0, 92.0]; tau-b = 5 / sqrt(5 * 5) = 1
    assert sparse_kendall_tau(t, p) == pytest.approx(1.0)
    # with more decimals nothing is tied and the value equals plain tau
    assert sparse_kendall_tau(t, p, decimals=2) == pytest.approx(kendall_tau(t, p))


def test_mae_rmse_by_hand() -> None:
    assert mae([1.0, 2.0, 3.0], [2.0, 2.0, 1.0]) == pytest.approx(1.0)
    assert rmse([1.0, 2.0, 3.0], [2.0, 2.0, 1.0]) == pytest.approx(np.sqrt(5 / 3))
    assert mae([1.0], [1.0]) == 0.0


# --- constant input: 0.0, no warning ---------------------------------------------------------


@pytest.mark.parametrize("func", CORRELATIONS)
def test_constant_input_gives_zero_without_warning(func) -> None:
    t, _ = _data(0, n=50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert func(t, np.full(50, 3.0)) == 0.0
        assert func(np.full(50, 3.0), t) == 0.0
        assert func([1.0, 1.0], [1.0, 1.0]) == 0.0


def test_sparse_tau_constant_after_rounding() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sparse_kendall_tau([1.0, 2.0, 3.0], [0.501, 0.502, 0.503]) == 0.0


def test_near_constant_pearson_no_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = pearson([1.0, 2.0, 3.0], [1e9, 1e9 + 1e-6, 1e9 + 2e-6])
    assert -1.0 <= value <= 1.0


def test_compute_metrics_constant_predictions_no_warning() -> None:
    t, _ = _data(1, n=40)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = compute_metrics(t, np.zeros(40))
    assert all(out[name] == 0.0 for name in ("kendall_tau", "spearman", "pearson"))
    assert out["sparse_kendall_tau"] == 0.0


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("func", ALL_FUNCS)
def test_nan_raises(func) -> None:
    t, p = _data(0, n=20)
    p[[3, 7]] = np.nan
    with pytest.raises(InvalidDataError, match=r"y_pred holds 2 non-finite values"):
        func(t, p)
    t[0] = np.inf
    with pytest.raises(InvalidDataError, match=r"y_true holds 1 non-finite value\b"):
        func(t, p)


@pytest.mark.parametrize("func", ALL_FUNCS)
def test_length_mismatch_raises(func) -> None:
    with pytest.raises(InvalidDataError, match="same length"):
        func([1.0, 2.0, 3.0], [1.0, 2.0])


@pytest.mark.parametrize("func", ALL_FUNCS)
def test_not_1d_raises(func) -> None:
    with pytest.raises(InvalidDataError, match="1-D"):
        func(np.ones((3, 2)), np.ones((3, 2)))


def test_non_numeric_raises() -> None:
    with pytest.raises(InvalidDataError, match="numeric"):
        kendall_tau(["a", "b"], [1.0, 2.0])


@pytest.mark.parametrize("func", CORRELATIONS)
def test_correlations_need_two_values(func) -> None:
    with pytest.raises(InvalidDataError, match="at least 2"):
        func([1.0], [1.0])
    with pytest.raises(InvalidDataError, match="at least 2"):
        func([], [])


@pytest.mark.parametrize("k", [0, -1, 6, 100])
def test_k_out_of_range_raises(k: int) -> None:
    with pytest.raises(ConfigurationError, match="k must be between 1 and"):
        precision_at_k([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], k=k)


def test_k_not_integer_raises() -> None:
    with pytest.raises(ConfigurationError, match="integer"):
        precision_at_k([1, 2, 3], [1, 2, 3], k=1.5)


def test_precision_default_k_needs_ten_values() -> None:
    with pytest.raises(ConfigurationError):
        precision_at_k([1, 2, 3], [1, 2, 3])


# --- registry and compute_metrics ------------------------------------------------------------


def test_registry_names() -> None:
    assert list(METRICS) == [
        "kendall_tau",
        "spearman",
        "pearson",
        "sparse_kendall_tau",
        "precision_at_k",
        "mae",
        "rmse",
    ]
    assert set(RANK_METRICS) <= set(METRICS)
    assert "mae" not in RANK_METRICS and "rmse" not in RANK_METRICS


def test_compute_metrics_all_and_subset() -> None:
    t, p = _data(2, n=60)
    out = compute_metrics(t, p)
    assert list(out) == list(METRICS)
    for name in METRICS:
        assert METRICS[name].summary  # listed with a one-line description
        assert out[name] == pytest.approx(METRICS.load(name)(t, p))
    assert list(compute_metrics(t, p, ("rmse", "kendall_tau"))) == ["rmse", "kendall_tau"]


def test_compute_metrics_small_test_set_clips_k() -> None:
    out = compute_metrics([1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0])
    assert out["precision_at_k"] == 1.0  # k = min(10, 4) = 4: all values
    assert out["kendall_tau"] == pytest.approx(-1.0)


def test_compute_metrics_unknown_name() -> None:
    with pytest.raises(UnknownNameError, match="unknown metric 'ndcg'"):
        compute_metrics([1.0, 2.0], [1.0, 2.0], ["ndcg"])


def test_compute_metrics_validates() -> None:
    with pytest.raises(InvalidDataError, match="y_pred holds 1 non-finite"):
        compute_metrics([1.0, 2.0, 3.0], [1.0, np.nan, 3.0])
    with pytest.raises(InvalidDataError, match="at least 2"):
        compute_metrics([1.0], [1.0])
    assert compute_metrics([1.0], [3.0], ["mae", "rmse"]) == {"mae": 2.0, "rmse": 2.0}
