"""Early-stopping rules: decide, at a checkpoint epoch, whether a run can still win.

A rule sees a :class:`Run` (the curves observed so far) and the best final value found so far;
it learns from the runs that completed (``observe``). Baker et al. 2017 stop a run at τ when
P(final >= best) <= Δ under a sequential regression model's predictive distribution; the
median rule (Golovin et al. 2017, Vizier) stops a run whose best value so far is below the median
of the completed runs' running averages at the same epoch.
"""

from __future__ import annotations

import abc
import logging
import math
from collections.abc import Mapping, Sequence

import numpy as np

from ...exceptions import ConfigurationError, UnknownNameError
from ...validation import Interval, Validated
from .._types import Run

__all__ = [
    "StoppingRule",
    "BakerRule",
    "MedianRule",
    "default_checkpoints",
    "dense_checkpoints",
    "check_delta",
    "probability_at_least",
    "CURVE_MODELS",
]

#: the registered predictors Baker's rule can use (a fidelity and a predictive distribution)
CURVE_MODELS = ("lcsvr", "lc-rf", "lc-br", "lce", "lc-pfn", "lc-pfn-study")

logger = logging.getLogger(__name__)


def check_delta(delta: object) -> float:
    """Baker's Δ as a float, or a ConfigurationError unless it is strictly between 0 and 1."""
    if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not 0 < delta < 1:
        raise ConfigurationError(
            f"delta is a probability strictly between 0 and 1, got {delta!r}; Baker et al. "
            "stop a run when P(final >= best) <= delta, e.g. delta=0.05"
        )
    return float(delta)


def probability_at_least(mean: float, std: float, best: float) -> float:
    """P(X >= best) for X ~ Normal(mean, std): the chance a run still beats ``best``.

    A non-finite prediction gives 1.0 (keep training: no evidence to stop on) and a warning.
    """
    if not (math.isfinite(mean) and math.isfinite(std) and math.isfinite(best)):
        logger.warning(
            "non-finite prediction (mean %s, std %s, best %s): the run is not stopped",
            mean,
            std,
            best,
        )
        return 1.0
    z = (best - mean) / max(std, 1e-12)
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def default_checkpoints(max_epochs: int) -> list[int]:
    """Epochs at which a rule decides: about 10%, 20%, 33%, 50% and 75% of the run."""
    marks = {max(1, round(max_epochs * f)) for f in (0.1, 0.2, 1 / 3, 0.5, 0.75)}
    return sorted(m for m in marks if m < max_epochs)


def dense_checkpoints(max_epochs: int) -> list[int]:
    """Epochs 1, 2, 3 and 5 as well as the :func:`default_checkpoints`: a rule that may stop
    a run after its first epochs (the setting that saves 3x and more in docs/RESULTS.md)."""
    return sorted(
        {e for e in (1, 2, 3, 5) if e < max_epochs} | set(default_checkpoints(max_epochs))
    )


def _check_checkpoints(checkpoints: Sequence[int] | None, max_epochs: int) -> list[int]:
    if checkpoints is None:
        return default_checkpoints(max_epochs)
    out = sorted({int(c) for c in checkpoints})
    if not out or out[0] < 1 or out[-1] >= max_epochs:
        raise ConfigurationError(
            f"checkpoints must lie in 1..{max_epochs - 1} (before the last epoch), got {out}"
        )
    return out


class StoppingRule(Validated, abc.ABC):
    """Decides at checkpoint epochs whether to stop a run; learns from completed runs."""

    _parameter_constraints = {"min_completed": [Interval(int, 1, None)]}

    def __init__(self, checkpoints: Sequence[int] | None = None, min_completed: int = 5) -> None:
        self._validate({"min_completed": min_completed})
        self.checkpoints = checkpoints
        self.min_completed = min_completed
        self.completed: list[Run] = []
        self.stopped = 0
        self.decisions = 0

    def checkpoints_for(self, max_epochs: int) -> list[int]:
        """The epochs (< ``max_epochs``) at which :meth:`should_stop` is asked."""
        return _check_checkpoints(self.checkpoints, max_epochs)

    def observe(self, run: Run) -> None:
        """Learn from a run trained to the end."""
        self.completed.append(run)

    def should_stop(self, run: Run, best_final: float | None) -> bool:
        """Whether to stop ``run`` now; never before ``min_completed`` runs have completed."""
        if best_final is None or len(self.completed) < self.min_completed:
            return False
        self.decisions += 1
        stop = bool(self._should_stop(run, best_final))
        self.stopped += stop
        return stop

    def predicted_final(self, run: Run) -> float | None:
        """The final value the rule predicts for ``run`` (None: a rule that predicts none)."""
        return None

    @abc.abstractmethod
    def _should_stop(self, run: Run, best_final: float) -> bool: ...


