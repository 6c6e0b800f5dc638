"""The :class:`Trainer`: a lean, deterministic, resumable classification training loop."""

from __future__ import annotations

import logging
import math
import os
import pickle
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data.arrays import ArrayDataset
from ..exceptions import ConfigurationError, InvalidDataError
from ._utils import model_device, restore_modes
from .callbacks import Callback
from .config import TrainConfig
from .result import CURVES, TrainResult

__all__ = ["Trainer"]

logger = logging.getLogger(__name__)

_CHECKPOINT_FORMAT = 1
# settings that may differ between the run that wrote a checkpoint and the one resuming it
_RESUMABLE_CHANGES = ("num_threads",)


def _cosine(base: float, t: float, total: float) -> float:
    return 0.5 * base * (1.0 + math.cos(math.pi * t / total))


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

    # -- the loop ----------------------------------------------------------------------------
    def _fit(
        self,
        model: nn.Module,
        data: ArrayDataset,
        device: torch.device,
        path: Path | None,
        until: int | None = None,
    ) -> TrainResult:
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
        first_epoch, prior_time = 0, 0.0

        for callback in self.callbacks:
            callback.on_train_begin(self, model)
        state = _load_checkpoint(path) if path is not None and path.exists() else None
        if state is not None:
            self._check_checkpoint(state, path)
            try:
                model.load_state_dict(state["model"])
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
                return self._end(model, result)
            optimizer.load_state_dict(state["optimizer"])
            torch.set_rng_state(state["rng"]["torch"])
            if device.type == "cuda" and state["rng"]["cuda"] is not None:
                torch.cuda.set_rng_state(state["rng"]["cuda"], device)
            order.set_state(state["rng"]["order"])
            first_epoch, prior_time = int(state["epoch"]), float(state["total_time"])
            logger.info("resuming from %s after epoch %d/%d", path, first_epoch, cfg.epochs)

        x_train, y_train = (torch.from_numpy(a).to(device) for a in data.split("train"))
        x_val, y_val = (torch.from_numpy(a).to(device) for a in data.split("val"))
        n, bs = len(y_train), cfg.batch_size
        steps = -(-n // bs)
        sizes = torch.full((steps,), float(bs), device=device)
        sizes[-1] = float(n - (steps - 1) * bs)
        status, reason = "ok", f"completed {cfg.epochs} epochs"
        finished = True
        last = cfg.epochs if until is None else min(until, cfg.epochs)
        if last < cfg.epochs:
            status, finished = "paused", False
            reason = f"paused after epoch {last}/{cfg.epochs}; fit again with a larger until"
        for epoch in range(first_epoch, last):
            tick = time.perf_counter()
            lrs = self._epoch_lrs(epoch, steps)
            try:
                train_loss, train_acc, bad_step = self._train_epoch(
                    model, optimizer, order, x_train, y_train, sizes, lrs
                )
                if bad_step is not None:
                    status, finished = "diverged", True
                    reason = (
                        f"non-finite training loss ({train_loss}) at epoch {epoch + 1}/"
                        f"{cfg.epochs}, step {bad_step + 1}/{steps}"
                    )
                    break
                try:  # every callback hears the end, even if a begin or the pass raised
                    for callback in self.callbacks:
                        callback.on_validation_begin(self, model, epoch)
                    val_loss, val_acc = self._evaluate(model, x_val, y_val)
                finally:
                    for callback in self.callbacks:
                        callback.on_validation_end(self, model, epoch)
                if not math.isfinite(val_loss):
                    status, finished = "diverged", True
                    reason = (
                        f"non-finite validation loss ({val_loss}) at epoch {epoch + 1}/{cfg.epochs}"
                    )
                    break
            except RuntimeError as exc:
                status, finished = "failed", False
                reason = f"epoch {epoch + 1}/{cfg.epochs}: {type(exc).__name__}: {exc}"
                logger.warning("training failed: %s", reason, exc_info=True)
                break
            logs = {
                "train_loss": train_loss,
                "train_acc": train_acc,
                "val_loss": val_loss,
                "val_acc": val_acc,
                "epoch_time": time.perf_counter() - tick,
                "lr": lrs[0],
            }
            for name in CURVES:
                self.history[name].append(logs[name])
            logger.debug(
                "epoch %d/%d: train_loss %.4f train_acc %.2f val_loss %.4f val_acc %.2f (%.2fs)",
                epoch + 1,
                cfg.epochs,
                train_loss,
                train_acc,
                val_loss,
                val_acc,
                logs["epoch_time"],
            )
            stop = [
                type(c).__name__
                for c in self.callbacks
                if c.on_epoch_end(self, model, epoch, dict(logs))
            ]
            if stop:
                status, finished = "ok", True
                reason = f"stopped by {', '.join(stop)} after epoch {epoch + 1}/{cfg.epochs}"
                break
            if path is not None and epoch + 1 < cfg.epochs:
                elapsed = prior_time + time.perf_counter() - start
                _save_checkpoint(
                    path, self._state(model, optimizer, order, epoch + 1, elapsed, None)
                )

        result = self._result(status, reason)
        if status == "ok":
            test_x, test_y = data.split("test")
            if len(test_y):
                x_test, y_test = (
                    torch.from_numpy(test_x).to(device),
                    torch.from_numpy(test_y).to(device),
                )
                result.test_loss, result.test_acc = self._evaluate(model, x_test, y_test)
        result.total_time = prior_time + time.perf_counter() - start
        if path is not None and finished:
            done = len(self.history["val_acc"])
            _save_checkpoint(
                path,
                self._state(model, optimizer, order, done, result.total_time, result.to_dict()),
            )
        log = logger.info if status in ("ok", "paused") else logger.warning
        log(
            "training %s after %d epochs in %.1fs: %s",
            status,
            result.epochs_completed,
            result.total_time,
            reason,
        )
        return self._end(model, result)

    def _train_epoch(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        order: torch.Generator,
        x: torch.Tensor,
        y: torch.Tensor,
        sizes: torch.Tensor,
        lrs: list[float],
    ) -> tuple[float, float, int | None]:
        """One pass over the training split: mean loss, accuracy (%) and the first bad step."""
        cfg = self.config
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

    @torch.no_grad()
    def _evaluate(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
        """Mean cross-entropy and accuracy (%) on ``(x, y)`` in eval mode; leaves it in eval."""
        model.eval()
        bs = self.config.eval_batch
        loss_sum = torch.zeros((), device=x.device)
        correct = torch.zeros((), dtype=torch.int64, device=x.device)
        for start in range(0, len(y), bs):
            out = model(x[start : start + bs])
            yb = y[start : start + bs]
            loss_sum += F.cross_entropy(out, yb, reduction="sum")
            correct += (out.argmax(1) == yb).sum()
        n = len(y)
        return loss_sum.item() / n, 100.0 * correct.item() / n

    # -- pieces ------------------------------------------------------------------------------
    def _make_optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        cfg = self.config
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

    def _epoch_lrs(self, epoch: int, steps: int) -> list[float]:
        """The learning rate of every step of ``epoch`` (one value when it does not change)."""
        cfg = self.config
        if cfg.schedule == "constant":
            return [cfg.lr]
        if cfg.schedule_unit == "epoch":
            return [_cosine(cfg.lr, epoch, cfg.epochs)]
        total = cfg.epochs * steps
        return [_cosine(cfg.lr, epoch * steps + i, total) for i in range(steps)]

    def _result(self, status: str, reason: str) -> TrainResult:
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
    def _state(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        order: torch.Generator,
        epoch: int,
        total_time: float,
        result: dict | None,
    ) -> dict[str, Any]:
        device = model_device(model)
        cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
        return {
            "format": _CHECKPOINT_FORMAT,
            "config": self.config.to_dict(),
            "epoch": epoch,
            "total_time": total_time,
            "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "optimizer": optimizer.state_dict(),
            "schedule": {"kind": self.config.schedule, "unit": self.config.schedule_unit},
            "rng": {"torch": torch.get_rng_state(), "cuda": cuda, "order": order.get_state()},
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


def _load_checkpoint(path: Path) -> dict[str, Any]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError) as exc:
        raise InvalidDataError(
            f"checkpoint {path} cannot be read ({exc}); delete it to start the run over"
        ) from exc
    if not isinstance(state, dict):
        raise InvalidDataError(f"checkpoint {path} is not a trainer checkpoint; delete it")
    return state
