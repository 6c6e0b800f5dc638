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

from ..exceptions import ConfigurationError, InvalidDataError, require
from ..predictors.learning_curve import curve_from_steps
from ..records import Record
from ..search import check_delta, probability_at_least

optuna = require("optuna", "optuna")

__all__ = ["PredictivePruner"]


class PredictivePruner(optuna.pruners.BasePruner):
    """Prune a trial when it is unlikely to beat the best completed one (Baker et al. 2017).

    ``n_warmup_steps``: never prune before the trial has reported this many epochs.
    ``n_min_trials``: completed trials (with every step) needed before pruning starts.
    ``max_steps``: the number of steps of a full run; by default the most reported by a
    completed trial. ``zero_based``: whether steps count from 0 (``for epoch in range(E)``).
    ``use_params``: add the trials' numeric hyperparameters to the curve features.
    A trial whose latest value is NaN or infinite is pruned (it diverged).
    """

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
        if not isinstance(n_warmup_steps, int) or n_warmup_steps < 0:
            raise ConfigurationError(f"n_warmup_steps must be an int >= 0, got {n_warmup_steps!r}")
        if not isinstance(n_min_trials, int) or n_min_trials < 3:
            raise ConfigurationError(f"n_min_trials must be an int >= 3, got {n_min_trials!r}")
        if max_steps is not None and (not isinstance(max_steps, int) or max_steps < 2):
            raise ConfigurationError(f"max_steps must be an int >= 2, got {max_steps!r}")
        self.delta = float(delta)
        self.n_warmup_steps = n_warmup_steps
        self.n_min_trials = n_min_trials
        self.max_steps = max_steps
        self.predictor = predictor
        self.zero_based = zero_based
        self.use_params = use_params
        self.refit_growth = refit_growth
        self._cache: dict[tuple, tuple[frozenset[int], object]] = {}
        self.last_probability: float | None = None

    # -- helpers -----------------------------------------------------------------------------
    def _curve(self, trial: optuna.trial.FrozenTrial, sign: float) -> np.ndarray:
        steps = sorted(trial.intermediate_values)
        epochs = [s + 1 if self.zero_based else s for s in steps]
        values = [sign * trial.intermediate_values[s] for s in steps]
        return curve_from_steps(epochs, values)

    def _params(self, trial: optuna.trial.FrozenTrial, names: Sequence[str]) -> np.ndarray:
        out = []
        for n in names:
            v = float(trial.params[n])
            dist = trial.distributions.get(n)
            if getattr(dist, "log", False) and v > 0:
                v = math.log(v)
            out.append(v)
        return np.asarray(out, dtype=np.float64)

    def _record(self, trial, curve: np.ndarray, names, target=None) -> Record:  # noqa: ANN001
        feats = self._params(trial, names) if names else None
        return Record(
            arch=trial.number,
            space="optuna",
            target=target,
            curves={"val_acc": curve},
            features=feats,
        )

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
        completed = []
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
            if not t.intermediate_values:
                continue
            try:
                completed.append((t, self._curve(t, sign)))
            except InvalidDataError:
                continue  # a completed trial with NaN values teaches nothing
        if not completed:
            return False
        full = self.max_steps or max(len(c) for _, c in completed)
        completed = [(t, c) for t, c in completed if len(c) >= full]
        if len(completed) < self.n_min_trials or tau >= full:
            return False
        names: tuple[str, ...] = ()
        if self.use_params:
            numeric = [
                n
                for n, v in trial.params.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)
            ]
            names = tuple(n for n in sorted(numeric) if all(n in t.params for t, _ in completed))
        finals = np.array([c[full - 1] for _, c in completed])
        best = float(finals.max())
        model = self._model(study.study_name, tau, completed, full, names)
        rec = self._record(trial, curve, names)
        mean, std = model.predict_dist([rec])
        self.last_probability = probability_at_least(float(mean[0]), float(std[0]), best)
        return self.last_probability <= self.delta

    def _model(self, study: str, tau: int, completed, full: int, names: tuple[str, ...]):  # noqa: ANN001, ANN202
        from ..predictors import make_predictor

        # a model is reused only for the same study, target step and parameters, and only
        # while it was fitted on trials that are all still there and not too few of them
        key = (study, tau, full, names)
        cached = self._cache.get(key)
        numbers = frozenset(t.number for t, _ in completed)
        n = len(completed)
        if cached is not None and cached[0] <= numbers and n < len(cached[0]) * self.refit_growth:
            return cached[1]
        records = [self._record(t, c[:full], names, float(c[full - 1])) for t, c in completed]
        params = {"fidelity": tau, "encoding": "features" if names else None}
        if self.predictor.startswith("lc"):
            params.update(residual=True, arch_columns=False)
        model = make_predictor(self.predictor, **params).fit(records)
        self._cache[key] = (numbers, model)
        return model
