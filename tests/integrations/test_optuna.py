"""PredictivePruner against Optuna's own conventions (studies built with create_trial)."""

from __future__ import annotations

import numpy as np
import pytest

from nasperf.exceptions import ConfigurationError

optuna = pytest.importorskip("optuna")
from nasperf.integrations.optuna import PredictivePruner  # noqa: E402

EPOCHS = 10


def curve(level: float, rng: np.random.Generator) -> list[float]:
    t = np.arange(1, EPOCHS + 1)
    return list(level - (level - 10) * t**-0.8 + 0.3 * rng.normal(size=EPOCHS))


def study_with_completed(
    n: int,
    direction: str = "maximize",
    levels: tuple[float, float] = (60, 90),
    pruner: PredictivePruner | None = None,
    seed: int = 0,
    **kw,  # noqa: ANN003
) -> optuna.Study:
    """A study with ``n`` completed trials whose curves plateau between ``levels``."""
    rng = np.random.default_rng(seed)
    study = optuna.create_study(direction=direction, pruner=pruner or PredictivePruner(**kw))
    sign = 1.0 if direction == "maximize" else -1.0
    low, high = levels
    for i in range(n):
        values = [sign * v for v in curve(low + (high - low) * rng.random(), rng)]
        study.add_trial(
            optuna.trial.create_trial(
                value=values[-1],
                params={"lr": 0.01 * (i + 1)},
                distributions={"lr": optuna.distributions.FloatDistribution(0.001, 1.0, log=True)},
                intermediate_values=dict(enumerate(values)),
            )
        )
    return study


def running(study: optuna.Study, values: dict[int, float]):  # noqa: ANN201
    trial = study.ask({"lr": optuna.distributions.FloatDistribution(0.001, 1.0, log=True)})
    for step, v in values.items():
        trial.report(v, step)
    return trial


def test_prunes_a_clearly_bad_trial_not_a_good_one() -> None:
    study = study_with_completed(15)
    rng = np.random.default_rng(1)
    bad = running(study, dict(enumerate(curve(20, rng)[:3])))
    assert bad.should_prune()
    good = running(study, dict(enumerate(curve(95, rng)[:3])))
    assert not good.should_prune()


def test_never_prunes_before_warmup_or_enough_trials() -> None:
    rng = np.random.default_rng(2)
    study = study_with_completed(15, n_warmup_steps=4)
    bad = running(study, dict(enumerate(curve(20, rng)[:3])))
    assert not bad.should_prune()  # 3 epochs < 4 warm-up steps
    bad.report(5.0, 3)
    assert bad.should_prune()
    few = study_with_completed(5)  # n_min_trials=10 by default
    assert not running(few, dict(enumerate(curve(20, rng)[:3]))).should_prune()
    empty = optuna.create_study(pruner=PredictivePruner())
    assert not empty.ask().should_prune()  # nothing reported yet


def test_missing_steps_and_minimize_direction() -> None:
    rng = np.random.default_rng(3)
    study = study_with_completed(15, direction="minimize")
    values = curve(20, rng)
    bad = running(study, {0: -values[0], 2: -values[2], 4: -values[4]})  # steps 1, 3 missing
    assert bad.should_prune()
    good_values = curve(95, rng)
    assert not running(study, {0: -good_values[0], 4: -good_values[4]}).should_prune()


def test_diverged_trial_is_pruned() -> None:
    study = study_with_completed(15)
    assert running(study, {0: 30.0, 1: float("nan")}).should_prune()


@pytest.mark.parametrize(
    "kwargs",
    [{"delta": 0}, {"delta": 1.0}, {"n_warmup_steps": -1}, {"n_min_trials": 2}, {"max_steps": 1}],
)
def test_bad_settings(kwargs) -> None:  # noqa: ANN001
    with pytest.raises(ConfigurationError):
        PredictivePruner(**kwargs)


def test_a_pruner_shared_by_two_studies_fits_each_its_own_model() -> None:
    first = study_with_completed(15)
    pruner = first.pruner
    rng = np.random.default_rng(4)
    assert running(first, dict(enumerate(curve(20, rng)[:3]))).should_prune()
    # a second study where every completed trial plateaus near 20: the same curve is now good
    low = study_with_completed(15, levels=(18, 20), pruner=pruner, seed=4)
    assert not running(low, dict(enumerate(curve(25, rng)[:3]))).should_prune()
    # and back in the first study its own model still decides: the low curve is pruned there
    assert running(first, dict(enumerate(curve(25, rng)[:3]))).should_prune()


def test_a_non_finite_prediction_never_stops_a_run(caplog) -> None:  # noqa: ANN001
    from nasperf.search import probability_at_least

    with caplog.at_level("WARNING"):
        assert probability_at_least(float("nan"), 1.0, 50.0) == 1.0
    assert "not stopped" in caplog.text
    assert probability_at_least(40.0, 1.0, 50.0) < 1e-6


@pytest.mark.parametrize("predictor", ["lc-pfn", "lc-pfn-study"])
def test_the_curve_pfn_drives_the_pruner(predictor: str) -> None:
    study = study_with_completed(15, predictor=predictor)
    rng = np.random.default_rng(1)
    # late in the run, one still near chance is stopped, one above every finished run is not
    # (the PFN's prior allows late rises, so it waits longer than LcSVR on a bad one)
    bad = running(study, dict(enumerate(curve(20, rng)[:8])))
    good = running(study, dict(enumerate(curve(95, rng)[:5])))
    assert bad.should_prune() and not good.should_prune()
