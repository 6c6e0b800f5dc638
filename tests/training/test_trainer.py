"""The training engine: curves, determinism, divergence, callbacks, feature capture, resume."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from nasperf.exceptions import ConfigurationError
from nasperf.training import CURVES, TrainConfig, TrainResult

torch = pytest.importorskip("torch")
nn = torch.nn

from nasperf.data import load_dataset  # noqa: E402
from nasperf.spaces import get_space  # noqa: E402
from nasperf.training import Callback, FeatureCapture, Trainer, seeded  # noqa: E402

ARCH = "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|"
FAST = TrainConfig(epochs=3, batch_size=32, lr=0.05)


@pytest.fixture(scope="module")
def data():
    """Digits 8x8: 300 training, 180 validation and 359 test images."""
    return load_dataset("digits", limit=300)


def nb201(seed: int = 0) -> nn.Module:
    with seeded(seed):
        return get_space("nb201").build(ARCH, C=4, N=1, in_channels=1, num_classes=10)


class SmallNet(nn.Module):
    """A tiny CNN with dropout, so the run depends on the torch RNG."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(2)
        )
        self.dropout = nn.Dropout(0.3)
        self.classifier = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.features(x).flatten(1)))


def small(seed: int = 0) -> nn.Module:
    with seeded(seed):
        return SmallNet()


def same_curves(a: TrainResult, b: TrainResult) -> None:
    for name in CURVES:
        if name != "epoch_time":
            np.testing.assert_array_equal(a.curves[name], b.curves[name], err_msg=name)


