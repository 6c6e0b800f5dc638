"""Sequential regression models (Baker, Gupta, Raskar, Naik 2017; LcSVR in White et al. 2021).

For a fixed number of observed epochs τ (``fidelity``), a regressor maps the validation curve
up to τ, its first and second differences, the architecture encoding and the numeric
architecture columns (parameters, FLOPs) to the final validation accuracy. ν-SVR with an RBF
kernel is the default, random forest and Bayesian ridge the options; hyperparameters are chosen
by random search with k-fold cross-validation (C and γ log-uniform in [1e-5, 10], ν uniform in
(0, 1), as in the reimplementation of White et al.). The out-of-fold residuals of the chosen
model give the standard deviation of a Gaussian predictive distribution, which Baker's early
stopping rule needs.

With ``transform="rank"`` (the default for ranking, ``residual=False``) the curve, the target
and the encoding columns enter the regression as normal scores of their ranks among the training
runs (:class:`~._rank.RankMap`), the curve oriented to rise with the target: the model is then
the same for accuracy in percent or as a fraction, for a loss, a log-loss or minus a loss, and a
heavy-tailed loss no longer lets a few runs dominate (docs/RESULTS.md, "Your own learning
curves"). Predictions are mapped back to the target's units. ``transform="standard"`` is the raw
values, standardised (the model Baker's rule uses, ``residual=True``).
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
from scipy.stats import spearmanr
from sklearn.linear_model import BayesianRidge
from sklearn.model_selection import KFold
from sklearn.preprocessing import StandardScaler

from ...exceptions import ConfigurationError, InvalidDataError, MissingRequirementError
from ...records import ARCH_COLUMNS, Record
from ...validation import InstanceOf, Interval, Options
from ..base import Requirements, coverage_scale, resolve_encoding
from ._common import CURVE_CONSTRAINTS, CurvePredictor, lower_is_better, metric_range, within_range
from ._rank import RankMap, orientation

__all__ = ["SequentialRegressionPredictor", "curve_features", "ARCH_COLUMNS"]


def curve_features(curves: np.ndarray) -> np.ndarray:
    """Curve values, first and second differences, side by side (Baker et al.'s features)."""
    parts = [curves]
    if curves.shape[1] > 1:
        parts.append(np.diff(curves, n=1, axis=1))
    if curves.shape[1] > 2:
        parts.append(np.diff(curves, n=2, axis=1))
    return np.hstack(parts)


def _make_model(kind: str, params: dict, seed: int):  # noqa: ANN202 - an sklearn regressor
    if kind == "svr":
        from sklearn.svm import NuSVR

        return NuSVR(kernel="rbf", **params)
    if kind == "rf":
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(n_estimators=100, random_state=seed, n_jobs=1, **params)
    if kind == "bayesian_ridge":
        return BayesianRidge(**params)
    raise ConfigurationError(f"model must be 'svr', 'rf' or 'bayesian_ridge', got {kind!r}")


def _sample_params(kind: str, rng: np.random.Generator) -> dict:
    if kind == "svr":
        return {
            "C": float(10 ** rng.uniform(-5, 1)),
            "gamma": float(10 ** rng.uniform(-5, 1)),
            "nu": float(rng.uniform(0.01, 0.99)),
        }
    if kind == "rf":
        return {
            "max_features": float(rng.uniform(0.1, 1.0)),
            "min_samples_leaf": int(rng.integers(1, 6)),
        }
    return {
        "alpha_1": float(10 ** rng.uniform(-7, -3)),
        "lambda_1": float(10 ** rng.uniform(-7, -3)),
    }


class SequentialRegressionPredictor(CurvePredictor):
    """Baker et al.'s sequential regression model at one fidelity (``lcsvr`` by default).

    ``encoding``: the architecture encoding added to the features (``None`` for curves only);
    ``n_iter`` hyperparameter samples, each scored by ``cv``-fold cross-validation.
    ``residual=True`` regresses the gain still to come (final minus the last observed value)
    instead of the final value itself, so that an uninformative model falls back to the
    early-stop value rather than to the mean; ``residual=False`` is Baker et al.'s target, and
    ``"auto"`` lets cross-validation choose. ``selection="spearman"`` picks the hyperparameters
    by the cross-validated rank correlation (what the predictor is judged by; the mean squared
    error is dominated by the few cells that never learn), ``"mse"`` by squared error, and
    ``"auto"`` (the default) by rank correlation for the final value and by squared error for
    the gain still to come: the rank of "last value + a constant" is the early-stop value's, so
    a rank score cannot tell a model of the gain from one that collapsed to its mean (it picked
    C near 1e-5 and predicted last + 41 points for every nb201-digits run, docs/RESULTS.md).
    Predictions of an accuracy stay within its range (a fraction or a percentage, from the
    training data) and the 90% interval is never wider than that range. The
    ``ensemble`` best settings are all kept: the prediction is their mean, and the standard
    deviation combines their spread with the ensemble's out-of-fold error. On the NB201 curves
    and nb201-digits, one member and the absolute target ranked best (docs/RESULTS.md).
    ``transform="rank"`` learns on rank scores of the curve and the target (invariant to the
    metric's units and direction, see the module doc); ``"standard"`` on their raw values;
    ``"auto"`` (the default) is ``"standard"`` for ``residual=True``, the gain Baker's rule
    learns (with ranks the rule saved more epochs but stopped the eventual best in 1 of 50
    seeds on nb201-digits, docs/RESULTS.md), and ``"rank"`` otherwise.
    """

    family = "hybrid"  # White et al.: the curve and the encoding together

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CURVE_CONSTRAINTS,
        "model": [Options(("svr", "rf", "bayesian_ridge"))],
        "encoding": [None, InstanceOf(str, "an encoding name")],
        "arch_columns": [InstanceOf(bool, "True or False")],
        "n_iter": [Interval(int, 1, None)],
        "cv": [Interval(int, 2, None)],
        "residual": [Options((True, False, "auto"))],
        "selection": [Options(("auto", "spearman", "mse"))],
        "ensemble": [Interval(int, 1, None)],
        "transform": [Options(("auto", "rank", "standard"))],
        "random_state": [None, Interval(int, 0, None)],
    }

    def __init__(
        self,
        fidelity: int = 5,
        model: str = "svr",
        curve: str = "val_acc",
        encoding: str | None = "default",
        arch_columns: bool = True,
        n_iter: int = 20,
        cv: int = 3,
        residual: bool | str = False,
        selection: str = "auto",
        ensemble: int = 1,
        transform: str = "auto",
        random_state: int | None = 0,
    ) -> None:
        self.fidelity = fidelity
        self.model = model
        self.curve = curve
        self.encoding = encoding
        self.arch_columns = arch_columns
        self.n_iter = n_iter
        self.cv = cv
        self.residual = residual
        self.selection = selection
        self.ensemble = ensemble
        self.transform = transform
        self.random_state = random_state

    def _requirements(self) -> Requirements:
        # "default" is the space's encoding where records have one (features of a custom space
        # may be absent: the curves alone are used then); a named encoding is required
        encoding = None if self.encoding == "default" else self.encoding
        return Requirements(encoding=encoding, curve=self.curve, fidelity=int(self.fidelity))

    def _encoding_kind(self, records: list[Record]) -> str | None:
        """The encoding used: None without one, or for ``"default"`` on records of a custom
        space that carry no feature vector."""
        if self.encoding is None:
            return None
        kind = resolve_encoding(records, self.encoding)
        if self.encoding == "default" and kind == "features":
            if any(r.features is None for r in records):
                return None
        return kind

    @property
    def _ranked(self) -> bool:
        """Whether curves and targets enter as rank scores (``transform``, ``"auto"`` resolved)."""
        if self.transform == "auto":
            return self.residual is not True
        return self.transform == "rank"

    def _fit_maps(self, obs: np.ndarray, y: np.ndarray) -> None:
        """The curve's direction against the (higher-is-better) target: from the data with
        ranks, from the curve's name (a loss falls) on raw values; and the rank maps of the
        curve, of the target and of both (for the gain still to come)."""
        if not self._ranked:
            self.sign_ = -1.0 if lower_is_better(self.curve) else 1.0
            return
        self.sign_ = orientation(obs[:, -1], y)
        self.curve_map_ = RankMap(self.sign_ * obs, bounded=True)
        self.target_map_ = RankMap(y)
        self.gain_map_ = RankMap(np.concatenate([(self.sign_ * obs).ravel(), y]))

    def _curve_values(self, obs: np.ndarray) -> np.ndarray:
        if self._ranked:
            return self.curve_map_.transform(self.sign_ * obs)
        return obs

    def _encode(self, y: np.ndarray, obs: np.ndarray, residual: bool) -> np.ndarray:
        """The regression target of final values ``y`` (before standardisation)."""
        if not self._ranked:
            return y - self.sign_ * obs[:, -1] if residual else y
        if not residual:
            return self.target_map_.transform(y)
        gain = self.gain_map_
        return gain.transform(y) - gain.transform(self.sign_ * obs[:, -1])

    def _decode(self, t: np.ndarray, obs: np.ndarray, residual: bool) -> np.ndarray:
        """Final values from regression outputs ``t`` (the inverse of :meth:`_encode`)."""
        if not self._ranked:
            return t + self.sign_ * obs[:, -1] if residual else t
        if not residual:
            return self.target_map_.inverse(t)
        gain = self.gain_map_
        return gain.inverse(gain.transform(self.sign_ * obs[:, -1]) + t)

    def _features(self, records: list[Record], obs: np.ndarray, fitting: bool) -> np.ndarray:
        parts = [curve_features(self._curve_values(obs))]
        if fitting:
            self.encoding_ = self._encoding_kind(records)
        if self.encoding_ is not None:
            parts.append(np.vstack([r.encode(self.encoding_) for r in records]))
        if fitting:
            self.columns_ = (
                [c for c in ARCH_COLUMNS if all(c in r.scores for r in records)]
                if self.arch_columns
                else []
            )
        if self.columns_:
            cols = np.empty((len(records), len(self.columns_)))
            for i, r in enumerate(records):
                for j, c in enumerate(self.columns_):
                    if c not in r.scores:
                        raise MissingRequirementError(
                            f"record {r.arch!r} has no {c!r}; the model was fitted with it"
                        )
                    cols[i, j] = r.scores[c]
            parts.append(np.log1p(np.abs(cols)) * np.sign(cols))
        x = np.hstack(parts).astype(np.float64)
        if not np.all(np.isfinite(x)):
            raise InvalidDataError("non-finite architecture columns; check params/flops")
        return self._rank_columns(x, parts[0].shape[1], fitting)

    def _rank_columns(self, x: np.ndarray, start: int, fitting: bool) -> np.ndarray:
        """In rank mode, the encoding and architecture columns (from ``start``) as rank scores
        too: a one-hot column is unchanged after standardisation, a heavy-tailed one (a
        configuration's learning rate, a proxy) no longer crowds the others together."""
        if not self._ranked or x.shape[1] == start:
            return x
        if fitting:
            self.column_maps_ = [RankMap(col, bounded=True) for col in x[:, start:].T]
        out = x.copy()
        for j, rank in enumerate(self.column_maps_):
            out[:, start + j] = rank.transform(x[:, start + j])
        return out

    def _selection(self) -> str:
        """How a hyperparameter setting is scored (``selection``, ``"auto"`` resolved)."""
        if self.selection == "auto":
            return "mse" if self.residual is True else "spearman"
        return self.selection

    def _min_train_size(self, requires: Requirements) -> int:
        return max(int(self.cv), 3)  # cross-validation needs a record in every fold

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        n = len(records)
        if n < max(self.cv, 3):
            raise InvalidDataError(
                f"{n} training curves are too few for {self.cv}-fold cross-validation; "
                "give at least max(cv, 3)"
            )
        obs = self._observed(records, self.curve)
        self.range_ = metric_range(self.curve, np.concatenate([obs.ravel(), y]))
        self._fit_maps(obs, y)
        x = self._features(records, obs, fitting=True)
        self.x_scaler_ = StandardScaler().fit(x)
        xs = self.x_scaler_.transform(x)
        rng = np.random.default_rng(self.random_state)
        seed = int(rng.integers(2**31))
        folds = list(KFold(self.cv, shuffle=True, random_state=seed).split(xs))
        candidates = [_sample_params(self.model, rng) for _ in range(self.n_iter)]
        modes = (False, True) if self.residual == "auto" else (bool(self.residual),)
        scored = []  # (loss, residual, params, mean, std, out-of-fold predictions of the final)
        for residual in modes:
            target = self._encode(y, obs, residual)
            mean, std = float(target.mean()), float(target.std()) or 1.0
            ys = (target - mean) / std
            for params in candidates:
                oof = np.empty(n)
                for tr, te in folds:
                    model = _make_model(self.model, params, seed).fit(xs[tr], ys[tr])
                    oof[te] = model.predict(xs[te])
                final_oof = self._decode(oof * std + mean, obs, residual)
                if self._selection() == "spearman":
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # a constant prediction: rho is NaN
                        rho = spearmanr(final_oof, y)[0]
                    loss = -float(rho) if np.isfinite(rho) else 1.0
                else:
                    loss = float(np.mean((final_oof - y) ** 2))
                scored.append((loss, residual, params, mean, std, final_oof))
        scored.sort(key=lambda t: t[0])
        members = scored[: max(1, min(self.ensemble, len(scored)))]
        ens_oof = np.mean([m[5] for m in members], axis=0)
        err = np.abs(ens_oof - y)
        self.cv_rmse_ = float(np.sqrt(np.mean(err**2)))
        # A Gaussian whose 90% interval covers 90% of the out-of-fold errors: the errors are
        # heavy-tailed (a few cells never learn), so the RMSE would give too wide an interval.
        self.cv_scale_ = max(coverage_scale(err), 1e-9)
        self.members_ = []
        for _, residual, params, mean, std, _ in members:
            ys = (self._encode(y, obs, residual) - mean) / std
            model = _make_model(self.model, params, seed).fit(xs, ys)
            self.members_.append((residual, params, mean, std, model))
        self.params_ = members[0][2]

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        obs = self._observed(records, self.curve)
        xs = self.x_scaler_.transform(self._features(records, obs, fitting=False))
        preds = np.vstack(
            [
                self._decode(model.predict(xs) * std + mean, obs, residual)
                for residual, _, mean, std, model in self.members_
            ]
        )
        spread = preds.std(axis=0)
        return within_range(preds.mean(axis=0), np.sqrt(self.cv_scale_**2 + spread**2), self.range_)

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self._predict_dist(records)[0]
