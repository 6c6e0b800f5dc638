"""PredictiveScheduler: its decisions on fake trials, and on a real (small) Ray Tune run."""

from __future__ import annotations

import importlib
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from nasperf.exceptions import ConfigurationError, OptionalDependencyError

MAX_T = 10  # default checkpoints for 10 epochs: 1, 2, 3, 5, 8


def test_importing_without_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    monkeypatch.setitem(sys.modules, "ray.tune", None)
    monkeypatch.delitem(sys.modules, "nasperf.integrations.ray_tune", raising=False)
    with pytest.raises(OptionalDependencyError, match=r"nasperf\[ray\]"):
        importlib.import_module("nasperf.integrations.ray_tune")


pytest.importorskip("ray.tune")
from ray import tune  # noqa: E402
from ray.tune.schedulers import TrialScheduler  # noqa: E402

from nasperf.integrations.ray_tune import PredictiveScheduler  # noqa: E402


def level_curve(level: float, seed: int, noise: float = 0.3) -> np.ndarray:
    """Accuracy over MAX_T epochs rising from half ``level`` towards it."""
    t = np.arange(1, MAX_T + 1)
    noise_t = noise * np.random.default_rng(seed).normal(size=MAX_T)
    return level * (1 - 0.5 * t**-0.8) + noise_t


def fake_trial(ident: str, lr: float = 0.01) -> SimpleNamespace:
    return SimpleNamespace(trial_id=ident, evaluated_params={"lr": lr}, config={"lr": lr})


def feed(scheduler: PredictiveScheduler, trial, values, sign: float = 1.0) -> list[str]:  # noqa: ANN001
    """Report ``values`` epoch by epoch (until a STOP); the decisions."""
    decisions = []
    for epoch, v in enumerate(values, start=1):
        result = {"training_iteration": epoch, "acc": sign * float(v)}
        decisions.append(scheduler.on_trial_result(None, trial, result))
        if decisions[-1] == TrialScheduler.STOP:
            break
    return decisions


def with_completed(n: int = 12, sign: float = 1.0, **kw) -> PredictiveScheduler:  # noqa: ANN003
    """A scheduler that has seen ``n`` trials, plateauing between 60 and 90, run to the end."""
    kw.setdefault("mode", "max" if sign > 0 else "min")
    scheduler = PredictiveScheduler(max_t=MAX_T, metric="acc", **kw)
    for i in range(n):
        trial = fake_trial(f"done{i}", lr=0.001 * (i + 1))
        values = sign * level_curve(60 + 30 * i / (n - 1), seed=i)
        assert set(feed(scheduler, trial, values, 1.0)) == {TrialScheduler.CONTINUE}
        scheduler.on_trial_complete(None, trial, {"training_iteration": MAX_T, "acc": values[-1]})
    return scheduler


def test_stops_a_clearly_bad_trial_at_the_first_checkpoint_and_keeps_a_good_one() -> None:
    scheduler = with_completed(min_completed=10)
    assert scheduler.completed == 12 and scheduler.stopped == set()
    before = scheduler.decisions  # the last two completed trials were judged too
    decisions = feed(scheduler, fake_trial("bad"), level_curve(20, seed=50))
    assert decisions == [TrialScheduler.STOP]
    good = feed(scheduler, fake_trial("good"), level_curve(95, seed=51))
    assert good == [TrialScheduler.CONTINUE] * MAX_T
    assert scheduler.stopped == {"bad"}
    assert scheduler.decisions == before + 1 + 5  # good judged at each checkpoint 1, 2, 3, 5, 8
    # a stopped trial is then completed by Ray: too short to teach the model
    scheduler.on_trial_complete(None, fake_trial("bad"), {"training_iteration": 1, "acc": 12.0})
    assert scheduler.completed == 12


def test_judges_only_at_checkpoints_and_after_min_completed() -> None:
    scheduler = with_completed(n=5, min_completed=6, checkpoints=[4])
    assert scheduler.checkpoints == [4]
    assert feed(scheduler, fake_trial("bad"), level_curve(20, seed=7)) == ["CONTINUE"] * MAX_T
    assert scheduler.decisions == 0  # 5 completed < 6
    scheduler = with_completed(n=8, min_completed=6, checkpoints=[4])
    assert feed(scheduler, fake_trial("bad"), level_curve(20, seed=7)) == ["CONTINUE"] * 3 + [
        "STOP"
    ]
    # a checkpoint skipped by a trial reporting every other epoch is judged at the next report
    sparse, before = fake_trial("sparse"), scheduler.decisions
    for epoch in (1, 3):
        assert scheduler.on_trial_result(None, sparse, {"training_iteration": epoch, "acc": 11.0})
    assert scheduler.decisions == before
    decision = scheduler.on_trial_result(None, sparse, {"training_iteration": 5, "acc": 12.0})
    assert decision == TrialScheduler.STOP and scheduler.decisions == before + 1


