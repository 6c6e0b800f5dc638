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
from ..records import Record
from ..search import probability_at_least

__all__ = ["TrialCurve", "CurveModels", "numeric_names", "param_vector"]


@dataclass(frozen=True)
class TrialCurve:
    """One trial: its id, its curve (epochs 1.., higher is better) and its parameter vector."""

    ident: Hashable
    curve: np.ndarray
    features: np.ndarray | None = None

    def record(self, length: int | None = None, target: float | None = None) -> Record:
        """The trial as a predictor record, its curve cut to ``length`` epochs."""
        return Record(
            arch=self.ident,
            space="trial",
            target=target,
            curves={"val_acc": self.curve[:length]},
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


class CurveModels:
    """Sequential-regression models (``predictor``, LcSVR by default) fitted on completed trials.

    A model is fitted per (``group``, observed epochs τ, full length) and reused while the
    trials it was fitted on are all still there and have not grown by ``refit_growth``.
    Predictors with a ``residual`` option learn the gain still to come (as
    :class:`nasperf.search.BakerRule` does), on the raw values (``transform="standard"``).
    """

    def __init__(self, predictor: str = "lcsvr", refit_growth: float = 1.2) -> None:
        from ..predictors import make_predictor

        if isinstance(refit_growth, bool) or not isinstance(refit_growth, (int, float)):
            raise ConfigurationError(f"refit_growth must be a number >= 1, got {refit_growth!r}")
        if refit_growth < 1:
            raise ConfigurationError(f"refit_growth must be a number >= 1, got {refit_growth!r}")
        try:
            probe = make_predictor(predictor)
            ok = probe.capabilities().has_dist and "fidelity" in probe.get_params()
        except NasperfError as exc:
            raise ConfigurationError(f"predictor {predictor!r}: {exc}") from exc
        if not ok:
            raise ConfigurationError(
                f"predictor {predictor!r} needs a fidelity and a predictive distribution; "
                "use lcsvr, lc-rf, lc-br or lce"
            )
        self.predictor = predictor
        self.refit_growth = float(refit_growth)
        self._options = set(probe.get_params())
        self._cache: dict[tuple, tuple[frozenset, object]] = {}

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
        best = max(float(c.curve[full - 1]) for c in completed)
        model = self._model(group, len(running.curve), completed, full)
        mean, std = model.predict_dist([running.record()])  # type: ignore[attr-defined]
        return probability_at_least(float(mean[0]), float(std[0]), best)

    def _model(self, group: Hashable, tau: int, completed: Sequence[TrialCurve], full: int):  # noqa: ANN202 - a fitted Predictor
        from ..predictors import make_predictor

        key = (group, tau, full)
        cached = self._cache.get(key)
        idents = frozenset(c.ident for c in completed)
        n = len(completed)
        if cached is not None and cached[0] <= idents and n < len(cached[0]) * self.refit_growth:
            return cached[1]
        records = [c.record(full, float(c.curve[full - 1])) for c in completed]
        params: dict[str, object] = {"fidelity": tau}
        if "encoding" in self._options:
            params["encoding"] = "features" if completed[0].features is not None else None
        if "residual" in self._options:
            params.update(residual=True, arch_columns=False)
        if "transform" in self._options:
            # raw values: a rank transform is bounded by the values seen, so a trial heading
            # above the best completed one would be predicted at most at it and stopped
            params["transform"] = "standard"
        model = make_predictor(self.predictor, **params).fit(records)
        self._cache[key] = (idents, model)
        return model
