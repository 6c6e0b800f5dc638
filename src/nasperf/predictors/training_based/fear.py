"""FEAR: rank architectures by their feature-extraction capability (Dey, Shah, Bubeck 2021).

Stage 1 trains the whole network under the full run's settings until its accuracy (training
accuracy by default, the running mean over the epoch's batches as the trainer records it)
reaches a threshold, or a cap on epochs, and records how long that took. Stage 2 freezes every
parameter outside a *tail* (the last cells, the last activation and the classifier) and trains
the tail alone for a few epochs at a constant learning rate; the score is the accuracy after
stage 2. The idea: a network whose early layers already extract good features reaches a high
accuracy when only its last layers may move.

Choices the paper leaves open, as implemented here (each a parameter):

- Frozen modules are held in eval mode during stage 2, so their batch-norm statistics stay
  those of stage 1 and their outputs do not change; frozen parameters get no gradient and no
  weight decay (they are left out of the optimizer). The archai branch that held the paper's
  code set ``module.requires_grad = False``, an attribute torch ignores, so nothing was frozen
  there; this implementation freezes, and tests it on the weights.
- Stage 2 uses a constant learning rate, so its first k epochs are exactly a k-epoch stage 2.
- The threshold is a fraction (``0.6`` means 60% accuracy). ``None`` derives it from the data:
  the ``quantile`` of the accuracy that ``calibration`` reference models reach after one epoch
  (:func:`calibrate_threshold`); the paper's per-dataset values (CIFAR-10 0.6, CIFAR-100 0.3,
  ImageNet16-120 0.2) do not transfer to other datasets.

:class:`TimeRatioRule` is the paper's rule for random search: a candidate whose stage-1 time
exceeds ``ratio`` times the fastest stage-1 time so far is dropped.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ...exceptions import ConfigurationError
from ...training import RunStatus
from ...validation import (
    Interval,
    Options,
    Predicate,
    validate_dataclass,
    validate_params,
)
from .feature_history import checked_estimator_args

__all__ = [
    "FEAR_METRICS",
    "FearSettings",
    "FearResult",
    "FearEstimator",
    "TimeRatioRule",
    "calibrate_threshold",
    "tail_modules",
    "frozen_except",
]

if TYPE_CHECKING:
    from torch import nn

    from ...data import ArrayDataset
    from ...training import TrainConfig

logger = logging.getLogger(__name__)

#: which accuracy stage 1 watches and stage 2 scores: the training split's or the validation's
FEAR_METRICS = ("train", "val")


def _is_tail(value: object) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, (tuple, list)):
        return len(value) > 0 and all(isinstance(v, str) for v in value)
    return False


@dataclass(frozen=True)
class FearSettings:
    """The parameters of a FEAR estimate (predictor, search fitness and CLI alike).

    ``threshold``: stage-1 accuracy to reach, a fraction in (0, 1] (None: calibrated, see the
    module's doc); ``metric``: the accuracy stage 1 watches (``train`` as in the paper, or
    ``val``); ``max_epochs``: the stage-1 cap (a run that never reaches the threshold is
    capped, recorded as such and still scored); ``stage2_epochs``: epochs of tail training;
    ``stage2_batch_size``/``stage2_lr``: stage 2's batch and constant learning rate (None: the
    full run's); ``tail``: the trainable part (None: the model's ``tail_modules()`` if it has
    one, e.g. an NB201 network's last stage, else its last 2 blocks; an int N: the last N
    blocks, a block being a top-level child, containers opened one level, parameter-free ones
    skipped; a name or names from ``model.named_modules()``); ``score``: the accuracy after
    stage 2 that is the estimate; ``quantile``/``calibration``: the calibrated threshold.
    """

    threshold: float | None = None
    metric: str = "train"
    max_epochs: int = 10
    stage2_epochs: int = 5
    stage2_batch_size: int | None = None
    stage2_lr: float | None = None
    tail: int | str | tuple[str, ...] | None = None
    score: str = "train"
    quantile: float = 0.9
    calibration: int = 5

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "threshold": [None, Interval(float, 0.0, 1.0, closed="right")],
        "metric": [Options(FEAR_METRICS)],
        "max_epochs": [Interval(int, 1, None)],
        "stage2_epochs": [Interval(int, 1, None)],
        "stage2_batch_size": [None, Interval(int, 1, None)],
        "stage2_lr": [None, Interval(float, 0.0, None, closed="neither")],
        "tail": [
            None,
            Interval(int, 1, None),
            Predicate(_is_tail, "a module name or a sequence of module names"),
        ],
        "score": [Options(FEAR_METRICS)],
        "quantile": [Interval(float, 0.0, 1.0, closed="both")],
        "calibration": [Interval(int, 1, None)],
    }

    def __post_init__(self) -> None:
        if isinstance(self.tail, list):
            object.__setattr__(self, "tail", tuple(self.tail))
        validate_dataclass(self)


@dataclass
class FearResult:
    """One candidate's FEAR run: the score, how stage 1 went, and the costs.

    ``status``: ``ok``; ``dropped`` (its stage 1 ran past the time limit of the time-ratio
    rule); or the training's status (``diverged``, ``failed``). ``score`` is None unless ok.
    ``capped``: stage 1 hit ``max_epochs`` without reaching the threshold (still scored).
    """

    score: float | None
    status: str
    reason: str
    threshold: float
    reached: bool
    capped: bool
    stage1_epochs: int
    stage1_seconds: float
    stage1_acc: float | None
    stage2_epochs: int = 0
    stage2_seconds: float = 0.0
    stage2_train_acc: float | None = None
    stage2_val_acc: float | None = None
    network_val_acc: float | None = None  # the whole network's val accuracy after stage 1
    curves: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        """Training seconds of both stages (the trainer's epoch times)."""
        return self.stage1_seconds + self.stage2_seconds

    def row(self) -> dict[str, Any]:
        """The result as a JSON-ready row (curves left out)."""
        out = {k: v for k, v in self.__dict__.items() if k != "curves"}
        out["seconds"] = self.seconds
        return out


class TimeRatioRule:
    """FEAR's rule for random search: drop a candidate whose stage-1 time exceeds ``ratio``
    times the fastest stage-1 time seen so far (of candidates that reached the threshold).

    >>> rule = TimeRatioRule(4.0)
    >>> rule.limit() is None, rule.admits(100.0)
    (True, True)
    >>> rule.observe(2.0); rule.limit(), rule.admits(8.0), rule.admits(8.5)
    (8.0, True, False)
    """

    def __init__(self, ratio: float = 4.0) -> None:
        validate_params({"ratio": ratio}, {"ratio": [Interval(float, 1.0, None)]}, "TimeRatioRule")
        self.ratio = float(ratio)
        self.fastest: float | None = None

    def limit(self) -> float | None:
        """The stage-1 seconds above which a candidate is dropped (None: no limit yet)."""
        return None if self.fastest is None else self.ratio * self.fastest

    def admits(self, seconds: float) -> bool:
        """Whether a stage 1 of ``seconds`` is within the limit."""
        limit = self.limit()
        return limit is None or seconds <= limit

    def observe(self, seconds: float) -> None:
        """Record the stage-1 time of a candidate that reached the threshold."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ConfigurationError(f"a stage-1 time must be finite and >= 0, got {seconds!r}")
        self.fastest = seconds if self.fastest is None else min(self.fastest, seconds)


# -- the tail ------------------------------------------------------------------------------
def _blocks(model: nn.Module) -> list[str]:
    """Top-level children in order, containers opened one level, parameter-free ones out."""
    from torch import nn

    names: list[str] = []
    for name, child in model.named_children():
        if isinstance(child, (nn.ModuleList, nn.Sequential)) and len(child) > 0:
            names.extend(f"{name}.{sub}" for sub, _ in child.named_children())
        else:
            names.append(name)
    modules = dict(model.named_modules())
    return [n for n in names if any(True for _ in modules[n].parameters())]


def tail_modules(model: nn.Module, tail: int | str | Sequence[str] | None = None) -> list[str]:
    """Names of the modules FEAR trains in stage 2 (see :class:`FearSettings`'s ``tail``).

    Raises ConfigurationError on a name the model does not have, a tail without parameters,
    or a tail that holds every parameter (nothing would be frozen).
    """
    modules = dict(model.named_modules())
    if tail is None:
        own = getattr(model, "tail_modules", None)
        names = list(own()) if callable(own) else _blocks(model)[-2:]
    elif isinstance(tail, int) and not isinstance(tail, bool):
        blocks = _blocks(model)
        if tail >= len(blocks):
            raise ConfigurationError(
                f"a tail of the last {tail} blocks covers the whole {type(model).__name__} "
                f"({len(blocks)} blocks with parameters: {', '.join(blocks)}); nothing would "
                "be frozen, choose fewer"
            )
        names = blocks[-tail:]
    else:
        names = [tail] if isinstance(tail, str) else list(tail)
    unknown = [n for n in names if n not in modules or n == ""]
    if unknown:
        known = [n for n in modules if n][:12]
        raise ConfigurationError(
            f"{type(model).__name__} has no module named {', '.join(map(repr, unknown))}; "
            f"names look like {', '.join(known)}"
        )
    _check_split(model, names)
    return names


def _tail_parameters(model: nn.Module, names: Sequence[str]) -> set[int]:
    modules = dict(model.named_modules())
    return {id(p) for n in names for p in modules[n].parameters()}


def _check_split(model: nn.Module, names: Sequence[str]) -> None:
    trainable = _tail_parameters(model, names)
    every = {id(p) for p in model.parameters()}
    if not trainable:
        raise ConfigurationError(
            f"the tail {', '.join(names)} of {type(model).__name__} has no parameters to train"
        )
    if trainable >= every:
        raise ConfigurationError(
            f"the tail {', '.join(names)} holds every parameter of {type(model).__name__}; "
            "nothing would be frozen: name fewer or later modules"
        )


class frozen_except:  # noqa: N801 - used as a context manager, like torch.no_grad
    """Within the block, only the parameters of the named modules train.

    Every other parameter has ``requires_grad`` off, and every module outside the tail (and
    not containing part of it) is held in eval mode even when the model is put in train mode,
    so frozen batch norms keep their statistics. Both are restored on exit.
    """

    def __init__(self, model: nn.Module, names: Sequence[str]) -> None:
        self.model = model
        self.names = list(names)

    def _frozen_roots(self) -> list[nn.Module]:
        """Maximal subtrees outside the tail."""
        names = self.names

        def outside(n: str) -> bool:
            inside = any(n == t or n.startswith(t + ".") for t in names)
            ancestor = any(t.startswith(n + ".") for t in names) or n == ""
            return not inside and not ancestor

        out = []
        for n, m in self.model.named_modules():
            parent = n.rpartition(".")[0]
            if outside(n) and not (n.count(".") and outside(parent)):
                out.append(m)
        return out

    def __enter__(self) -> nn.Module:
        keep = _tail_parameters(self.model, self.names)
        self._saved = [(p, p.requires_grad) for p in self.model.parameters()]
        for p in self.model.parameters():
            p.requires_grad_(id(p) in keep)
        roots = self._frozen_roots()

        def hold(module: nn.Module, args: Any) -> None:
            for m in roots:
                if m.training:
                    m.train(False)

        self._handle = self.model.register_forward_pre_hook(hold)
        return self.model

    def __exit__(self, *exc: object) -> None:
        self._handle.remove()
        for p, flag in self._saved:
            p.requires_grad_(flag)


# -- the estimator -------------------------------------------------------------------------
def _stage1_callback(
    thresholds: Sequence[float],
    metric: str,
    cap: int,
    min_epochs: int,
    time_limit: float | None,
    snapshot: bool,
) -> Any:
    """A trainer callback that watches stage 1: when each threshold is first reached (epoch,
    seconds, weights), and when to stop (all reached, the cap, or the time limit)."""
    from ...training import Callback

    key = f"{metric}_acc"

    class _Stage1(Callback):
        def __init__(self) -> None:
            self.hits: dict[float, tuple[int, float, Any]] = {}
            self.seconds = 0.0
            self.time_limit = time_limit

        def on_epoch_end(self, trainer: Any, model: Any, epoch: int, logs: dict) -> bool:
            self.seconds += float(logs["epoch_time"])
            for t in thresholds:
                if t not in self.hits and logs[key] >= 100.0 * t:
                    state = copy.deepcopy(model.state_dict()) if snapshot else None
                    self.hits[t] = (epoch + 1, self.seconds, state)
            done = len(self.hits) == len(thresholds) and epoch + 1 >= min_epochs
            late = time_limit is not None and self.seconds > time_limit
            return done or late or epoch + 1 >= cap

    return _Stage1()


def _stage2_config(config: TrainConfig, s: FearSettings) -> TrainConfig:
    return replace(
        config,
        epochs=s.stage2_epochs,
        lr=config.lr if s.stage2_lr is None else s.stage2_lr,
        batch_size=config.batch_size if s.stage2_batch_size is None else s.stage2_batch_size,
        schedule="constant",
        seed=(config.seed + 1) % (2**63),
    )


def _as_curves(result: Any) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=np.float64) for k, v in result.curves.items()}


def calibrate_threshold(
    accuracies: Sequence[float], quantile: float = FearSettings.quantile
) -> float:
    """FEAR's data-driven threshold: the ``quantile`` of reference models' accuracies (percent)
    after one epoch, as a fraction. Raises ConfigurationError without a finite accuracy."""
    acc = np.asarray([a for a in accuracies if a is not None], dtype=np.float64)
    acc = acc[np.isfinite(acc)]
    if len(acc) == 0:
        raise ConfigurationError(
            "no reference model finished its first epoch, so FEAR's threshold cannot be "
            "calibrated; pass threshold= explicitly"
        )
    value = float(np.quantile(acc, quantile)) / 100.0
    return min(max(value, 1e-6), 1.0)


class FearEstimator:
    """FEAR estimates of PyTorch classifiers (see the module's doc).

    ``settings``: the :class:`FearSettings`; ``train_config``: the full run's TrainConfig
    (stage 1 trains under it, with its schedule; its ``epochs`` must cover the stage-1 cap),
    default ``TrainConfig(epochs=max_epochs)``; ``random_state`` seeds the default run.
    """

    def __init__(
        self,
        settings: FearSettings | None = None,
        train_config: TrainConfig | None = None,
        random_state: int = 0,
    ) -> None:
        settings = checked_estimator_args(settings, FearSettings, random_state)
        self.settings = settings
        self.train_config = train_config
        self.random_state = random_state

    def config(self) -> TrainConfig:
        """The full run's TrainConfig that stage 1 trains under."""
        from ...training import TrainConfig

        if self.train_config is not None:
            return self.train_config
        return TrainConfig(epochs=self.settings.max_epochs, seed=self.random_state)

    def first_epoch_accuracy(self, model: nn.Module, data: ArrayDataset) -> float | None:
        """Train ``model`` for one epoch of the full run; its stage-1 metric (percent), or
        None if the epoch diverged or failed (a reference for :func:`calibrate_threshold`)."""
        from ...training import StopAfter, Trainer

        result = Trainer(self.config(), [StopAfter(1)]).fit(model, data)
        values = result.curves[f"{self.settings.metric}_acc"]
        return float(values[0]) if len(values) else None

    def estimate(
        self,
        model: nn.Module,
        data: ArrayDataset,
        threshold: float | None = None,
        time_limit: float | None = None,
    ) -> FearResult:
        """Run both stages on ``model`` (trained in place) and return its :class:`FearResult`.

        ``threshold`` overrides the settings' (one of the two must be set); ``time_limit``
        (stage-1 seconds, from :meth:`TimeRatioRule.limit`) drops a slower candidate.
        """
        return self.sweep(model, data, [threshold], time_limit=time_limit)[0]

    def _threshold(self, threshold: float | None) -> float:
        value = self.settings.threshold if threshold is None else threshold
        if value is None:
            raise ConfigurationError(
                "FEAR needs a threshold: set FearSettings(threshold=...) or calibrate one with "
                "calibrate_threshold() from reference models' first-epoch accuracies"
            )
        constraint = {"threshold": FearSettings._parameter_constraints["threshold"]}
        validate_params({"threshold": value}, constraint, "FearEstimator")
        return float(value)

    def _checked_config(self) -> TrainConfig:
        config = self.config()
        if config.epochs < self.settings.max_epochs:
            raise ConfigurationError(
                f"the stage-1 cap of {self.settings.max_epochs} epochs is longer than the full "
                f"run ({config.epochs} epochs); lower max_epochs or lengthen the run"
            )
        return config

    def sweep(
        self,
        model: nn.Module,
        data: ArrayDataset,
        thresholds: Sequence[float | None],
        *,
        time_limit: float | None = None,
        min_epochs: int = 0,
        callbacks: Sequence[Any] = (),
    ) -> list[FearResult]:
        """FEAR at several thresholds from one stage 1 (in the order of ``thresholds``).

        Stage 1 runs until every threshold is reached (and at least ``min_epochs``), keeping
        the weights at each first crossing; stage 2 then runs from each. ``callbacks`` join
        stage 1 (e.g. a feature capture for a baseline measured on the same run). A threshold
        of None is the settings' own.
        """
        from ...training import Trainer

        s = self.settings
        config = self._checked_config()
        checked = [self._threshold(t) for t in thresholds]
        wanted = sorted(set(checked))
        names = tail_modules(model, s.tail)  # checked before any training
        # weights are kept at each crossing unless stage 1 stops right at its only threshold
        keep = len(wanted) > 1 or min_epochs > 1
        watch = _stage1_callback(
            wanted, s.metric, s.max_epochs, min_epochs, time_limit, snapshot=keep
        )
        first = Trainer(config, [watch, *callbacks]).fit(model, data)
        curves1 = _as_curves(first)
        final_state = copy.deepcopy(model.state_dict()) if keep else None
        out: dict[float, FearResult] = {}
        for t in wanted:
            out[t] = self._after_stage1(model, data, config, names, t, watch, first, curves1)
            if final_state is not None:
                model.load_state_dict(final_state)
        return [out[t] for t in checked]

    def _after_stage1(
        self,
        model: nn.Module,
        data: ArrayDataset,
        config: TrainConfig,
        names: list[str],
        threshold: float,
        watch: Any,
        first: Any,
        curves1: dict[str, np.ndarray],
    ) -> FearResult:
        s = self.settings
        hit = watch.hits.get(threshold)
        acc = curves1[f"{s.metric}_acc"]
        if hit is None:
            epochs, seconds = len(acc), float(curves1["epoch_time"].sum())
        else:
            epochs, seconds = hit[0], hit[1]
            if hit[2] is not None:
                model.load_state_dict(hit[2])
        base = {
            "threshold": threshold,
            "reached": hit is not None,
            "capped": hit is None and len(acc) >= s.max_epochs,
            "stage1_epochs": epochs,
            "stage1_seconds": seconds,
            "stage1_acc": float(acc[epochs - 1]) if epochs else None,
            "network_val_acc": float(curves1["val_acc"][epochs - 1]) if epochs else None,
        }
        if first.status != RunStatus.OK and hit is None:
            return FearResult(None, str(first.status), first.reason, **base,
                              curves={"stage1": curves1})  # fmt: skip
        limit = watch.time_limit
        if limit is not None and (seconds > limit if hit is not None else watch.seconds > limit):
            reason = (
                f"stage 1 took {seconds:.2f} s, past the time-ratio limit of {limit:.2f} s"
                if hit is not None
                else f"stage 1 passed the time-ratio limit of {limit:.2f} s before reaching "
                f"{100 * threshold:.1f}% ({epochs} epochs)"
            )
            return FearResult(None, "dropped", reason, **base, curves={"stage1": curves1})
        if hit is None:
            logger.info(
                "FEAR: %s did not reach %.1f%% %s accuracy in %d epochs (capped at %.1f%%)",
                type(model).__name__, 100 * threshold, s.metric, epochs, base["stage1_acc"] or 0,
            )  # fmt: skip
        return self._stage2(model, data, config, names, base, curves1)

    def _stage2(
        self,
        model: nn.Module,
        data: ArrayDataset,
        config: TrainConfig,
        names: list[str],
        base: dict[str, Any],
        curves1: dict[str, np.ndarray],
    ) -> FearResult:
        from ...training import Trainer

        s = self.settings
        with frozen_except(model, names):
            second = Trainer(_stage2_config(config, s)).fit(model, data)
        curves2 = _as_curves(second)
        curves = {"stage1": curves1, "stage2": curves2}
        done = len(curves2["train_acc"])
        extra = {
            "stage2_epochs": done,
            "stage2_seconds": float(curves2["epoch_time"].sum()),
            "stage2_train_acc": float(curves2["train_acc"][-1]) if done else None,
            "stage2_val_acc": float(curves2["val_acc"][-1]) if done else None,
        }
        if second.status != RunStatus.OK or done < s.stage2_epochs:
            reason = f"stage 2: {second.reason}"
            return FearResult(None, str(second.status), reason, **base, **extra, curves=curves)
        score = extra[f"stage2_{s.score}_acc"]
        return FearResult(score, "ok", "scored", **base, **extra, curves=curves)
