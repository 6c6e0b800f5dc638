"""FEAR: the two stages, the frozen part, the tail, the threshold and the time-ratio rule."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasperf.data import ArrayDataset  # noqa: E402
from nasperf.exceptions import ConfigurationError  # noqa: E402
from nasperf.predictors import make_predictor  # noqa: E402
from nasperf.predictors.training_based import (  # noqa: E402
    FearEstimator,
    FearSettings,
    TimeRatioRule,
    calibrate_threshold,
    frozen_except,
    tail_modules,
)
from nasperf.records import Record  # noqa: E402
from nasperf.training import TrainConfig, Trainer, seeded  # noqa: E402

nn = torch.nn


def blobs(seed: int = 0, n: int = 60) -> ArrayDataset:
    """3 separable classes of 1x8x8 images."""
    rng = np.random.default_rng(seed)
    splits = {}
    for split, m in (("train", n), ("val", n // 2), ("test", 6)):
        y = np.arange(m) % 3
        x = rng.normal(size=(m, 1, 8, 8)) + 1.5 * y[:, None, None, None]
        splits[f"x_{split}"] = x.astype(np.float32)
        splits[f"y_{split}"] = y
    return ArrayDataset(name="blobs", num_classes=3, **splits)


def net(width: int = 4) -> Any:
    return nn.Sequential(
        nn.Conv2d(1, width, 3, padding=1),
        nn.BatchNorm2d(width),
        nn.ReLU(),
        nn.Conv2d(width, width, 3, padding=1),
        nn.BatchNorm2d(width),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(width, 3),
    )


class Blind(nn.Module):
    """Sees zeros: it can never beat chance."""

    def __init__(self) -> None:
        super().__init__()
        self.body = net()

    def forward(self, x: Any) -> Any:
        return self.body(x * 0.0)


class Diverges(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = net()

    def forward(self, x: Any) -> Any:
        return self.body(x) * float("nan")


CONFIG = TrainConfig(epochs=10, batch_size=16, lr=0.05)


def estimator(**settings: Any) -> FearEstimator:
    return FearEstimator(FearSettings(**{"max_epochs": 6, "stage2_epochs": 2, **settings}), CONFIG)


def test_frozen_parameters_get_no_gradient_and_do_not_change() -> None:
    with seeded(0):
        model = net()
    tail = tail_modules(model, 2)  # the last BN and the classifier
    assert tail == ["4", "8"]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with frozen_except(model, tail):
        Trainer(TrainConfig(epochs=2, batch_size=16, lr=0.1, schedule="constant")).fit(
            model, blobs()
        )
        frozen = [p for n, p in model.named_parameters() if n.split(".")[0] not in tail]
        assert frozen and all(p.grad is None and not p.requires_grad for p in frozen)
    after = model.state_dict()
    for key, value in after.items():
        moved = not torch.equal(before[key], value)
        # weights and batch-norm statistics outside the tail stay exactly as they were
        assert moved == (key.split(".")[0] in tail), key
    assert all(p.requires_grad for p in model.parameters())  # restored on exit


def test_stage_two_trains_only_the_tail_of_an_estimate() -> None:
    est = estimator(threshold=0.5, tail=["8"])
    with seeded(0):
        model = net()
    seen: dict[str, Any] = {}
    original = est._stage2

    def spy(model: Any, *args: Any) -> Any:
        seen["before"] = {k: v.clone() for k, v in model.state_dict().items()}
        return original(model, *args)

    est._stage2 = spy  # type: ignore[method-assign]
    res = est.estimate(model, blobs())
    assert res.status == "ok" and res.stage2_epochs == 2
    for key, value in model.state_dict().items():
        assert torch.equal(seen["before"][key], value) != key.startswith("8."), key


def test_a_model_that_never_reaches_the_threshold_is_capped_and_recorded(caplog: Any) -> None:
    with seeded(0):
        model = Blind()
    with caplog.at_level(logging.INFO):
        res = estimator(threshold=0.95, tail=["body.8"]).estimate(model, blobs())
    assert res.capped and not res.reached and res.stage1_epochs == 6
    assert res.status == "ok" and res.score is not None  # scored all the same
    assert "did not reach" in caplog.text


def test_thresholds_share_one_stage_one() -> None:
    with seeded(0):
        model = net()
    low, high = estimator(tail=2).sweep(model, blobs(), [0.4, 0.9])
    assert low.reached and high.reached
    assert low.stage1_epochs <= high.stage1_epochs and low.threshold == 0.4
    assert low.stage1_seconds <= high.stage1_seconds
    assert low.stage1_acc >= 40.0 and high.stage1_acc >= 90.0


@pytest.mark.parametrize(
    ("tail", "match"),
    [
        ("head", "no module named 'head'"),
        (["8", "nope"], "no module named 'nope'"),
        (["0", "1", "3", "4", "8"], "nothing would be frozen"),
        (5, "covers the whole"),
        ("2", "no parameters"),
    ],
)
def test_bad_tails_are_refused_before_training(tail: Any, match: str) -> None:
    with seeded(0):
        model = net()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ConfigurationError, match=match):
        estimator(threshold=0.5, tail=tail).estimate(model, blobs())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_nb201_default_tail_is_the_last_stage() -> None:
    from nasperf.spaces import get_space

    space = get_space("nb201")
    arch = space.sample(np.random.default_rng(0))
    five = space.build(arch, C=4, N=5, in_channels=1)
    assert tail_modules(five) == [f"cells.{i}" for i in range(12, 17)] + ["lastact", "classifier"]
    one = space.build(arch, C=4, N=1, in_channels=1)
    assert tail_modules(one) == ["cells.4", "lastact", "classifier"]


def test_a_diverging_candidate_is_a_recorded_failure(caplog: Any) -> None:
    with seeded(0):
        model = Diverges()
    res = estimator(threshold=0.5, tail=["body.8"]).estimate(model, blobs())
    assert res.status == "diverged" and res.score is None and "non-finite" in res.reason
    pred = make_predictor("fear", threshold=0.5, tail=["body.8"], max_epochs=3,
                          train_config=CONFIG)  # fmt: skip
    recs = [Record(arch="nan", space="custom", info={"model": Diverges, "data": blobs()})]
    with caplog.at_level(logging.WARNING):
        score = pred.fit([]).predict(recs)
    assert score[0] == pytest.approx(100.0 / 3) and "diverged" in caplog.text


def test_time_ratio_rule_drops_exactly_the_slow_candidates() -> None:
    rule = TimeRatioRule(4.0)
    dropped = []
    for t in (3.0, 10.0, 13.0, 1.0, 4.5, 3.9, 2.0, 8.0, 8.1):
        if rule.admits(t):
            rule.observe(t)
        else:
            dropped.append(t)
    # fastest 3: limit 12 drops 13; fastest 1: limit 4 drops 4.5, 8.0 and 8.1 (2.0 passes)
    assert dropped == [13.0, 4.5, 8.0, 8.1]
    assert rule.fastest == 1.0 and rule.limit() == 4.0
    with pytest.raises(ConfigurationError):
        TimeRatioRule(0.5)


def test_a_stage_one_past_the_time_limit_is_dropped() -> None:
    with seeded(0):
        model = net()
    res = estimator(threshold=0.99, tail=2).estimate(model, blobs(), time_limit=1e-9)
    assert res.status == "dropped" and res.score is None and res.stage2_epochs == 0
    assert "time-ratio limit" in res.reason and res.stage1_epochs == 1


def test_calibrated_threshold_is_a_quantile_of_first_epoch_accuracy() -> None:
    assert calibrate_threshold([20.0, 40.0, 60.0], 0.5) == pytest.approx(0.4)
    assert calibrate_threshold([20.0, None, 60.0, float("nan")], 1.0) == pytest.approx(0.6)
    with pytest.raises(ConfigurationError, match="calibrated"):
        calibrate_threshold([None])
    with pytest.raises(ConfigurationError, match="threshold"):
        estimator().estimate(net(), blobs())  # no threshold and none calibrated


def test_predictor_calibrates_in_fit_and_is_deterministic() -> None:
    data = blobs()
    recs = [
        Record(arch=w, space="custom", info={"model": partial(net, w), "data": data})
        for w in (2, 4, 8)
    ]
    params = {"max_epochs": 4, "stage2_epochs": 2, "tail": 2, "train_config": CONFIG}
    pred = make_predictor("fear", **params).fit(recs)
    reference = FearEstimator(FearSettings(max_epochs=4), CONFIG)
    accs = []
    for w in (2, 4, 8):
        with seeded(0):  # as the predictor builds each record's model
            model = net(w)
        accs.append(reference.first_epoch_accuracy(model, data))
    assert pred.threshold_ == pytest.approx(calibrate_threshold(accs, 0.9))
    a = pred.predict(recs)
    b = make_predictor("fear", **params).fit(recs).predict(recs)
    assert np.array_equal(a, b) and np.all((a >= 0) & (a <= 100))


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"threshold": 1.5}, "threshold"),
        ({"metric": "test"}, "metric"),
        ({"stage2_epochs": 0}, "stage2_epochs"),
        ({"tail": 0}, "tail"),
        ({"tail": 3.5}, "tail"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        FearSettings(**settings)


def test_a_cap_longer_than_the_run_is_refused() -> None:
    est = FearEstimator(FearSettings(threshold=0.5, max_epochs=20), TrainConfig(epochs=10))
    with pytest.raises(ConfigurationError, match="longer than the full run"):
        est.estimate(net(), blobs())