def test_a_loss_with_mode_min_and_a_diverged_trial() -> None:
    scheduler = with_completed(sign=-1.0, min_completed=10, log_params=["lr"])
    assert feed(scheduler, fake_trial("bad"), -level_curve(20, seed=8)) == ["STOP"]
    assert feed(scheduler, fake_trial("good"), -level_curve(95, seed=9)) == ["CONTINUE"] * MAX_T
    nan = [-50.0, float("nan")]
    assert feed(scheduler, fake_trial("nan"), nan) == ["CONTINUE", "STOP"]
    scheduler.on_trial_complete(None, fake_trial("nan"), {"training_iteration": 2, "acc": np.nan})
    assert scheduler.stopped == {"bad", "nan"} and scheduler.completed == 12


def test_metric_and_mode_from_the_tune_config() -> None:
    scheduler = PredictiveScheduler(max_t=MAX_T)
    with pytest.raises(ConfigurationError, match="needs a metric and a mode"):
        scheduler.on_trial_add(None, fake_trial("a"))
    assert scheduler.set_search_properties("acc", "max")
    assert not scheduler.set_search_properties("loss", "min")  # already set: Ray's convention
    scheduler.on_trial_add(None, fake_trial("a"))
    assert scheduler.metric == "acc"
    assert "0 stopped" in scheduler.debug_string()


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"delta": 0}, "delta"),
        ({"delta": 1.5}, "delta"),
        ({"max_t": 1}, "max_t"),
        ({"max_t": 10.0}, "max_t"),
        ({"min_completed": 2}, "min_completed"),
        ({"mode": "maximize"}, "maximize"),
        ({"metric": ""}, "metric"),
        ({"checkpoints": [0, 3]}, "checkpoints"),
        ({"checkpoints": [10]}, "checkpoints"),
        ({"checkpoints": []}, "checkpoints"),
        ({"predictor": "xgb"}, "xgb"),
        ({"predictor": "no-such"}, "no-such"),
        ({"log_params": "lr"}, "log_params"),
        ({"refit_growth": 0.5}, "refit_growth"),
    ],
)
def test_bad_settings_name_the_value(kwargs: dict, named: str) -> None:
    kwargs = {"max_t": MAX_T, **kwargs}
    with pytest.raises(ConfigurationError, match=named):
        PredictiveScheduler(**kwargs)


# -- a real Ray Tune run ------------------------------------------------------------------------
LEVELS = [80, 75, 85, 70, 78, 82, 20, 25, 90, 30, 72, 95, 15, 84, 22, 35]


def synthetic(config: dict) -> None:
    """A trial whose accuracy curve rises towards ``config["level"]`` (a few are clearly bad)."""
    values = level_curve(config["level"], seed=int(config["level"]), noise=0.2)
    for value in values:
        tune.report({"acc": float(value)})


@pytest.mark.ray
def test_a_tune_run_stops_the_bad_trials_and_keeps_the_best(tmp_path) -> None:  # noqa: ANN001
    import ray
    from ray import cloudpickle

    # the trials' workers cannot import this test module: ship its functions by value
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        # one trial at a time: which trials have completed when a trial is judged, and so the
        # decisions, do not depend on how the two CPUs interleave (CI saw a flaky run without it)
        scheduler = PredictiveScheduler(max_t=MAX_T, min_completed=5, delta=0.05)
        tuner = tune.Tuner(
            synthetic,
            param_space={"level": tune.grid_search(LEVELS)},
            tune_config=tune.TuneConfig(
                metric="acc",
                mode="max",
                scheduler=scheduler,
                reuse_actors=True,
                max_concurrent_trials=1,
            ),
            run_config=tune.RunConfig(storage_path=str(tmp_path), name="baker", verbose=0),
        )
        grid = tuner.fit()
    finally:
        ray.shutdown()
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    epochs = {r.config["level"]: r.metrics["training_iteration"] for r in grid}
    assert not grid.errors and len(epochs) == len(LEVELS)
    assert epochs[95] == MAX_T  # the best trial ran to the end
    assert grid.get_best_result().config["level"] == 95
    stopped = {level for level, e in epochs.items() if e < MAX_T}
    assert {level for level in LEVELS if level <= 35 and LEVELS.index(level) > 6} <= stopped
    assert 95 not in stopped and max(stopped) < 90  # the two best ran to the end
    assert len(scheduler.stopped) == len(stopped)