def same_weights(a: nn.Module, b: nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


# -- a normal run ----------------------------------------------------------------------------
def test_fit_records_curves_and_learns(data):
    result = Trainer(FAST).fit(nb201(), data)
    assert result.status == "ok" and result.ok
    assert result.reason == "completed 3 epochs"
    assert result.epochs_completed == 3
    for name in CURVES:
        assert result.curves[name].shape == (3,) and result.curves[name].dtype == np.float64
    curves = result.curves
    assert curves["train_loss"][-1] < curves["train_loss"][0]
    assert curves["val_loss"][-1] < curves["val_loss"][0]
    assert curves["val_acc"][-1] > 50.0  # percent; chance is 10
    assert np.all((curves["train_acc"] >= 0) & (curves["train_acc"] <= 100))
    assert np.all(curves["epoch_time"] > 0)
    # per-epoch cosine annealing to 0: lr * (1 + cos(pi * e / E)) / 2
    expected = [0.05 * (1 + math.cos(math.pi * e / 3)) / 2 for e in range(3)]
    np.testing.assert_allclose(curves["lr"], expected)
    assert result.best_val_acc == curves["val_acc"].max()
    assert result.final_val_acc == curves["val_acc"][-1]
    assert result.test_acc is not None and 0 <= result.test_acc <= 100
    assert result.total_time >= curves["epoch_time"].sum()
    text = json.dumps(result.to_dict(), allow_nan=False)
    again = TrainResult.from_dict(json.loads(text))
    same_curves(again, result)
    assert again.test_acc == result.test_acc and again.status == "ok"


def test_fit_is_deterministic_and_leaves_global_rng_alone(data):
    rng_before = torch.get_rng_state()
    a, b = small(), small()
    first = Trainer(FAST).fit(a, data)
    assert torch.equal(torch.get_rng_state(), rng_before)
    second = Trainer(FAST).fit(b, data)
    same_curves(first, second)
    same_weights(a, b)
    other = Trainer(TrainConfig(epochs=3, batch_size=32, lr=0.05, seed=1)).fit(small(), data)
    assert not np.array_equal(other.curves["train_loss"], first.curves["train_loss"])


def test_adam_per_step_schedule_clipping_smoothing(data):
    config = TrainConfig(
        optimizer="adam",
        lr=0.01,
        epochs=3,
        batch_size=50,
        schedule_unit="step",
        grad_clip=1.0,
        label_smoothing=0.1,
        eval_batch_size=1000,
        num_threads=1,
    )
    result = Trainer(config).fit(nb201(), data)
    assert result.status == "ok"
    assert result.curves["train_loss"][-1] < result.curves["train_loss"][0]
    # 6 steps per epoch: the rate of each epoch's first step
    expected = [0.01 * (1 + math.cos(math.pi * 6 * e / 18)) / 2 for e in range(3)]
    np.testing.assert_allclose(result.curves["lr"], expected)
    constant = Trainer(TrainConfig(epochs=2, batch_size=64, lr=0.02, schedule="constant"))
    np.testing.assert_allclose(constant.fit(small(), data).curves["lr"], [0.02, 0.02])


def test_evaluate_and_threads_restored(data):
    model = nb201()
    before = torch.get_num_threads()  # one: the suite pins it (conftest)
    torch.set_num_threads(2)
    try:
        Trainer(TrainConfig(epochs=1, batch_size=64, num_threads=1)).fit(model, data)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    model.train()
    scores = Trainer(FAST).evaluate(model, data, "test")
    assert set(scores) == {"loss", "acc"} and 0 <= scores["acc"] <= 100
    assert model.training


# -- divergence, failure and early stopping --------------------------------------------------
class NaNAfter(nn.Module):
    """Wraps a model; its training forwards give NaN logits after ``steps`` of them."""

    def __init__(self, inner: nn.Module, steps: int, error: bool = False) -> None:
        super().__init__()
        self.inner, self.steps, self.error, self.calls = inner, steps, error, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.inner(x)
        if self.training:
            self.calls += 1
            if self.calls > self.steps:
                if self.error:
                    raise RuntimeError("out of memory (simulated)")
                return out * float("nan")
        return out


def test_huge_lr_diverges_without_raising(data):
    result = Trainer(TrainConfig(epochs=3, batch_size=32, lr=1e6)).fit(nb201(), data)
    assert result.status == "diverged" and not result.ok
    assert "epoch 1/3" in result.reason and "step" in result.reason
    assert result.epochs_completed == 0
    assert all(len(v) == 0 for v in result.curves.values())
    assert result.test_acc is None and result.best_val_acc is None
    json.dumps(result.to_dict(), allow_nan=False)


def test_divergence_keeps_curves_so_far(data):
    model = NaNAfter(small(), steps=10 + 3)  # 10 steps per epoch: NaN at epoch 2, step 4
    result = Trainer(FAST).fit(model, data)
    assert result.status == "diverged"
    assert "epoch 2/3, step 4/10" in result.reason
    assert result.epochs_completed == 1
    assert all(len(v) == 1 for v in result.curves.values())
    assert np.isfinite(result.curves["train_loss"]).all()
    assert result.final_val_acc == result.curves["val_acc"][0]


def test_model_error_gives_failed_status(data):
    result = Trainer(FAST).fit(NaNAfter(small(), steps=12, error=True), data)
    assert result.status == "failed"
    assert "epoch 2/3" in result.reason and "out of memory" in result.reason
    assert result.epochs_completed == 1


class StopAt(Callback):
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch
        self.seen: list[int] = []
        self.ended = None

    def on_epoch_end(self, trainer, model, epoch, logs):
        self.seen.append(epoch)
        assert set(logs) == set(CURVES)
        return epoch == self.epoch

    def on_train_end(self, trainer, model, result):
        self.ended = result


def test_callback_stops_early(data):
    stop = StopAt(1)
    result = Trainer(FAST, [stop]).fit(small(), data)
    assert result.status == "ok" and result.epochs_completed == 2
    assert "StopAt" in result.reason and "epoch 2/3" in result.reason
    assert stop.seen == [0, 1] and stop.ended is result
    assert result.test_acc is not None


# -- feature capture -------------------------------------------------------------------------
class ModeSpy(Callback):
    """Before the capture (``check=False``): puts the model in train mode with one submodule in
    eval mode and logs the classifier's forwards from then on; after it: checks that the modes
    came back and that the capture's forwards ran in eval mode without gradients."""

    def __init__(self, log: list, check: bool) -> None:
        self.log, self.check, self.checks = log, check, 0

    def on_train_begin(self, trainer, model):
        if not self.check:
            model.classifier.register_forward_hook(
                lambda m, a, o: self.log.append((m.training, torch.is_grad_enabled()))
            )

    def on_epoch_end(self, trainer, model, epoch, logs):
        if self.check:
            assert model.training and not model.cells[0].training
            assert self.log and all(not training and not grad for training, grad in self.log)
            self.checks += 1
        else:
            model.train()
            model.cells[0].eval()
            self.log.clear()


def test_feature_capture(data):
    model = nb201()
    capture = FeatureCapture(probe_size=64, seed=3)
    log: list = []
    checker = ModeSpy(log, True)
    Trainer(FAST, [ModeSpy(log, False), capture, checker]).fit(model, data)
    assert checker.checks == 3  # modes restored, the capture ran in eval and no_grad
    assert capture.train_features.shape == (3, 64, 16)  # 4C pooled features
    assert capture.val_features.shape == (3, 180, 16)
    assert capture.train_features.dtype == capture.val_features.dtype == np.float16
    assert capture.nbytes == capture.train_features.nbytes + capture.val_features.nbytes
    assert capture.epochs == [0, 1, 2]
    assert capture.feature_slices == {"classifier:input": slice(0, 16)}
    np.testing.assert_array_equal(capture.train_labels, data.y_train[capture.probe_indices])
    np.testing.assert_array_equal(capture.val_labels, data.y_val)
    assert len(set(capture.probe_indices.tolist())) == 64
    # the last epoch's features are the trained model's pre-classifier features
    model.eval()
    with torch.no_grad():
        expected = model.forward_features(torch.from_numpy(data.x_val)).numpy()
    np.testing.assert_allclose(capture.val_features[-1], expected, rtol=1e-2, atol=1e-3)
    assert np.isfinite(capture.train_features).all()
    assert not np.array_equal(capture.val_features[0], capture.val_features[-1])

    again = FeatureCapture(probe_size=64, seed=3)
    other = FeatureCapture(probe_size=64, seed=4)
    Trainer(TrainConfig(epochs=1, batch_size=64), [again, other]).fit(nb201(), data)
    np.testing.assert_array_equal(again.probe_indices, capture.probe_indices)
    assert not np.array_equal(other.probe_indices, capture.probe_indices)


def test_feature_capture_named_modules(data):
    capture = FeatureCapture(["cells.0", "classifier"], probe_size=1000, dtype=np.float32)
    Trainer(TrainConfig(epochs=1, batch_size=64), [capture]).fit(nb201(), data)
    assert capture.train_features.shape == (1, 300, 4 * 8 * 8 + 10)  # probe capped at 300
    assert capture.train_features.dtype == np.float32
    assert capture.feature_slices == {"cells.0": slice(0, 256), "classifier": slice(256, 266)}
    with pytest.raises(ConfigurationError, match="no module named 'head'"):
        Trainer(FAST, [FeatureCapture(["head"])]).fit(nb201(), data)


class OwnValidationPass(FeatureCapture):
    """A capture that ignores the trainer's validation pass and runs its own."""

    def on_validation_begin(self, trainer, model, epoch):
        return None

    def on_validation_end(self, trainer, model, epoch):
        return None


def test_feature_capture_reuses_the_validation_pass(data):
    evaluated: dict[str, int] = {}

    for capture in (
        hooked := FeatureCapture(probe_size=64),
        own := OwnValidationPass(probe_size=64),
    ):
        name = type(capture).__name__
        evaluated[name] = 0

        def count(module, args, output, name=name):
            if not module.training:
                evaluated[name] += len(args[0])

        model = nb201()
        model.register_forward_hook(count)
        Trainer(FAST, [capture]).fit(model, data)
    # the same features, and one pass over the validation split per epoch instead of two
    np.testing.assert_array_equal(hooked.val_features, own.val_features)
    np.testing.assert_array_equal(hooked.train_features, own.train_features)
    assert evaluated["OwnValidationPass"] - evaluated["FeatureCapture"] == 3 * len(data.y_val)


class FailingValidation(Callback):
    def on_validation_begin(self, trainer, model, epoch):
        raise RuntimeError("a callback broke")


def test_feature_capture_leaves_no_hooks_behind(data):
    model = nb201()
    result = Trainer(FAST, [FeatureCapture(probe_size=16), FailingValidation()]).fit(model, data)
    assert result.status == "failed" and "a callback broke" in result.reason
    assert all(not m._forward_hooks for m in model.modules())


@pytest.mark.parametrize(
    "kwargs",
    [{"probe_size": 0}, {"seed": -1}, {"dtype": np.int32}, {"modules": []}, {"modules": [3]}],
)
def test_feature_capture_rejects_bad_arguments(kwargs):
    with pytest.raises(ConfigurationError):
        FeatureCapture(**kwargs)


# -- checkpoint and resume -------------------------------------------------------------------
class Interrupt(Callback):
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, trainer, model, epoch, logs):
        if epoch == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize(("epochs", "interrupt_at"), [(3, 1), (3, 2), (6, 4)])
