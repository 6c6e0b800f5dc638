"""The :class:`Trainer`: a lean, deterministic, resumable classification training loop."""

from __future__ import annotations

import logging
import math
import os
import pickle
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data.arrays import ArrayDataset
from ..exceptions import ConfigurationError, InvalidDataError
from ._callback import Callback
from ._utils import model_device, restore_modes
from .config import TrainConfig
from .result import CURVES, RunStatus, TrainResult

__all__ = ["Trainer", "make_optimizer", "learning_rate", "evaluate_batches"]

logger = logging.getLogger(__name__)

_CHECKPOINT_FORMAT = 1
# settings that may differ between the run that wrote a checkpoint and the one resuming it
_RESUMABLE_CHANGES = ("num_threads",)


def _cosine(base: float, t: float, total: float) -> float:
    return 0.5 * base * (1.0 + math.cos(math.pi * t / total))


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """The optimizer of ``cfg`` over ``model``'s trainable parameters (SGD: Nesterov momentum)."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ConfigurationError(
            f"{type(model).__name__} has no parameters with requires_grad=True; "
            "unfreeze the parameters to train"
        )
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            params,
            lr=cfg.lr,
            momentum=cfg.momentum,
            weight_decay=cfg.weight_decay,
            nesterov=cfg.momentum > 0,
        )
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


@torch.no_grad()
def evaluate_batches(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy (%) of ``model`` on ``(x, y)`` in eval mode, in batches
    of ``batch_size``; leaves it in eval mode."""
    model.eval()
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), dtype=torch.int64, device=x.device)
    for start in range(0, len(y), batch_size):
        out = model(x[start : start + batch_size])
        yb = y[start : start + batch_size]
        loss_sum += F.cross_entropy(out, yb, reduction="sum")
        correct += (out.argmax(1) == yb).sum()
    n = len(y)
    return loss_sum.item() / n, 100.0 * correct.item() / n


def learning_rate(cfg: TrainConfig, epoch: int, step: int, steps: int) -> float:
    """The learning rate of ``step`` (of ``steps``) in ``epoch``: constant, or cosine by epoch
    or by step as ``cfg.schedule_unit`` says."""
    if cfg.schedule == "constant":
        return cfg.lr
    if cfg.schedule_unit == "epoch":
        return _cosine(cfg.lr, epoch, cfg.epochs)
    return _cosine(cfg.lr, epoch * steps + step, cfg.epochs * steps)


