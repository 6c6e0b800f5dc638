"""The live-training options as one object, and the decorator that gives them to a command."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import options as opt

if TYPE_CHECKING:
    from ..benchmarks import LiveBenchmarkConfig

__all__ = [
    "LiveTrainingOptions",
    "with_live_training",
    "with_live_training_of_space",
    "PARAMETER",
    "FEATURE_HISTORY",
    "with_feature_history",
    "with_settings",
    "with_bundle",
]


@dataclass(frozen=True)
class LiveTrainingOptions:
    """How the cells of a live command are drawn, sized, fed and trained.

    The options ``--space`` to ``--data-root`` of ``make-benchmark``, ``search`` and
    ``estimate``, with the defaults of :mod:`nasperf.cli.options`. ``size`` and ``channels`` of
    0 keep the dataset's own, as None does.
    """

    space: str = opt.SPACE.default
    dataset: str = opt.DATASET.default
    cells: int = opt.CELLS.default
    seed: int = opt.SEED.default
    epochs: int = opt.EPOCHS.default
    batch_size: int = opt.BATCH_SIZE.default
    lr: float = opt.LR.default
    optimizer: str = opt.OPTIMIZER.default
    val_fraction: float = opt.VAL_FRACTION.default
    limit: int | None = opt.LIMIT.default
    nb201_c: int = opt.NB201_C.default
    nb201_n: int = opt.NB201_N.default
    size: int | None = opt.SIZE.default
    channels: int | None = opt.CHANNELS.default
    data_root: Path | None = opt.DATA_ROOT.default
    device: str = opt.DEVICE.default

    def config(
        self, proxies: tuple[str, ...] = (), proxy_batch: int = opt.PROXY_BATCH.default
    ) -> LiveBenchmarkConfig:
        """The :class:`~nasperf.benchmarks.LiveBenchmarkConfig` of these settings (checked
        there: bad values raise ConfigurationError or UnknownNameError, worded in terms of
        the command's options)."""
        from ..training import TrainConfig
        from .checks import options_named

        with options_named("TrainConfig", _TRAIN_FLAGS):
            train = TrainConfig(
                optimizer=self.optimizer,
                lr=self.lr,
                batch_size=self.batch_size,
                epochs=self.epochs,
            )
        with options_named("LiveBenchmarkConfig", _CONFIG_FLAGS):
            return self._config(train, proxies, proxy_batch)

    def _config(
        self, train: Any, proxies: tuple[str, ...], proxy_batch: int
    ) -> LiveBenchmarkConfig:
        from ..benchmarks import LiveBenchmarkConfig

        return LiveBenchmarkConfig(
            space=self.space,
            dataset=self.dataset,
            cells=self.cells,
            seed=self.seed,
            C=self.nb201_c,
            N=self.nb201_n,
            size=self.size or None,
            channels=self.channels or None,
            limit=self.limit,
            val_fraction=self.val_fraction,
            data_root=str(self.data_root) if self.data_root else None,
            train=train,
            proxies=proxies,
            proxy_batch=proxy_batch,
        )

    def archs(self) -> list[str]:
        """The ``cells`` cells of the space drawn under ``seed``."""
        from ..benchmarks import select_cells

        return select_cells(self.space, self.cells, self.seed)


#: the options behind the fields of TrainConfig and LiveBenchmarkConfig, for their messages (and
#: the wording of an option left unset)
_TRAIN_FLAGS = {"optimizer": "--optimizer", "lr": "--lr", "batch_size": "--batch-size",
                "epochs": "--epochs"}  # fmt: skip
_CONFIG_FLAGS = {"space": "--space", "dataset": "--dataset", "cells": "--cells", "seed": "--seed",
                 "C": "--nb201-c", "N": "--nb201-n", "size": "--size", "channels": "--channels",
                 "limit": "--limit", "val_fraction": "--val-fraction", "data_root": "--data-root",
                 "proxies": "--proxies", "proxy_batch": "--proxy-batch",
                 "None or an integer": "an integer"}  # fmt: skip

#: the typer option of each field of LiveTrainingOptions
_OPTIONS: dict[str, Any] = {
    "space": opt.SPACE,
    "dataset": opt.DATASET,
    "cells": opt.CELLS,
    "seed": opt.SEED,
    "epochs": opt.EPOCHS,
    "batch_size": opt.BATCH_SIZE,
    "lr": opt.LR,
    "optimizer": opt.OPTIMIZER,
    "val_fraction": opt.VAL_FRACTION,
    "limit": opt.LIMIT,
    "nb201_c": opt.NB201_C,
    "nb201_n": opt.NB201_N,
    "size": opt.SIZE,
    "channels": opt.CHANNELS,
    "data_root": opt.DATA_ROOT,
    "device": opt.DEVICE,
}

#: the parameter through which a command receives its LiveTrainingOptions
PARAMETER = "training"


def with_live_training(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` every live-training option; it receives them as one
    :class:`LiveTrainingOptions`, its ``training`` parameter."""
    return with_settings(LiveTrainingOptions, PARAMETER, _OPTIONS)(command)


def with_live_training_of_space(command: Callable[..., None]) -> Callable[..., None]:
    """:func:`with_live_training` without ``--cells``: for a command that draws its cells
    from the whole space as it goes (a search strategy), not a sample fixed in advance."""
    options = {k: v for k, v in _OPTIONS.items() if k != "cells"}
    return with_settings(LiveTrainingOptions, PARAMETER, options)(command)


#: the parameter through which a command receives its FeatureHistorySettings
FEATURE_HISTORY = "feature_history"

#: the option of each field of FeatureHistorySettings: (the command's parameter, the option)
_FEATURE_HISTORY_OPTIONS: dict[str, tuple[str, Any]] = {
    "epochs": ("short_epochs", opt.SHORT_EPOCHS),
    "variant": ("variant", opt.VARIANT),
    "k": ("k", opt.K),
    "probe_size": ("probe_size", opt.PROBE_SIZE),
    "layer": ("layer", opt.LAYER, str | None),
    "ema_decay": ("ema_decay", opt.EMA_DECAY),
    "c": ("c", opt.C),
}


def with_feature_history(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` the feature-history options (``--short-epochs``, ``--variant``, ``--k``,
    ``--probe-size``, ``--layer``, ``--ema-decay``, ``--c``); it receives them as one
    :class:`~nasperf.predictors.training_based.FeatureHistorySettings`, its ``feature_history``
    parameter (checked when the command runs, before any work)."""
    from ..predictors.training_based import FeatureHistorySettings

    settings = with_settings(FeatureHistorySettings, FEATURE_HISTORY, _FEATURE_HISTORY_OPTIONS)
    return settings(command)


def with_settings(
    cls: type, parameter: str, options: dict[str, Any]
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A decorator giving a command one option per field of the dataclass ``cls``; the command
    receives them as one ``cls`` instance, its ``parameter``.

    ``options`` maps a field to its typer option, or to ``(parameter name, option)`` when the
    command's parameter is named otherwise; a field it leaves out is no option of the command
    and keeps its default. Typer reads a command's options from its signature: the returned
    function has the command's own parameters followed by one per field.
    """

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        own = inspect.signature(command, eval_str=True)
        if parameter not in own.parameters:
            raise TypeError(f"{command.__name__} has no {parameter!r} parameter")
        hints = typing.get_type_hints(cls)
        spec = {
            f.name: _option_of(f.name, options[f.name], hints)
            for f in fields(cls)
            if f.name in options
        }
        clash = sorted({name for name, _, _ in spec.values()} & set(own.parameters))
        if clash:
            raise TypeError(f"{command.__name__} has parameters of {cls.__name__}: {clash}")
        added = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=hint)
            for name, option, hint in spec.values()
        ]
        kept = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for p in own.parameters.values()
            if p.name != parameter
        ]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> None:
            settings = cls(**{field: kwargs.pop(name) for field, (name, _, _) in spec.items()})
            command(**{parameter: settings}, **kwargs)

        wrapper.__signature__ = own.replace(parameters=[*kept, *added])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {
            **{p.name: p.annotation for p in kept},
            **{p.name: p.annotation for p in added},
            "return": None,
        }
        return wrapper

    return decorate


