"""Callbacks that watch or stop a :class:`~nasperf.training.Trainer` run.

A callback subclasses :class:`Callback` and overrides the hooks it needs. ``epoch`` is the
0-based index of the epoch that just ended; ``logs`` holds that epoch's curve values (see
:data:`~nasperf.training.CURVES`). While a run is going, the trainer is seen through a
:class:`TrainerView`: ``trainer.config``, ``trainer.data`` (the
:class:`~nasperf.data.ArrayDataset`), ``trainer.device`` and ``trainer.history`` (the curves
so far, as lists).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from ..exceptions import ConfigurationError
from ._callback import Callback
from ._utils import restore_modes

if TYPE_CHECKING:  # pragma: no cover
    from ._callback import TrainerView
    from .result import TrainResult

__all__ = ["Callback", "StopAfter", "FeatureCapture"]

logger = logging.getLogger(__name__)


class StopAfter(Callback):
    """Stop the run after ``epochs`` epochs; the schedule stays that of the full run, so the
    epochs trained are exactly the first ones of the full run (short-budget estimators)."""

    def __init__(self, epochs: int) -> None:
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ConfigurationError(f"epochs must be an int >= 1, got {epochs!r}")
        self.epochs = epochs

    def on_epoch_end(
        self, trainer: TrainerView, model: nn.Module, epoch: int, logs: dict[str, float]
    ) -> bool | None:
        return epoch + 1 >= self.epochs


def _classifier(model: nn.Module) -> tuple[str, nn.Module]:
    """The model's ``classifier`` module if it has one, else its last ``nn.Linear``."""
    names = {module: name for name, module in model.named_modules()}
    head = getattr(model, "classifier", None)
    if isinstance(head, nn.Module) and head in names:
        return names[head], head
    linears = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ConfigurationError(
            f"{type(model).__name__} has no `classifier` attribute and no nn.Linear; "
            "name the modules to capture, e.g. FeatureCapture(modules=['head'])"
        )
    return linears[-1]