@dataclass
class _FitState:
    """What the steps of one :meth:`Trainer.fit` share: the model, its optimizer, the RNG of
    the batch order, where to checkpoint, and where the run starts (epoch, time so far)."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    order: torch.Generator
    device: torch.device
    path: Path | None
    start: float
    first_epoch: int = 0
    prior_time: float = 0.0

    def elapsed(self) -> float:
        """Wall seconds of the run, earlier sessions included."""
        return self.prior_time + time.perf_counter() - self.start


@dataclass(frozen=True)
class _Splits:
    """The training and validation splits on the model's device, and the batch sizes."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    sizes: torch.Tensor  # the size of each training batch, as floats
    steps: int

    @classmethod
    def on_device(cls, data: ArrayDataset, device: torch.device, batch_size: int) -> _Splits:
        """Move the splits of ``data`` to ``device`` once."""
        x_train, y_train = (torch.from_numpy(a).to(device) for a in data.split("train"))
        x_val, y_val = (torch.from_numpy(a).to(device) for a in data.split("val"))
        n = len(y_train)
        steps = -(-n // batch_size)
        sizes = torch.full((steps,), float(batch_size), device=device)
        sizes[-1] = float(n - (steps - 1) * batch_size)
        return cls(x_train, y_train, x_val, y_val, sizes, steps)


class _Ending(NamedTuple):
    """How a run ended; a ``finished`` one is not trained again when resumed."""

    status: RunStatus
    reason: str
    finished: bool


class Trainer:
    """Train a classifier on an :class:`~nasperf.data.ArrayDataset` under a :class:`TrainConfig`.

    Each epoch visits the training split once in a seeded random order (batches of
    ``batch_size``, the last one smaller), then evaluates the validation split in eval mode
    without gradients. The whole run is deterministic given ``config.seed`` and the model's
    initial weights: the torch RNG is forked and seeded for the run, so dropout is
    reproducible and the caller's RNG state is left alone. Batches are moved to the device of
    the model's parameters (the splits are moved there once).

    A NaN or infinite loss ends the run with status ``"diverged"`` (checked once per epoch, so
    the loop never waits on the device per step); an error raised by the model during an
    epoch (``RuntimeError``, e.g. out of memory) ends it with status ``"failed"``. Neither
    raises: the curves of the completed epochs are returned in both cases.

    >>> result = Trainer(TrainConfig(epochs=3, lr=0.05)).fit(model, data)  # doctest: +SKIP
    >>> result.curves["val_acc"], result.test_acc  # doctest: +SKIP
    """

    def __init__(
        self, config: TrainConfig | None = None, callbacks: Sequence[Callback] = ()
    ) -> None:
        config = TrainConfig() if config is None else config
        if not isinstance(config, TrainConfig):
            raise ConfigurationError(
                f"config must be a TrainConfig, got {type(config).__name__}; "
                "e.g. Trainer(TrainConfig(epochs=12))"
            )
        callbacks = tuple(callbacks)
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise ConfigurationError(
                    f"callbacks must be Callback instances, got {type(callback).__name__}; "
                    "subclass nasperf.training.Callback"
                )
        self.config = config
        self.callbacks = callbacks
        # set while fit runs, for callbacks
        self.data: ArrayDataset | None = None
        self.device: torch.device | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        self.history: dict[str, list[float]] = {name: [] for name in CURVES}

    def __repr__(self) -> str:
        names = ", ".join(type(c).__name__ for c in self.callbacks)
        return f"Trainer({self.config!r}, callbacks=[{names}])"

    # -- public API --------------------------------------------------------------------------
    def fit(
        self,
        model: nn.Module,
        data: ArrayDataset,
        *,
        checkpoint: str | Path | None = None,
        until: int | None = None,
    ) -> TrainResult:
        """Train ``model`` in place on ``data`` and return its :class:`TrainResult`.

        With ``checkpoint``, the full state (model, optimizer, RNGs, curves, callback states)
        is written there atomically after every epoch. If the file exists when ``fit`` starts,
        the run resumes from it and ends exactly as an uninterrupted run would (on CPU); a
        checkpoint of a finished run (``ok`` or ``diverged``) loads the final weights into
        ``model`` and returns the stored result without training. A ``failed`` run leaves the
        checkpoint of its last completed epoch, so calling ``fit`` again retries from there.
        The model is left in eval mode.

        ``until=k`` (with a checkpoint) pauses the run after epoch k of ``config.epochs``: the
        result has status ``"paused"`` and the curves so far, and a later ``fit`` with a larger
        ``until`` (or none) continues it exactly; this is how multi-fidelity searches promote a
        run to the next rung. The schedule is always that of the full ``config.epochs``.
        """
        self._check_fit_arguments(model, data, checkpoint, until)
        device = model_device(model)
        threads = torch.get_num_threads()
        if self.config.num_threads is not None:
            torch.set_num_threads(self.config.num_threads)
        devices = [device.index or 0] if device.type == "cuda" else []
        self.data, self.device = data, device
        try:
            with torch.random.fork_rng(devices=devices):
                return self._fit(
                    model, data, device, None if checkpoint is None else Path(checkpoint), until
                )
        finally:
            torch.set_num_threads(threads)
            self.data = None
            self.optimizer = None

    def evaluate(
        self, model: nn.Module, data: ArrayDataset, split: str = "val"
    ) -> dict[str, float]:
        """Cross-entropy ``loss`` and ``acc`` (percent) of ``model`` on a split, in eval mode."""
        device = model_device(model)
        x, y = (torch.from_numpy(a).to(device) for a in data.split(split))
        if len(y) == 0:
            raise InvalidDataError(f"{data.name}: the {split} split is empty")
        with restore_modes(model):
            loss, acc = self._evaluate(model, x, y)
        return {"loss": loss, "acc": acc}

    def _check_fit_arguments(
        self, model: object, data: object, checkpoint: object, until: object
    ) -> None:
        """Raise ConfigurationError or InvalidDataError on arguments :meth:`fit` cannot use."""
        if not isinstance(model, nn.Module):
            raise ConfigurationError(f"model must be a torch nn.Module, got {type(model).__name__}")
        if not isinstance(data, ArrayDataset):
            raise ConfigurationError(
                f"data must be an ArrayDataset, got {type(data).__name__}; "
                "load one with nasperf.data.load_dataset"
            )
        if until is not None:
            if isinstance(until, bool) or not isinstance(until, int) or until < 1:
                raise ConfigurationError(
                    f"until must be a whole number of epochs >= 1, got {until!r}"
                )
            if checkpoint is None and until < self.config.epochs:
                raise ConfigurationError(
                    "until needs a checkpoint path: a paused run is continued from it"
                )
        for split in ("train", "val"):
            if len(data.split(split)[1]) == 0:
                raise InvalidDataError(
                    f"{data.name}: the {split} split is empty; the trainer needs training and "
                    "validation examples (load the dataset with val_fraction > 0)"
                )

    # -- the loop ----------------------------------------------------------------------------
    def _fit(
        self,
        model: nn.Module,
        data: ArrayDataset,
        device: torch.device,
        path: Path | None,
        until: int | None = None,
    ) -> TrainResult:
        """The run inside :meth:`fit`'s forked RNGs: seed, resume, train the epochs, finish."""
        run = self._start(model, device, path)
        for callback in self.callbacks:
            callback.on_train_begin(self, model)
        stored = self._resume(run)
        if stored is not None:
            return self._end(model, stored)
        splits = _Splits.on_device(data, device, self.config.batch_size)
        ending = self._run_epochs(run, splits, until)
        return self._end(model, self._finish(run, data, ending))

    def _start(self, model: nn.Module, device: torch.device, path: Path | None) -> _FitState:
        """Seed the RNGs of the run, make its optimizer and clear the curves."""
        cfg = self.config
        start = time.perf_counter()
        torch.default_generator.manual_seed(cfg.seed)  # forked by fit, like the CUDA one
        if device.type == "cuda":
            with torch.cuda.device(device):
                torch.cuda.manual_seed(cfg.seed)
        order = torch.Generator()
        order.manual_seed(cfg.seed)
        optimizer = self._make_optimizer(model)
        self.optimizer = optimizer
        self.history = {name: [] for name in CURVES}
        return _FitState(model, optimizer, order, device, path, start)

    def _resume(self, run: _FitState) -> TrainResult | None:
        """Load the run's checkpoint if there is one; return the stored result of a finished
        run, else None (the run continues after the checkpoint's epoch, or from the start)."""
        path = run.path
        if path is None or not path.exists():
            return None
        state = _load_checkpoint(path)
        if state is None:  # cut short by a kill or a full disk: the run starts over
            return None
        self._check_checkpoint(state, path)
        try:
            run.model.load_state_dict(state["model"])
        except RuntimeError as exc:
            raise ConfigurationError(
                f"checkpoint {path} holds the weights of another model ({exc}); "
                "delete it or pass the model it was written for"
            ) from exc
        self.history = {name: list(state["history"][name]) for name in CURVES}
        for callback, saved in zip(self.callbacks, state["callbacks"], strict=False):
            callback.load_state_dict(saved)
        if state["result"] is not None:
            result = TrainResult.from_dict(state["result"])
            logger.info(
                "checkpoint %s holds a finished run (%s); not training", path, result.status
            )
            return result
        self._restore_progress(run, state)
        logger.info("resuming from %s after epoch %d/%d", path, run.first_epoch, self.config.epochs)
        return None

    @staticmethod
    def _restore_progress(run: _FitState, state: dict[str, Any]) -> None:
        """Put the optimizer, the RNGs and the epoch count of an unfinished run back."""
        run.optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"]["torch"])
        if run.device.type == "cuda" and state["rng"]["cuda"] is not None:
            torch.cuda.set_rng_state(state["rng"]["cuda"], run.device)
        run.order.set_state(state["rng"]["order"])
        run.first_epoch, run.prior_time = int(state["epoch"]), float(state["total_time"])

    def _run_epochs(self, run: _FitState, splits: _Splits, until: int | None) -> _Ending:
        """Train from the run's first epoch up to ``until`` (or the end); how the run ended."""
        cfg = self.config
        last = cfg.epochs if until is None else min(until, cfg.epochs)
        for epoch in range(run.first_epoch, last):
            logs = self._epoch(run, splits, epoch)
            if isinstance(logs, _Ending):
                return logs
            self._record(epoch, logs)
            stop = [
                type(c).__name__
                for c in self.callbacks
                if c.on_epoch_end(self, run.model, epoch, dict(logs))
            ]
            if stop:
                reason = f"stopped by {', '.join(stop)} after epoch {epoch + 1}/{cfg.epochs}"
                return _Ending(RunStatus.OK, reason, finished=True)
            if run.path is not None and epoch + 1 < cfg.epochs:
                self._save(run.path, run, epoch + 1, run.elapsed(), None)
        if last < cfg.epochs:
            reason = f"paused after epoch {last}/{cfg.epochs}; fit again with a larger until"
            return _Ending(RunStatus.PAUSED, reason, finished=False)
        return _Ending(RunStatus.OK, f"completed {cfg.epochs} epochs", finished=True)

    def _epoch(self, run: _FitState, splits: _Splits, epoch: int) -> dict[str, float] | _Ending:
        """Train and validate one epoch: its curve values, or how the run ended during it."""
        cfg = self.config
        tick = time.perf_counter()
        lrs = self._epoch_lrs(epoch, splits.steps)
        try:
            train_loss, train_acc, bad_step = self._train_epoch(run, splits, lrs)
            if bad_step is not None:
                reason = (
                    f"non-finite training loss ({train_loss}) at epoch {epoch + 1}/"
                    f"{cfg.epochs}, step {bad_step + 1}/{splits.steps}"
                )
                return _Ending(RunStatus.DIVERGED, reason, finished=True)
            val_loss, val_acc = self._validate(run.model, splits, epoch)
            if not math.isfinite(val_loss):
                reason = (
                    f"non-finite validation loss ({val_loss}) at epoch {epoch + 1}/{cfg.epochs}"
                )
                return _Ending(RunStatus.DIVERGED, reason, finished=True)
        except RuntimeError as exc:
            reason = f"epoch {epoch + 1}/{cfg.epochs}: {type(exc).__name__}: {exc}"
            logger.warning("training failed: %s", reason, exc_info=True)
            return _Ending(RunStatus.FAILED, reason, finished=False)
        return {
            "train_loss": train_loss,
            "train_acc": train_acc,
            "val_loss": val_loss,
            "val_acc": val_acc,
            "epoch_time": time.perf_counter() - tick,
            "lr": lrs[0],
        }

    def _validate(self, model: nn.Module, splits: _Splits, epoch: int) -> tuple[float, float]:
        """The validation pass of ``epoch``, announced to the callbacks."""
        try:  # every callback hears the end, even if a begin or the pass raised
            for callback in self.callbacks:
                callback.on_validation_begin(self, model, epoch)
            return self._evaluate(model, splits.x_val, splits.y_val)
        finally:
            for callback in self.callbacks:
                callback.on_validation_end(self, model, epoch)

    def _record(self, epoch: int, logs: dict[str, float]) -> None:
        """Append an epoch's curve values to the history."""
        for name in CURVES:
            self.history[name].append(logs[name])
        logger.debug(
            "epoch %d/%d: train_loss %.4f train_acc %.2f val_loss %.4f val_acc %.2f (%.2fs)",
            epoch + 1,
            self.config.epochs,
            logs["train_loss"],
            logs["train_acc"],
            logs["val_loss"],
            logs["val_acc"],
            logs["epoch_time"],
        )

    def _finish(self, run: _FitState, data: ArrayDataset, ending: _Ending) -> TrainResult:
        """The run's result: tested if ``ok``, timed, checkpointed if finished, logged."""
        result = self._result(ending.status, ending.reason)
        if ending.status == RunStatus.OK:
            self._test(run, data, result)
        result.total_time = run.elapsed()
        if run.path is not None and ending.finished:
            done = len(self.history["val_acc"])
            self._save(run.path, run, done, result.total_time, result.to_dict())
        log = logger.info if ending.status in (RunStatus.OK, RunStatus.PAUSED) else logger.warning
        log(
            "training %s after %d epochs in %.1fs: %s",
            ending.status,
            result.epochs_completed,
            result.total_time,
            ending.reason,
        )
        return result

    def _test(self, run: _FitState, data: ArrayDataset, result: TrainResult) -> None:
        """Set the result's test loss and accuracy, if the test split is not empty."""
        test_x, test_y = data.split("test")
        if len(test_y):
            x_test, y_test = (
                torch.from_numpy(test_x).to(run.device),
                torch.from_numpy(test_y).to(run.device),
            )
            result.test_loss, result.test_acc = self._evaluate(run.model, x_test, y_test)

    def _train_epoch(
        self, run: _FitState, splits: _Splits, lrs: list[float]
    ) -> tuple[float, float, int | None]:
        """One pass over the training split: mean loss, accuracy (%) and the first bad step."""
        cfg = self.config
        model, optimizer, order = run.model, run.optimizer, run.order
        x, y, sizes = splits.x_train, splits.y_train, splits.sizes
        bs, clip = cfg.batch_size, cfg.grad_clip
        groups = optimizer.param_groups
        params = [p for group in groups for p in group["params"]] if clip is not None else []
        per_step = len(lrs) > 1
        for group in groups:
            group["lr"] = lrs[0]
        perm = torch.randperm(len(y), generator=order).to(x.device)
        losses: list[torch.Tensor] = []
        correct: list[torch.Tensor] = []
        model.train()
        for step in range(len(sizes)):
            if per_step:
                for group in groups:
                    group["lr"] = lrs[step]
            idx = perm[step * bs : (step + 1) * bs]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            out = model(xb)
            loss = F.cross_entropy(out, yb, label_smoothing=cfg.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(params, clip)
            optimizer.step()
            losses.append(loss.detach())
            correct.append((out.detach().argmax(1) == yb).sum())
        step_losses = torch.stack(losses)
        n = float(len(y))
        summary = torch.stack(
            [(step_losses * sizes).sum() / n, torch.stack(correct).sum().to(step_losses.dtype)]
        ).tolist()
        mean_loss, n_correct = summary
        bad = None
        if not math.isfinite(mean_loss):
            bad_steps = torch.nonzero(~torch.isfinite(step_losses))
            bad = int(bad_steps[0, 0]) if len(bad_steps) else len(step_losses) - 1
            mean_loss = float(step_losses[bad])
        return mean_loss, 100.0 * n_correct / n, bad

    def _evaluate(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
        return evaluate_batches(model, x, y, self.config.eval_batch)

    # -- pieces ------------------------------------------------------------------------------
    def _make_optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        return make_optimizer(model, self.config)

    def _epoch_lrs(self, epoch: int, steps: int) -> list[float]:
        """The learning rate of every step of ``epoch`` (one value when it does not change)."""
        cfg = self.config
        if cfg.schedule == "constant" or cfg.schedule_unit == "epoch":
            return [learning_rate(cfg, epoch, 0, steps)]
        return [learning_rate(cfg, epoch, i, steps) for i in range(steps)]

    def _result(self, status: RunStatus, reason: str) -> TrainResult:
        curves = {name: np.asarray(self.history[name], dtype=np.float64) for name in CURVES}
        val = curves["val_acc"]
        return TrainResult(
            curves=curves,
            status=status,
            reason=reason,
            epochs_completed=len(val),
            best_val_acc=float(val.max()) if len(val) else None,
            final_val_acc=float(val[-1]) if len(val) else None,
        )

    def _end(self, model: nn.Module, result: TrainResult) -> TrainResult:
        model.eval()
        for callback in self.callbacks:
            callback.on_train_end(self, model, result)
        return result

    # -- checkpoints -------------------------------------------------------------------------
    def _save(
        self, path: Path, run: _FitState, epoch: int, total_time: float, result: dict | None
    ) -> None:
        """Checkpoint the run after ``epoch`` epochs (with its result when it is over)."""
        _save_checkpoint(path, self._state(run, epoch, total_time, result))

    def _state(
        self, run: _FitState, epoch: int, total_time: float, result: dict | None
    ) -> dict[str, Any]:
        device = model_device(run.model)
        cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
        return {
            "format": _CHECKPOINT_FORMAT,
            "config": self.config.to_dict(),
            "epoch": epoch,
            "total_time": total_time,
            "model": {k: v.detach().cpu() for k, v in run.model.state_dict().items()},
            "optimizer": run.optimizer.state_dict(),
            "schedule": {"kind": self.config.schedule, "unit": self.config.schedule_unit},
            "rng": {"torch": torch.get_rng_state(), "cuda": cuda, "order": run.order.get_state()},
            "history": {name: list(values) for name, values in self.history.items()},
            "callbacks": [callback.state_dict() for callback in self.callbacks],
            "result": result,
        }

    def _check_checkpoint(self, state: dict[str, Any], path: Path | None) -> None:
        if state.get("format") != _CHECKPOINT_FORMAT:
            raise InvalidDataError(
                f"checkpoint {path} has format {state.get('format')!r}, expected "
                f"{_CHECKPOINT_FORMAT}; delete it to start the run over"
            )
        saved, current = dict(state["config"]), self.config.to_dict()
        changed = [
            f"{key}={saved.get(key)!r} -> {value!r}"
            for key, value in current.items()
            if key not in _RESUMABLE_CHANGES and saved.get(key) != value
        ]
        if changed:
            raise ConfigurationError(
                f"checkpoint {path} was written with other settings ({', '.join(changed)}); "
                "resume with the same TrainConfig or delete the checkpoint"
            )
        if len(state["callbacks"]) != len(self.callbacks):
            logger.warning(
                "checkpoint %s has %d callback states but the trainer has %d callbacks",
                path,
                len(state["callbacks"]),
                len(self.callbacks),
            )


def _save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _load_checkpoint(path: Path) -> dict[str, Any] | None:
    """The state saved in ``path``; None, with a warning, when the file cannot be read (a
    truncated or damaged checkpoint: the run is trained from scratch and the file replaced)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        logger.warning(
            "checkpoint %s cannot be read (%s); training the run from scratch", path, reason
        )
        return None
    if not isinstance(state, dict):
        raise InvalidDataError(f"checkpoint {path} is not a trainer checkpoint; delete it")
    return state
