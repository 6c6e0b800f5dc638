"""Sequential regression models (Baker, Gupta, Raskar, Naik 2017; LcSVR in White et al. 2021).

For a fixed number of observed epochs τ (``fidelity``), a regressor maps the validation curve
up to τ, its first and second differences, the architecture encoding and the numeric
architecture columns (parameters, FLOPs) to the final validation accuracy. ν-SVR with an RBF
kernel is the default, random forest and Bayesian ridge the options; hyperparameters are chosen
by random search with k-fold cross-validation (C and γ log-uniform in [1e-5, 10], ν uniform in
(0, 1), as in the reimplementation of White et al.). The out-of-fold residuals of the chosen
model give the standard deviation of a Gaussian predictive distribution, which Baker's early
stopping rule needs.
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
from ...records import Record
from ...validation import InstanceOf, Interval, Options
from ..base import Requirements, resolve_encoding
from ._common import CURVE_CONSTRAINTS, CurvePredictor

__all__ = ["SequentialRegressionPredictor", "curve_features", "ARCH_COLUMNS"]

#: numeric columns used as architecture features when every training record has them
ARCH_COLUMNS = ("params_m", "params", "flops")


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
    error is dominated by the few cells that never learn), ``"mse"`` by squared error. The
    ``ensemble`` best settings are all kept: the prediction is their mean, and the standard
    deviation combines their spread with the ensemble's out-of-fold error. On the NB201 curves
    and nb201-digits, one member and the absolute target ranked best (docs/RESULTS.md).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CURVE_CONSTRAINTS,
        "model": [Options(("svr", "rf", "bayesian_ridge"))],
        "encoding": [None, InstanceOf(str, "an encoding name")],
        "arch_columns": [InstanceOf(bool, "True or False")],
        "n_iter": [Interval(int, 1, None)],
        "cv": [Interval(int, 2, None)],
        "residual": [Options((True, False, "auto"))],
        "selection": [Options(("spearman", "mse"))],
        "ensemble": [Interval(int, 1, None)],
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
        selection: str = "spearman",
        ensemble: int = 1,
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
        self.random_state = random_state

    def _requirements(self) -> Requirements:
        return Requirements(encoding=self.encoding, curve=self.curve, fidelity=int(self.fidelity))

    def _features(self, records: list[Record], fitting: bool) -> np.ndarray:
        parts = [curve_features(self._observed(records, self.curve))]
        if self.encoding is not None:
            kind = resolve_encoding(records, self.encoding)
            parts.append(np.vstack([r.encode(kind) for r in records]))
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
        return x

    def _offset(self, records: list[Record], residual: bool) -> np.ndarray:
        """The last observed value when the model learns the remaining gain, else zero."""
        if not residual:
            return np.zeros(len(records))
        return self._observed(records, self.curve)[:, -1]

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
        x = self._features(records, fitting=True)
        self.x_scaler_ = StandardScaler().fit(x)
        xs = self.x_scaler_.transform(x)
        rng = np.random.default_rng(self.random_state)
        seed = int(rng.integers(2**31))
        folds = list(KFold(self.cv, shuffle=True, random_state=seed).split(xs))
        candidates = [_sample_params(self.model, rng) for _ in range(self.n_iter)]
        modes = (False, True) if self.residual == "auto" else (bool(self.residual),)
        scored = []  # (loss, residual, params, mean, std, out-of-fold predictions of the final)
        for residual in modes:
            off = self._offset(records, residual)
            target = y - off
            mean, std = float(target.mean()), float(target.std()) or 1.0
            ys = (target - mean) / std
            for params in candidates:
                oof = np.empty(n)
                for tr, te in folds:
                    model = _make_model(self.model, params, seed).fit(xs[tr], ys[tr])
                    oof[te] = model.predict(xs[te])
                final_oof = oof * std + mean + off
                if self.selection == "spearman":
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
        self.cv_scale_ = max(float(np.quantile(err, 0.9)) / 1.6449, 1e-9)
        self.members_ = []
        for _, residual, params, mean, std, _ in members:
            off = self._offset(records, residual)
            model = _make_model(self.model, params, seed).fit(xs, (y - off - mean) / std)
            self.members_.append((residual, params, mean, std, model))
        self.params_ = members[0][2]

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        xs = self.x_scaler_.transform(self._features(records, fitting=False))
        preds = np.vstack(
            [
                model.predict(xs) * std + mean + self._offset(records, residual)
                for residual, _, mean, std, model in self.members_
            ]
        )
        spread = preds.std(axis=0)
        return preds.mean(axis=0), np.sqrt(self.cv_scale_**2 + spread**2)

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self._predict_dist(records)[0]
