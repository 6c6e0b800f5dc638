"""Baker et al.'s rule for the trials of another tool: the curve model, fitted and cached.

The Optuna pruner and the Ray Tune scheduler turn their tool's trials into :class:`TrialCurve`
(a per-epoch curve where higher is better, and optionally the numeric hyperparameters) and ask
:class:`CurveModels` for P(final >= best completed final) of a running trial.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..exceptions import ConfigurationError, NasperfError
from ..search import BakerRule, Run
from ..validation import Interval, Validated

__all__ = ["TrialCurve", "CurveModels", "numeric_names", "param_vector"]


@dataclass(frozen=True)
class TrialCurve:
    """One trial: its id, its curve (epochs 1.., higher is better) and its parameter vector."""

    ident: Hashable
    curve: np.ndarray
    features: np.ndarray | None = None

    def run(self, length: int | None = None) -> Run:
        """The trial as a search run, its curve cut to ``length`` epochs."""
        return Run(
            arch=self.ident,
            space="trial",
            curves={"val_acc": np.asarray(self.curve[:length], dtype=np.float64)},
            features=self.features,
        )


def numeric_names(running: Mapping[str, object], others: Sequence[Mapping[str, object]]) -> tuple:
    """The sorted names of ``running``'s numeric (not bool) parameters that all ``others`` have."""
    numeric = [
        n for n, v in running.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
    ]
    return tuple(n for n in sorted(numeric) if all(n in o for o in others))


def param_vector(
    params: Mapping[str, object], names: Sequence[str], log: Collection[str] = ()
) -> np.ndarray:
    """The values of ``names`` as floats, the positive ones named in ``log`` as their log."""
    out = []
    for n in names:
        v = float(params[n])  # type: ignore[arg-type]
        out.append(math.log(v) if n in log and v > 0 else v)
    return np.asarray(out, dtype=np.float64)


class CurveModels(Validated):
    """Baker's rule for trials: one :class:`nasperf.search.BakerRule` per (``group``, full
    length), taught each completed trial once, asked for P(final >= best) of a running one.

    The rule's model (``predictor``, LcSVR by default) is refitted as the completed trials
    grow by ``refit_growth``. Predictors with a ``residual`` option learn the gain still to
    come, on the raw values; the trials' numeric parameters, when given, are its features.
    """

    _parameter_constraints = {"refit_growth": [Interval(float, 1, None)]}

    def __init__(self, predictor: str = "lcsvr", refit_growth: float = 1.2) -> None:
        from ..predictors import make_predictor

        self._validate({"refit_growth": refit_growth})
        try:
            options = set(make_predictor(predictor).get_params())
            self._rule(predictor, float(refit_growth), options, None)  # checks the predictor
        except NasperfError as exc:
            raise ConfigurationError(f"predictor {predictor!r}: {exc}") from exc
        self.predictor = predictor
        self.refit_growth = float(refit_growth)
        self._options = options
        self._rules: dict[tuple, tuple[BakerRule, set[Hashable]]] = {}

    @staticmethod
    def _rule(
        predictor: str, refit_growth: float, options: set[str], encoding: str | None
    ) -> BakerRule:
        params: dict[str, object] = {}
        if "encoding" in options:
            params["encoding"] = encoding
        if "residual" in options:
            params.update(residual=True, arch_columns=False)
        if "transform" in options:
            # raw values: a rank transform is bounded by the values seen, so a trial heading
            # above the best completed one would be predicted at most at it and stopped
            params["transform"] = "standard"
        return BakerRule(
            predictor=predictor, refit_growth=refit_growth, max_train=10**9, predictor_params=params
        )

    def probability(
        self,
        running: TrialCurve,
        completed: Sequence[TrialCurve],
        full: int,
        group: Hashable = None,
    ) -> float:
        """P(``running``'s final value >= the best final of ``completed``), at its last epoch.

        ``completed`` are trials with at least ``full`` epochs; ``group`` separates the models of
        different studies or feature sets.
        """
        key = (group, full, completed[0].features is not None)
        if key not in self._rules:
            encoding = "features" if key[2] else None
            rule = self._rule(self.predictor, self.refit_growth, self._options, encoding)
            self._rules[key] = (rule, set())
        rule, taught = self._rules[key]
        for c in completed:
            if c.ident not in taught:
                taught.add(c.ident)
                rule.observe(c.run(full))
        best = max(float(c.curve[full - 1]) for c in completed)
        return rule.probability(running.run(), best)