def test_resume_equals_uninterrupted_run(data, tmp_path: Path, epochs: int, interrupt_at: int):
    # 6 epochs: more feature history in the checkpoint than the capture first makes room for
    config = TrainConfig(epochs=epochs, batch_size=32, lr=0.05, schedule_unit="step")
    straight_model, straight_capture = small(), FeatureCapture(probe_size=32)
    straight = Trainer(config, [straight_capture]).fit(straight_model, data)

    path = tmp_path / "run" / "ckpt.pt"
    with pytest.raises(KeyboardInterrupt):  # after the checkpoint of epoch `interrupt_at`
        Trainer(config, [FeatureCapture(probe_size=32), Interrupt(interrupt_at)]).fit(
            small(), data, checkpoint=path
        )
    assert path.exists() and [p.name for p in path.parent.iterdir()] == ["ckpt.pt"]

    resumed_model, resumed_capture = small(seed=7), FeatureCapture(probe_size=32)
    resumed = Trainer(config, [resumed_capture]).fit(resumed_model, data, checkpoint=path)
    assert resumed.status == "ok" and resumed.epochs_completed == epochs
    same_curves(resumed, straight)
    assert resumed.test_acc == straight.test_acc
    same_weights(resumed_model, straight_model)
    np.testing.assert_array_equal(resumed_capture.val_features, straight_capture.val_features)
    np.testing.assert_array_equal(resumed_capture.train_features, straight_capture.train_features)

    # a finished run is not trained again: its weights and result are loaded
    model, capture = small(seed=8), FeatureCapture(probe_size=32)
    done = Trainer(config, [capture]).fit(model, data, checkpoint=path)
    same_curves(done, straight)
    assert done.test_acc == straight.test_acc
    same_weights(model, straight_model)
    np.testing.assert_array_equal(capture.val_features, straight_capture.val_features)