def _option_of(field: str, given: Any, hints: dict[str, Any]) -> tuple[str, Any, Any]:
    """``(parameter name, option, annotation)`` of a field from ``option``, ``(name, option)``
    or ``(name, option, annotation)``."""
    if not isinstance(given, tuple):
        return field, given, hints[field]
    if len(given) == 2:
        return given[0], given[1], hints[field]
    return given


def with_bundle(
    cls: type, parameter: str, parts: dict[str, Callable[..., Any]]
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A decorator giving a command the options of several settings objects at once, received
    as one ``cls(**{part: settings})``, its ``parameter``: ``parts`` maps each field of ``cls``
    to the :func:`with_settings` decorator that makes it. The command's own parameters stay
    options of their own."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        own = inspect.signature(command, eval_str=True).parameters.values()
        own_params = [p.replace(kind=p.KEYWORD_ONLY) for p in own if p.name != parameter]

        def bundled(**kwargs: Any) -> None:
            command(**{parameter: cls(**{part: kwargs.pop(part) for part in parts})}, **kwargs)

        shared = [inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY) for p in parts]
        bundled.__signature__ = inspect.Signature(shared + own_params)  # type: ignore[attr-defined]
        bundled.__name__, bundled.__doc__ = command.__name__, command.__doc__
        for settings in parts.values():
            bundled = settings(bundled)
        return bundled

    return decorate
