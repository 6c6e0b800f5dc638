"""Baker et al.'s predictive early stopping as a Ray Tune scheduler.

    from ray import tune
    from nasperf.integrations.ray_tune import PredictiveScheduler

    scheduler = PredictiveScheduler(max_t=20, metric="val_acc", mode="max", delta=0.05)
    tuner = tune.Tuner(train, param_space=space,
                       tune_config=tune.TuneConfig(scheduler=scheduler, num_samples=24))

Each trial reports its metric once per epoch (``tune.report({"val_acc": acc})``; the epoch is
``time_attr``, Ray's ``training_iteration`` by default, counted from 1). When a trial passes a
checkpoint epoch τ and at least ``min_completed`` trials have run all ``max_t`` epochs, the
scheduler fits a sequential regression model (LcSVR by default) at τ on the completed trials'
curves and numeric hyperparameters and stops the trial when P(final >= best final so far) <=
``delta``. A loss works with ``mode="min"`` (the rule sees its negation). A trial whose metric
becomes NaN or infinite is stopped (it diverged).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import ConfigurationError, InvalidDataError, require
from ..predictors.learning_curve import curve_from_steps
from ..search import check_delta, default_checkpoints
from ..validation import Interval, Options, Predicate, Validated
from ._baker import CurveModels, TrialCurve, numeric_names, param_vector

require("ray.tune", "ray")
from ray.tune.experiment import Trial  # noqa: E402
from ray.tune.schedulers import FIFOScheduler, TrialScheduler  # noqa: E402

if TYPE_CHECKING:
    from ray.tune.execution.tune_controller import TuneController

__all__ = ["PredictiveScheduler"]

logger = logging.getLogger(__name__)


def _checkpoints(checkpoints: Sequence[int] | None, max_t: int) -> list[int]:
    if checkpoints is None:
        return default_checkpoints(max_t)
    marks = list(checkpoints)
    if not marks or not all(isinstance(c, int) and 1 <= c < max_t for c in marks):
        raise ConfigurationError(
            f"checkpoints are epochs in 1..{max_t - 1} (before max_t={max_t}), got {marks!r}"
        )
    return sorted(set(marks))


class PredictiveScheduler(Validated, FIFOScheduler):
    """Stop a trial when it is unlikely to beat the best completed one (Baker et al. 2017).

    ``max_t``: the epochs of a full run (in ``time_attr`` units); only trials that reach it
    teach the model. ``checkpoints``: the epochs at which a trial is judged (default
    :func:`nasperf.search.default_checkpoints`: about 10%, 20%, 33%, 50% and 75% of
    ``max_t``). ``min_completed``: completed trials needed before any trial is stopped.
    ``use_params``: add the trials' numeric hyperparameters (Ray's sampled ``evaluated_params``)
    to the curve features, those named in ``log_params`` as their log.
    ``stopped`` holds the ids of the trials it stopped, ``decisions`` counts its judgements.
    """

    _parameter_constraints = {
        "max_t": [Interval(int, 2, None)],
        "min_completed": [Interval(int, 3, None)],
        "mode": [Options(("max", "min")), None],
        "metric": [Predicate(lambda v: isinstance(v, str) and v != "", "a result key (a str)"),
                   None],
        "time_attr": [Predicate(lambda v: isinstance(v, str) and v != "", "a result key (a str)")],
        "log_params": [Predicate(lambda v: not isinstance(v, str) and all(
            isinstance(n, str) for n in v), "parameter names")],
    }  # fmt: skip

    def __init__(
        self,
        *,
        max_t: int,
        metric: str | None = None,
        mode: str | None = None,
        time_attr: str = "training_iteration",
        delta: float = 0.05,
        min_completed: int = 10,
        checkpoints: Sequence[int] | None = None,
        predictor: str = "lcsvr",
        use_params: bool = True,
        log_params: Sequence[str] = (),
        refit_growth: float = 1.2,
    ) -> None:
        self.delta = check_delta(delta)
        keys = {"metric": metric, "time_attr": time_attr, "log_params": log_params}
        self._validate({"max_t": max_t, "min_completed": min_completed, "mode": mode, **keys})
        self.max_t, self.min_completed = max_t, min_completed
        self.checkpoints = _checkpoints(checkpoints, self.max_t)
        self._models = CurveModels(predictor, refit_growth)
        super().__init__()
        self._metric = metric
        self._mode = mode
        self.time_attr = time_attr
        self.use_params = bool(use_params)
        self.log_params = frozenset(log_params)
        self.stopped: set[str] = set()
        self.decisions = 0
        self.last_probability: float | None = None
        self._values: dict[str, dict[float, float]] = {}  # trial id -> {epoch: metric}
        self._judged: dict[str, int] = {}  # trial id -> the last checkpoint it was judged at
        self._completed: dict[str, tuple[np.ndarray, Mapping[str, object]]] = {}

    # -- Ray Tune's interface ---------------------------------------------------------------
    def set_search_properties(self, metric: str | None, mode: str | None, **spec: object) -> bool:
        """Take ``metric``/``mode`` from ``tune.TuneConfig`` unless given to the constructor."""
        if (self._metric and metric) or (self._mode and mode):
            return False
        if mode not in (None, "max", "min"):
            raise ConfigurationError(f"mode must be 'max' or 'min', got {mode!r}")
        self._metric = metric or self._metric
        self._mode = mode or self._mode
        return True

    def on_trial_add(self, tune_controller: TuneController, trial: Trial) -> None:
        """Refuse to start without a metric and a mode."""
        if not self._metric or not self._mode:
            raise ConfigurationError(
                f"{type(self).__name__} needs a metric and a mode ('max' or 'min'), got "
                f"metric={self._metric!r}, mode={self._mode!r}; pass them to the scheduler "
                "or to tune.TuneConfig"
            )

    def on_trial_result(self, tune_controller: TuneController, trial: Trial, result: dict) -> str:
        """CONTINUE, or STOP when the trial passed a checkpoint and is unlikely to win."""
        ident = trial.trial_id
        epoch = self._observe(ident, result)
        if epoch is None:
            return TrialScheduler.CONTINUE
        if not math.isfinite(self._values[ident][epoch]):
            logger.info("trial %s diverged at %s=%s: stopped", ident, self.time_attr, epoch)
            return self._stop(ident)
        due = [c for c in self.checkpoints if self._judged.get(ident, 0) < c <= epoch]
        if not due or epoch >= self.max_t:
            return TrialScheduler.CONTINUE
        self._judged[ident] = due[-1]
        probability = self._probability(trial)
        if probability is None:
            return TrialScheduler.CONTINUE
        self.decisions += 1
        self.last_probability = probability
        if probability > self.delta:
            return TrialScheduler.CONTINUE
        logger.info(
            "trial %s stopped at %s=%s: P(final >= best) = %.3g <= %s",
            ident,
            self.time_attr,
            epoch,
            probability,
            self.delta,
        )
        return self._stop(ident)

    def on_trial_complete(
        self, tune_controller: TuneController, trial: Trial, result: dict
    ) -> None:
        """Learn from a trial that ran ``max_t`` epochs (one stopped early teaches nothing)."""
        ident = trial.trial_id
        if result:
            self._observe(ident, result)
        try:
            curve = self._curve(ident)
        except InvalidDataError:
            curve = None  # NaN values or no usable epochs
        if curve is not None and len(curve) >= self.max_t:
            self._completed[ident] = (curve[: self.max_t], self._params(trial))
        self._forget(ident)

    def on_trial_error(self, tune_controller: TuneController, trial: Trial) -> None:
        self._forget(trial.trial_id)

    def on_trial_remove(self, tune_controller: TuneController, trial: Trial) -> None:
        self._forget(trial.trial_id)

    def debug_string(self) -> str:
        return (
            f"Using PredictiveScheduler (Baker et al., delta={self.delta}): "
            f"{len(self.stopped)} stopped in {self.decisions} decisions, "
            f"{len(self._completed)} trials completed"
        )

    # -- the rule -----------------------------------------------------------------------------
    @property
    def completed(self) -> int:
        """How many trials ran all ``max_t`` epochs."""
        return len(self._completed)

    def _observe(self, ident: str, result: Mapping[str, object]) -> float | None:
        """Store the result's metric under its epoch; the epoch, or None without both."""
        epoch, value = result.get(self.time_attr), result.get(self._metric)  # type: ignore[arg-type]
        if not isinstance(epoch, (int, float)) or not isinstance(value, (int, float)):
            return None
        sign = 1.0 if self._mode == "max" else -1.0
        self._values.setdefault(ident, {})[epoch] = sign * float(value)
        return epoch

    def _curve(self, ident: str) -> np.ndarray:
        values = self._values.get(ident, {})
        epochs = sorted(values)
        return curve_from_steps(epochs, [values[e] for e in epochs])

    @staticmethod
    def _params(trial: Trial) -> Mapping[str, object]:
        return getattr(trial, "evaluated_params", None) or getattr(trial, "config", {}) or {}

    def _features(self, params: Mapping[str, object], names: Sequence[str]) -> np.ndarray | None:
        return param_vector(params, names, self.log_params) if names else None

    def _probability(self, trial: Trial) -> float | None:
        """P(final >= best completed final), or None while the rule cannot judge yet."""
        if len(self._completed) < self.min_completed:
            return None
        ident = trial.trial_id
        try:
            curve = self._curve(ident)
        except InvalidDataError as exc:
            logger.warning("trial %s: its curve is unusable (%s); not judged", ident, exc)
            return None
        params = self._params(trial)
        done = list(self._completed.items())
        names = numeric_names(params, [p for _, (_, p) in done]) if self.use_params else ()
        finished = [TrialCurve(i, c, self._features(p, names)) for i, (c, p) in done]
        running = TrialCurve(ident, curve, self._features(params, names))
        return self._models.probability(running, finished, self.max_t, group=names)

    def _stop(self, ident: str) -> str:
        self.stopped.add(ident)
        return TrialScheduler.STOP

    def _forget(self, ident: str) -> None:
        self._values.pop(ident, None)
        self._judged.pop(ident, None)