def test_resume_refuses_other_settings(data, tmp_path: Path):
    path = tmp_path / "ckpt.pt"
    Trainer(TrainConfig(epochs=1, batch_size=64)).fit(small(), data, checkpoint=path)
    with pytest.raises(ConfigurationError, match="batch_size=64 -> 32"):
        Trainer(TrainConfig(epochs=1, batch_size=32)).fit(small(), data, checkpoint=path)
    with pytest.raises(ConfigurationError, match="another model"):
        Trainer(TrainConfig(epochs=1, batch_size=64)).fit(nb201(), data, checkpoint=path)



@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_unreadable_checkpoint_is_trained_from_scratch_with_a_warning(
    data, tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
):
    config = TrainConfig(epochs=2, batch_size=64)
    straight_model = small()
    straight = Trainer(config).fit(straight_model, data)
    path = tmp_path / "ckpt.pt"
    with pytest.raises(KeyboardInterrupt):
        Trainer(config, [Interrupt(1)]).fit(small(), data, checkpoint=path)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2] if damage == "truncate" else b"not a checkpoint")
    model = small()
    with caplog.at_level("WARNING", logger="nasperf.training"):
        result = Trainer(config).fit(model, data, checkpoint=path)
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("cannot be read" in m and str(path) in m for m in warned), warned
    assert result.status == "ok" and result.epochs_completed == 2
    same_curves(result, straight)  # trained from its first epoch, like an uninterrupted run
    same_weights(model, straight_model)
    caplog.clear()
    again = Trainer(config).fit(small(seed=3), data, checkpoint=path)  # replaced: readable
    assert not any("cannot be read" in r.getMessage() for r in caplog.records)
    same_curves(again, straight)  # the finished run is loaded, not trained again