class FeatureCapture(Callback):
    """Record activations after every epoch, for a fixed probe of training images and the
    whole validation split.

    ``modules`` names submodules (as in ``model.named_modules()``) whose outputs are recorded;
    by default the input of the final classifier (the model's ``classifier`` attribute, else
    its last ``nn.Linear``) is. Each sample's activations are flattened and the modules are
    concatenated along the feature axis (:attr:`feature_slices` says where each one is). The
    probe is ``probe_size`` training images (all of them if fewer), drawn once from ``seed``.
    After the run :attr:`train_features` and :attr:`val_features` are ``dtype`` arrays of shape
    ``(epochs, n_samples, feature_dim)``, with the labels in :attr:`train_labels` and
    :attr:`val_labels`. The forward passes run in eval mode under ``no_grad`` and the model's
    train/eval flags are restored. The validation features come from the trainer's own validation
    pass (through forward hooks), so the cost is one extra pass over the probe per epoch.
    """

    def __init__(
        self,
        modules: Sequence[str] | None = None,
        probe_size: int = 256,
        seed: int = 0,
        dtype: Any = np.float16,
    ) -> None:
        if isinstance(modules, str):
            modules = (modules,)
        if modules is not None:
            modules = tuple(modules)
            if not modules or not all(isinstance(m, str) for m in modules):
                raise ConfigurationError(
                    f"modules must be None or a non-empty list of module names, got {modules!r}; "
                    "e.g. FeatureCapture(modules=['cells.2'])"
                )
        if isinstance(probe_size, bool) or not isinstance(probe_size, (int, np.integer)):
            raise ConfigurationError(f"probe_size must be a positive integer, got {probe_size!r}")
        if probe_size < 1:
            raise ConfigurationError(f"probe_size must be a positive integer, got {probe_size!r}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ConfigurationError(f"seed must be a non-negative integer, got {seed!r}")
        try:
            np_dtype = np.dtype(dtype)
        except TypeError as exc:
            raise ConfigurationError(f"dtype must be a numpy float type, got {dtype!r}") from exc
        if np_dtype.kind != "f":
            raise ConfigurationError(
                f"dtype must be a numpy float type such as np.float16, got {np_dtype}"
            )
        self.modules = modules
        self.probe_size = int(probe_size)
        self.seed = int(seed)
        self.dtype = np_dtype
        self._reset()

    def _reset(self) -> None:
        self._remove_val_hooks()
        self.probe_indices: np.ndarray = np.zeros(0, dtype=np.int64)
        self.train_labels: np.ndarray = np.zeros(0, dtype=np.int64)
        self.val_labels: np.ndarray = np.zeros(0, dtype=np.int64)
        self.epochs: list[int] = []
        self.feature_slices: dict[str, slice] = {}
        self._targets: list[tuple[str, nn.Module, bool]] = []
        self._train: np.ndarray | None = None
        self._val: np.ndarray | None = None
        self._capacity = 0
        self._inputs: dict[str, torch.Tensor] = {}
        self._batch = 256
        self._val_chunks: dict[str, list[np.ndarray]] = {}
        self._val_pending: np.ndarray | None = None
        self._val_x: np.ndarray | None = None

    # -- results -----------------------------------------------------------------------------
    @property
    def train_features(self) -> np.ndarray:
        """Probe activations, ``(epochs, probe_size, feature_dim)``."""
        return self._filled(self._train, len(self.probe_indices))

    @property
    def val_features(self) -> np.ndarray:
        """Validation activations, ``(epochs, n_val, feature_dim)``."""
        return self._filled(self._val, len(self.val_labels))

    @property
    def nbytes(self) -> int:
        """Bytes held by the feature arrays (allocated, including room for later epochs)."""
        return sum(a.nbytes for a in (self._train, self._val) if a is not None)

    @property
    def used_bytes(self) -> int:
        """Bytes of the features recorded so far."""
        return self.train_features.nbytes + self.val_features.nbytes

    def _filled(self, buffer: np.ndarray | None, n: int) -> np.ndarray:
        if buffer is None:
            return np.zeros((0, n, 0), dtype=self.dtype)
        return buffer[: len(self.epochs)]

    # -- hooks -------------------------------------------------------------------------------
    def on_train_begin(self, trainer: TrainerView, model: nn.Module) -> None:
        self._reset()
        data, device = trainer.data, trainer.device
        if self.modules is None:
            name, module = _classifier(model)
            self._targets = [(f"{name}:input", module, True)]
        else:
            named = dict(model.named_modules())
            missing = [m for m in self.modules if m not in named]
            if missing:
                known = [n for n in named if n][:12]
                raise ConfigurationError(
                    f"{type(model).__name__} has no module named {missing[0]!r}; names include "
                    f"{', '.join(known)}{', ...' if len(named) > 13 else ''}"
                )
            self._targets = [(m, named[m], False) for m in self.modules]
        n_train = len(data.y_train)
        size = min(self.probe_size, n_train)
        if size < self.probe_size:
            logger.debug("probe_size %d > %d training images: using all", self.probe_size, size)
        self.probe_indices = np.sort(data.sample_indices(size, "train", seed=self.seed))
        self.train_labels = data.y_train[self.probe_indices]
        self.val_labels = data.y_val.copy()
        self._inputs = {"train": torch.from_numpy(data.x_train[self.probe_indices]).to(device)}
        self._val_x = data.x_val  # put on the device only if the trainer's pass is not heard
        # room for a few epochs first, doubled as needed: a run stopped early holds little
        self._capacity = max(1, min(trainer.config.epochs, 4))
        self._batch = trainer.config.eval_batch

    def on_validation_begin(self, trainer: TrainerView, model: nn.Module, epoch: int) -> None:
        # record the trainer's own validation pass rather than running a second one
        self._remove_val_hooks()
        self._val_pending = None
        self._val_chunks = {}
        self._val_hooks = self._hook(self._val_chunks)

    def on_validation_end(self, trainer: TrainerView, model: nn.Module, epoch: int) -> None:
        self._remove_val_hooks()
        chunks, self._val_chunks = self._val_chunks, {}
        parts = [chunks.get(name, []) for name, _, _ in self._targets]
        rows = [sum(len(c) for c in part) for part in parts]
        if rows and all(r == len(self.val_labels) for r in rows):
            self._val_pending = self._join(parts)
        else:
            logger.debug(
                "the validation pass gave %s rows for %d labels; capturing with a pass of its own",
                rows,
                len(self.val_labels),
            )

    def _remove_val_hooks(self) -> None:
        for handle in getattr(self, "_val_hooks", ()):
            handle.remove()
        self._val_hooks: list[Any] = []

    def on_epoch_end(
        self, trainer: TrainerView, model: nn.Module, epoch: int, logs: dict[str, float]
    ) -> bool | None:
        train = self._capture(model, self._inputs["train"])
        val, self._val_pending = self._val_pending, None
        if val is None:  # a trainer that does not announce its validation pass
            if "val" not in self._inputs and self._val_x is not None:
                self._inputs["val"] = torch.from_numpy(self._val_x).to(self._inputs["train"].device)
            val = self._capture(model, self._inputs["val"])
        if self._train is None or self._val is None:
            self._train = np.empty((self._capacity,) + train.shape, dtype=self.dtype)
            self._val = np.empty((self._capacity,) + val.shape, dtype=self.dtype)
        row = len(self.epochs)
        if row == len(self._train):  # a run longer than planned: grow by doubling
            self._train = np.concatenate([self._train, np.empty_like(self._train)])
            self._val = np.concatenate([self._val, np.empty_like(self._val)])
        self._train[row] = train
        self._val[row] = val
        self.epochs.append(int(epoch))
        logger.debug("captured %d features after epoch %d", train.shape[1], epoch + 1)
        return None

    def on_train_end(self, trainer: TrainerView, model: nn.Module, result: TrainResult) -> None:
        self._remove_val_hooks()
        self._inputs = {}
        self._val_x = None
        if self._train is not None:
            logger.info(
                "FeatureCapture: %d epochs x (%d probe + %d val) samples x %d features, %.2f MiB",
                len(self.epochs),
                len(self.probe_indices),
                len(self.val_labels),
                self._train.shape[-1],
                self.nbytes / 2**20,
            )

    def _hook(self, chunks: dict[str, list[np.ndarray]]) -> list[Any]:
        """Forward hooks on the targets that append their activations to ``chunks``."""

        def hook(name: str, use_input: bool):  # noqa: ANN202 - a forward hook
            def record(module: nn.Module, args: tuple, output: object) -> None:
                value = args[0] if use_input else output
                if not isinstance(value, torch.Tensor):
                    raise ConfigurationError(
                        f"module {name!r} gives a {type(value).__name__}, not a tensor; "
                        "capture a module whose output is a tensor"
                    )
                flat = value.detach().reshape(value.shape[0], -1).float().cpu().numpy()
                with np.errstate(over="ignore"):  # beyond float16's range: stored as +-inf
                    chunks.setdefault(name, []).append(flat.astype(self.dtype, copy=False))

            return record

        return [m.register_forward_hook(hook(n, i)) for n, m, i in self._targets]

    def _join(self, parts: list[list[np.ndarray]]) -> np.ndarray:
        """``(n, feature_dim)`` from each target's chunks, recording where each target sits."""
        arrays = [np.concatenate(p) for p in parts]
        if not self.feature_slices:
            offset = 0
            for (name, _, _), part in zip(self._targets, arrays, strict=True):
                self.feature_slices[name] = slice(offset, offset + part.shape[1])
                offset += part.shape[1]
        return np.concatenate(arrays, axis=1)

    def _capture(self, model: nn.Module, x: torch.Tensor) -> np.ndarray:
        """Activations of the targets for inputs ``x``, ``(n, feature_dim)`` in ``dtype``."""
        chunks: dict[str, list[np.ndarray]] = {}
        handles = self._hook(chunks)
        try:
            with restore_modes(model), torch.no_grad():
                model.eval()
                for start in range(0, len(x), self._batch):
                    model(x[start : start + self._batch])
        finally:
            for handle in handles:
                handle.remove()
        return self._join([chunks[name] for name, _, _ in self._targets])

    # -- checkpoints -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"epochs": list(self.epochs)}
        if self._train is not None and self._val is not None:
            state["train"] = torch.from_numpy(np.ascontiguousarray(self.train_features))
            state["val"] = torch.from_numpy(np.ascontiguousarray(self.val_features))
            state["slices"] = {k: [v.start, v.stop] for k, v in self.feature_slices.items()}
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        epochs = [int(e) for e in state.get("epochs", [])]
        if not epochs or "train" not in state:
            return
        train, val = state["train"].numpy(), state["val"].numpy()
        self._capacity = max(self._capacity, 2 * len(epochs))
        self._train = np.empty((self._capacity,) + train.shape[1:], dtype=self.dtype)
        self._val = np.empty((self._capacity,) + val.shape[1:], dtype=self.dtype)
        self._train[: len(epochs)] = train
        self._val[: len(epochs)] = val
        self.epochs = epochs
        self.feature_slices = {k: slice(int(a), int(b)) for k, (a, b) in state["slices"].items()}
