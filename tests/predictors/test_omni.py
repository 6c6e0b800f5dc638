"""OMNI and omni-cv: feature choice, z-scores from training records only, missing columns,
ablations, refusals of a benchmark lacking a named feature, and omni-cv's nested choice."""

from __future__ import annotations

import numpy as np
import pytest

from nasperf.exceptions import ConfigurationError, MissingRequirementError
from nasperf.predictors import make_predictor
from nasperf.predictors.hybrid import FeatureSpec, early_columns, zero_cost_columns
from nasperf.records import Record

pytest.importorskip("xgboost")


def scored_records(n: int, seed: int = 0, missing: float = 0.0) -> list[Record]:
    """Records whose target follows a zero-cost score ``sz_jacov`` and an early value
    ``val_acc_12ep`` (each noisy), with a feature vector of pure noise, a leak column
    ``test_acc_200ep`` and a hardware column that must never be used."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        y = float(rng.normal())
        scores = {
            "sz_jacov": y + 0.3 * rng.normal(),
            "val_acc_12ep": 50 + 5 * (y + 0.3 * rng.normal()),
            "test_acc_200ep": y,
            "pixel3_latency": float(rng.normal()),
        }
        if rng.random() < missing:
            del scores["sz_jacov"]
        curves = {"train_loss": 2.0 - 0.1 * y - 0.05 * np.arange(1, 6) + 0.01 * rng.normal(size=5)}
        out.append(
            Record(i, "custom", y, scores=scores, curves=curves, features=rng.normal(size=4))
        )
    return out


def test_columns_are_told_apart_by_name() -> None:
    names = [
        "sz_jacov",
        "jacob_cov",
        "naswot",
        "synflow",
        "params_m",
        "test_acc_200ep",
        "val_acc_12ep",
        "test_acc_12ep",
        "pixel3_latency",
        "train_loss_5ep",
        "sz_zzz",
    ]
    assert zero_cost_columns(names) == ["jacob_cov", "naswot", "params_m", "synflow", "sz_jacov"]
    assert early_columns(names) == ["train_loss_5ep", "val_acc_12ep"]
    # beside test_acc_200ep, 200 epochs is the full training: val_acc_200ep is no early result
    assert early_columns([*names, "val_acc_200ep"]) == ["train_loss_5ep", "val_acc_12ep"]
    assert early_columns(["val_acc_200ep"]) == ["val_acc_200ep"]  # nothing tells


def test_features_are_z_scored_with_the_training_records_statistics() -> None:
    train, test = scored_records(30, 0), scored_records(5, 1)
    spec = FeatureSpec(encoding="features", zero_cost="auto", early="auto")
    fitted = spec.fit(train)
    assert fitted.columns == {"zero_cost": ("sz_jacov",), "early": ("val_acc_12ep",)}
    X = fitted.transform(test)
    jac = np.array([r.scores["sz_jacov"] for r in train])
    expected = (np.array([r.scores["sz_jacov"] for r in test]) - jac.mean()) / jac.std()
    np.testing.assert_allclose(X[:, 0], expected)
    np.testing.assert_allclose(X[:, 2:], np.vstack([r.features for r in test]))  # the encoding
    assert X.shape == (5, 2 + 4)


def test_a_column_most_records_carry_is_filled_and_flagged() -> None:
    train = scored_records(60, 0, missing=0.3)
    fitted = FeatureSpec(encoding=None, early=None).fit(train)
    X = fitted.transform(train)
    lacking = np.array(["sz_jacov" not in r.scores for r in train])
    assert lacking.any()
    assert X.shape == (60, 2)  # the z-score and its missing flag
    np.testing.assert_array_equal(X[:, 1], lacking.astype(float))
    np.testing.assert_array_equal(X[lacking, 0], 0.0)
    rare = FeatureSpec(encoding="features", early=None).fit(scored_records(60, 0, missing=0.8))
    assert rare.columns["zero_cost"] == ()  # fewer than half carry it: not used


def test_curve_features_are_sotl_e_and_sotl_of_the_observed_prefix() -> None:
    train = scored_records(10)
    fitted = FeatureSpec(encoding=None, zero_cost=None, early=None, fidelity=3).fit(train)
    raw = fitted.raw(train)
    losses = np.vstack([r.curves["train_loss"][:3] for r in train])
    np.testing.assert_allclose(raw, np.column_stack([-losses[:, -1], -losses.sum(axis=1)]))
    assert fitted.names == ["train_loss@3", "sum(train_loss[:3])"]


@pytest.mark.parametrize("name", ["omni", "omni-xgb", "omni-cv"])
def test_a_named_feature_the_records_lack_is_refused(name: str) -> None:
    pred = make_predictor(name, encoding="features", zero_cost=("jacov",))
    with pytest.raises(MissingRequirementError, match="no 'jacov' score"):
        pred.fit(scored_records(20))
    pred = make_predictor(name, encoding="features", fidelity=8)
    with pytest.raises(MissingRequirementError, match="5 epochs of 'train_loss'"):
        pred.fit(scored_records(20))


def test_omni_refuses_a_benchmark_lacking_a_feature_before_any_trial() -> None:
    from nasperf.benchmarks import load_benchmark
    from nasperf.evaluation import ProtocolConfig, evaluate_predictors

    bench = load_benchmark("nb201-digits")  # shipped: jacov, no Suite-Zero sz_ columns
    config = ProtocolConfig(train_sizes=(10,), test_size=20, trials=1, seed=0)
    with pytest.raises(MissingRequirementError, match="no column 'sz_jacov'.*omni.*did you mean"):
        evaluate_predictors(bench, {"omni": make_predictor("omni[zero_cost='sz_jacov']")}, config)


def test_no_feature_at_all_is_a_configuration_error() -> None:
    pred = make_predictor("omni", encoding=None, zero_cost=None, early=None)
    with pytest.raises(ConfigurationError, match="no features"):
        pred.capabilities()


@pytest.mark.parametrize("name", ["omni-xgb", "omni-cv"])
def test_the_scores_carry_the_ranking_when_the_encoding_is_noise(name: str) -> None:
    from scipy.stats import kendalltau

    train, test = scored_records(60, 0), scored_records(100, 1)
    y = np.array([r.target for r in test])
    full = make_predictor(name, encoding="features").fit(train)
    plain = make_predictor("xgb", encoding="features").fit(train)
    tau_full = kendalltau(full.predict(test), y)[0]
    assert tau_full > 0.6 > kendalltau(plain.predict(test), y)[0] + 0.3
    leak = make_predictor(name, encoding="features", zero_cost=None, early=None, fidelity=None)
    # without scores only the noise encoding is left: the leak column is never read
    assert kendalltau(leak.fit(train).predict(test), y)[0] < 0.3


def test_omni_cv_chooses_on_training_records_and_predicts_each_record_alone() -> None:
    train, test = scored_records(40, 0), scored_records(12, 1)
    pred = make_predictor("omni-cv", encoding="features", random_state=3).fit(train)
    assert set(pred.choice_.split("+")) <= set(pred.cv_scores_)
    assert all(-1.0 <= v <= 1.0 for v in pred.cv_scores_.values())
    batch = pred.predict(test)
    one_by_one = np.concatenate([pred.predict([r]) for r in test])
    np.testing.assert_allclose(batch, one_by_one)
    again = make_predictor("omni-cv", encoding="features", random_state=3).fit(train)
    np.testing.assert_allclose(again.predict(test), batch)
    single = make_predictor("omni-cv", encoding="features", stack=False).fit(train)
    assert "+" not in single.choice_


def test_omni_widens_its_distribution_by_a_held_out_scale_and_keeps_its_predictions() -> None:
    train, test = scored_records(40, 0), scored_records(30, 1)
    raw = make_predictor("omni", encoding="features", n_estimators=100, calibrate=False)
    cal = make_predictor("omni", encoding="features", n_estimators=100)
    raw.fit(train)
    cal.fit(train)
    m0, s0 = raw.predict_dist(test)
    m1, s1 = cal.predict_dist(test)
    np.testing.assert_allclose(m1, m0)
    np.testing.assert_allclose(s1, s0 * cal.dist_scale_)
    assert raw.dist_scale_ == 1.0 and cal.dist_scale_ > 0