# -- validation ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"optimizer": "rmsprop"}, "optimizer must be one of"),
        ({"lr": 0}, "lr must be"),
        ({"lr": float("nan")}, "lr must be"),
        ({"weight_decay": -1e-4}, "weight_decay"),
        ({"momentum": 1.0}, "momentum"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 32.0}, "batch_size"),
        ({"epochs": True}, "epochs"),
        ({"schedule": "step"}, "schedule must be one of"),
        ({"schedule_unit": "batch"}, "schedule_unit"),
        ({"label_smoothing": 1.0}, "label_smoothing"),
        ({"grad_clip": 0.0}, "grad_clip"),
        ({"eval_batch_size": 0}, "eval_batch_size"),
        ({"seed": -1}, "seed"),
        ({"num_threads": 0}, "num_threads"),
    ],
)
def test_bad_config_is_rejected_with_a_hint(kwargs, match):
    with pytest.raises(ConfigurationError, match=match) as info:
        TrainConfig(**kwargs)
    assert "e.g. TrainConfig(" in str(info.value)


def test_bad_trainer_arguments(data):
    with pytest.raises(ConfigurationError, match="TrainConfig"):
        Trainer({"epochs": 3})
    with pytest.raises(ConfigurationError, match="Callback"):
        Trainer(FAST, [object()])
    with pytest.raises(ConfigurationError, match="nn.Module"):
        Trainer(FAST).fit("model", data)
    with pytest.raises(ConfigurationError, match="ArrayDataset"):
        Trainer(FAST).fit(small(), {"x": 1})
    with pytest.raises(ConfigurationError, match="no parameters"):
        Trainer(FAST).fit(nn.ReLU(), data)


def test_seeded_restores_rngs():
    state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    with seeded(5):
        a = torch.rand(3)
        b = np.random.rand()
    with seeded(5):
        assert torch.equal(torch.rand(3), a) and np.random.rand() == b
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)
    with pytest.raises(ConfigurationError):
        with seeded(-1):
            pass


def test_until_pauses_and_continues_exactly(data, tmp_path: Path):
    config = TrainConfig(epochs=3, batch_size=32, lr=0.05)
    straight_model = small()
    straight = Trainer(config).fit(straight_model, data)
    path = tmp_path / "ckpt.pt"
    first = Trainer(config).fit(small(), data, checkpoint=path, until=1)
    assert first.status == "paused" and first.epochs_completed == 1 and not first.ok
    np.testing.assert_array_equal(first.curves["val_acc"], straight.curves["val_acc"][:1])
    second = Trainer(config).fit(small(seed=5), data, checkpoint=path, until=2)
    assert second.status == "paused" and second.epochs_completed == 2
    model = small(seed=6)
    last = Trainer(config).fit(model, data, checkpoint=path)
    assert last.status == "ok"
    same_curves(last, straight)
    same_weights(model, straight_model)
    with pytest.raises(ConfigurationError, match="needs a checkpoint"):
        Trainer(config).fit(small(), data, until=1)
    with pytest.raises(ConfigurationError, match="until must be"):
        Trainer(config).fit(small(), data, checkpoint=path, until=0)