class BakerRule(StoppingRule):
    """Stop at τ when P(final >= best so far) <= ``delta`` (Baker et al. 2017).

    The probability comes from ``predictor`` (default ``lcsvr``, any learning-curve predictor
    with ``predict_dist``) fitted at fidelity τ on the completed runs. It is refitted as the
    completed runs grow by ``refit_growth`` (20% by default), at most on the last ``max_train``.
    For the sequential regression models the default ``predictor_params`` are
    ``{"residual": True}``: they predict the gain still to come (docs/RESULTS.md shows that
    regressing the final value itself stops the best run in most seeds).
    """

    _parameter_constraints = {
        "refit_growth": [Interval(float, 1, None)],
        "max_train": [Interval(int, 1, None)],
    }

    def __init__(
        self,
        delta: float = 0.05,
        predictor: str = "lcsvr",
        checkpoints: Sequence[int] | None = None,
        min_completed: int = 10,
        refit_growth: float = 1.2,
        max_train: int = 200,
        predictor_params: Mapping[str, object] | None = None,
    ) -> None:
        delta = check_delta(delta)
        settings = {"refit_growth": refit_growth, "max_train": max_train}
        self._validate({"min_completed": min_completed, **settings})
        super().__init__(checkpoints, max(min_completed, 3))
        self.delta = float(delta)
        self.predictor = predictor
        self.refit_growth = refit_growth
        self.max_train = max_train
        from ...predictors import PREDICTORS, make_predictor, split_params

        if split_params(str(predictor))[0] not in PREDICTORS:  # name the usable models, not all
            raise UnknownNameError("curve model", str(predictor), list(CURVE_MODELS))
        if predictor_params is None:
            # The gain still to come, not the final value: a regression on the final value
            # shrinks the best runs towards the mean, and the rule would stop exactly them.
            learns_gain = "residual" in make_predictor(predictor).get_params()
            predictor_params = {"residual": True} if learns_gain else {}
        self.predictor_params = dict(predictor_params)
        self._fitted: dict[int, tuple[int, object]] = {}  # tau -> (completed count, predictor)
        probe = make_predictor(predictor, **self.predictor_params)
        if not probe.capabilities().has_dist or "fidelity" not in probe.get_params():
            raise ConfigurationError(
                f"predictor {predictor!r} needs a fidelity and a predictive distribution; "
                f"use {', '.join(CURVE_MODELS)}"
            )

    def _model(self, tau: int):  # noqa: ANN202 - a fitted Predictor
        from ...predictors import make_predictor

        n = len(self.completed)
        cached = self._fitted.get(tau)
        if cached is not None and n < cached[0] * self.refit_growth:
            return cached[1]
        train = [
            r.record(float(r.curves["val_acc"][-1])) for r in self.completed[-self.max_train :]
        ]
        model = make_predictor(self.predictor, fidelity=tau, **self.predictor_params).fit(train)
        self._fitted[tau] = (n, model)
        return model

    def distribution(self, run: Run) -> tuple[float, float]:
        """The predictive mean and std of ``run``'s final value, from its epochs so far."""
        mean, std = self._model(run.epochs).predict_dist([run.record()])
        return float(mean[0]), float(std[0])

    def predicted_final(self, run: Run) -> float | None:
        return self.distribution(run)[0]

    def probability(self, run: Run, best_final: float) -> float:
        """P(final >= best_final) for ``run`` at its current epoch, from the model's own
        predictive distribution (a Gaussian for most; the PFN's bar distribution)."""
        if not math.isfinite(best_final):  # predictions are finite (predict_dist checks them)
            return probability_at_least(*self.distribution(run), best_final)  # warns, keeps it
        return float(self._model(run.epochs).probability_at_least([run.record()], best_final)[0])

    def _should_stop(self, run: Run, best_final: float) -> bool:
        return self.probability(run, best_final) <= self.delta


class MedianRule(StoppingRule):
    """Stop a run whose best value so far is below the median of the completed runs' running
    averages at the same epoch (the median stopping rule of Google Vizier)."""

    def _should_stop(self, run: Run, best_final: float) -> bool:
        t = run.epochs
        averages = [float(np.mean(r.curves["val_acc"][:t])) for r in self.completed]
        return float(np.max(run.curves["val_acc"][:t])) < float(np.median(averages))
