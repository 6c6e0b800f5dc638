"""Baker et al.'s predictive early stopping as an Optuna pruner.

    import optuna
    from nasperf.integrations.optuna import PredictivePruner

    study = optuna.create_study(direction="maximize", pruner=PredictivePruner(delta=0.05))

Each trial reports its validation metric once per epoch (``trial.report(value, epoch)``, steps
0, 1, 2, ... by default). When at least ``n_min_trials`` trials have completed every step, the
pruner fits a sequential regression model (LcSVR by default) at the running trial's number of
observed epochs on the completed trials' curves and numeric hyperparameters, and prunes the
trial when P(final >= best final so far) <= ``delta``. Steps a trial skipped are filled by
linear interpolation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..exceptions import InvalidDataError, require
from ..predictors.learning_curve import curve_from_steps
from ..search import check_delta
from ..validation import InstanceOf, Interval, Validated
from ._baker import CurveModels, TrialCurve, numeric_names, param_vector

optuna = require("optuna", "optuna")

__all__ = ["PredictivePruner"]


class PredictivePruner(Validated, optuna.pruners.BasePruner):
    """Prune a trial when it is unlikely to beat the best completed one (Baker et al. 2017).

    ``n_warmup_steps``: never prune before the trial has reported this many epochs.
    ``n_min_trials``: completed trials (with every step) needed before pruning starts.
    ``max_steps``: the number of steps of a full run; by default the most reported by a
    completed trial. ``zero_based``: whether steps count from 0 (``for epoch in range(E)``).
    ``use_params``: add the trials' numeric hyperparameters to the curve features.
    A trial whose latest value is NaN or infinite is pruned (it diverged).
    """

    _parameter_constraints = {
        "n_warmup_steps": [Interval(int, 0, None)],
        "n_min_trials": [Interval(int, 3, None)],
        "max_steps": [Interval(int, 2, None), None],
        "zero_based": [InstanceOf(bool, "True or False")],
        "use_params": [InstanceOf(bool, "True or False")],
    }

    def __init__(
        self,
        delta: float = 0.05,
        n_warmup_steps: int = 1,
        n_min_trials: int = 10,
        max_steps: int | None = None,
        predictor: str = "lcsvr",
        zero_based: bool = True,
        use_params: bool = True,
        refit_growth: float = 1.2,
    ) -> None:
        delta = check_delta(delta)
        steps = {"n_warmup_steps": n_warmup_steps, "n_min_trials": n_min_trials}
        self._validate({**steps, "max_steps": max_steps, "zero_based": zero_based,
                        "use_params": use_params})  # fmt: skip
        self.delta = float(delta)
        self.n_warmup_steps = n_warmup_steps
        self.n_min_trials = n_min_trials
        self.max_steps = max_steps
        self._models = CurveModels(predictor, refit_growth)
        self.predictor = predictor
        self.zero_based = zero_based
        self.use_params = use_params
        self.refit_growth = refit_growth
        self.last_probability: float | None = None

    # -- helpers -----------------------------------------------------------------------------
    def _curve(self, trial: optuna.trial.FrozenTrial, sign: float) -> np.ndarray:
        steps = sorted(trial.intermediate_values)
        epochs = [s + 1 if self.zero_based else s for s in steps]
        values = [sign * trial.intermediate_values[s] for s in steps]
        return curve_from_steps(epochs, values)

    def _completed(self, study: optuna.study.Study, sign: float) -> list:
        """``(trial, curve)`` of the completed trials with usable curves."""
        out = []
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
            if not t.intermediate_values:
                continue
            try:
                out.append((t, self._curve(t, sign)))
            except InvalidDataError:
                continue  # a completed trial with NaN values teaches nothing
        return out

    @staticmethod
    def _trial_curve(
        trial: optuna.trial.FrozenTrial, curve: np.ndarray, names: Sequence[str]
    ) -> TrialCurve:
        log = {n for n in names if getattr(trial.distributions.get(n), "log", False)}
        feats = param_vector(trial.params, names, log) if names else None
        return TrialCurve(trial.number, curve, feats)

    # -- the rule ----------------------------------------------------------------------------
    def prune(self, study: optuna.study.Study, trial: optuna.trial.FrozenTrial) -> bool:
        step = trial.last_step
        if step is None:
            return False
        latest = trial.intermediate_values[step]
        if not math.isfinite(latest):
            return True
        sign = 1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1.0
        try:
            curve = self._curve(trial, sign)
        except InvalidDataError:
            return False
        tau = len(curve)
        if tau < max(self.n_warmup_steps, 1):
            return False
        completed = self._completed(study, sign)
        if not completed:
            return False
        full = self.max_steps or max(len(c) for _, c in completed)
        completed = [(t, c) for t, c in completed if len(c) >= full]
        if len(completed) < self.n_min_trials or tau >= full:
            return False
        names = numeric_names(trial.params, [t.params for t, _ in completed])
        names = names if self.use_params else ()
        self.last_probability = self._models.probability(
            self._trial_curve(trial, curve, names),
            [self._trial_curve(t, c, names) for t, c in completed],
            full,
            group=(study.study_name, names),
        )
        return self.last_probability <= self.delta
