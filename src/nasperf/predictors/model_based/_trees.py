"""Tree ensembles on a fixed-length encoding: XGBoost, LightGBM, random forest and NGBoost.

All four learn a monotone transform of the targets (``target_transform``, see
:class:`TargetScaler`) and map their outputs back to target units, so predictions are
comparable with the targets while the trees are not dominated by a few outliers (on
NAS-Bench-201 the handful of diverged cells near 10% accuracy would otherwise absorb most splits).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ...exceptions import ConfigurationError, require
from ...records import Record
from ...validation import InstanceOf, Interval, Options
from ..base import EncodingPredictor

__all__ = [
    "TargetScaler",
    "StandardisedTargets",
    "column_scaling",
    "XGBoostPredictor",
    "LightGBMPredictor",
    "RandomForestPredictor",
    "NGBoostPredictor",
    "ENCODING_CONSTRAINTS",
    "TARGET_TRANSFORMS",
]

TARGET_TRANSFORMS = ("quantile", "standard", "none")

#: the constraints every predictor on an encoding with a target transform shares
ENCODING_CONSTRAINTS: dict[str, list[Any]] = {
    "encoding": [InstanceOf(str, "an encoding name")],
    "target_transform": [Options(TARGET_TRANSFORMS)],
    "random_state": [Interval(int, 0, 2**32 - 1)],
}
_POSITIVE_INT = [Interval(int, 1, None)]
_FRACTION = [Interval(float, 0.0, 1.0, closed="right")]
_NON_NEGATIVE = [Interval(float, 0.0, None)]
_JOBS = [Interval(int, -1, None)]


class TargetScaler:
    """A monotone, invertible map of training targets to a well-behaved scale.

    ``"quantile"`` maps each target to the normal score of its rank, ``(rank - 0.5) / n``, and
    inverts by piecewise-linear interpolation between the training pairs, extended linearly past
    the ends, so the inverse is strictly increasing and rankings survive the round trip.
    ``"standard"`` subtracts the mean and divides by the standard deviation; ``"none"`` keeps the
    targets as they are.
    """

    def __init__(self, kind: str = "quantile") -> None:
        if kind not in TARGET_TRANSFORMS:
            raise ConfigurationError(
                f"unknown target_transform {kind!r}; choose one of: {', '.join(TARGET_TRANSFORMS)}"
            )
        self.kind = kind

    def fit_transform(self, y: np.ndarray) -> np.ndarray:
        """Learn the map from ``y`` and return the transformed targets."""
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        self.mean_, self.scale_ = 0.0, 1.0
        if self.kind == "none":
            return y.copy()
        if self.kind == "standard":
            self.mean_ = float(y.mean())
            std = float(y.std())
            self.scale_ = std if std > 0 else 1.0
            return (y - self.mean_) / self.scale_
        from scipy.stats import norm, rankdata

        z = norm.ppf((rankdata(y) - 0.5) / len(y))
        # Equal targets share a rank, hence a score: the unique pairs are strictly increasing.
        self.knots_y_, first = np.unique(y, return_index=True)
        self.knots_z_ = z[first]
        return z

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """Map transformed values back to target units."""
        z = np.asarray(z, dtype=np.float64)
        if self.kind != "quantile":
            return z * self.scale_ + self.mean_
        kz, ky = self.knots_z_, self.knots_y_
        if len(kz) == 1:
            return ky[0] + z
        out = np.interp(z, kz, ky)
        lo, hi = z < kz[0], z > kz[-1]
        out[lo] = ky[0] + (z[lo] - kz[0]) * (ky[1] - ky[0]) / (kz[1] - kz[0])
        out[hi] = ky[-1] + (z[hi] - kz[-1]) * (ky[-1] - ky[-2]) / (kz[-1] - kz[-2])
        return out

    def inverse_dist(self, mean: np.ndarray, std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map a Gaussian (mean, std) on the transformed scale back to target units.

        The mean maps through :meth:`inverse`; the std is half the width of the mapped
        one-sigma interval (exact for the affine transforms).
        """
        mean = np.asarray(mean, dtype=np.float64)
        std = np.abs(np.asarray(std, dtype=np.float64))
        if self.kind != "quantile":
            return self.inverse(mean), std * self.scale_
        return self.inverse(mean), 0.5 * (self.inverse(mean + std) - self.inverse(mean - std))


def column_scaling(X: np.ndarray, standardize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The mean and scale that standardise the columns of ``X`` (a constant column keeps
    scale 1; ``standardize=False``: zeros and ones, the identity)."""
    if not standardize:
        return np.zeros(X.shape[1]), np.ones(X.shape[1])
    std = X.std(axis=0)
    return X.mean(axis=0), np.where(std > 1e-12, std, 1.0)


class StandardisedTargets:
    """Mixin: targets mapped by ``target_transform`` (:class:`TargetScaler`), then standardised;
    a predictive mean and deviation mapped back to target units."""

    target_transform: str

    def _targets(self, y: np.ndarray) -> np.ndarray:
        self.scaler_ = TargetScaler(self.target_transform)
        z = self.scaler_.fit_transform(y)
        self.z_mean_ = float(z.mean())
        std = float(z.std())
        self.z_scale_ = std if std > 1e-12 else 1.0
        return (z - self.z_mean_) / self.z_scale_

    def _to_targets(self, mean: np.ndarray, std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.scaler_.inverse_dist(
            mean * self.z_scale_ + self.z_mean_, np.maximum(std, 1e-12) * self.z_scale_
        )


class _TreePredictor(EncodingPredictor):
    """Shared fit/predict plumbing: features, target transform, one regressor in ``model_``."""

    def _make_model(self, n: int) -> Any:
        raise NotImplementedError

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        X = self._features(records)
        self.scaler_ = TargetScaler(self.target_transform)
        z = self.scaler_.fit_transform(y)
        self.model_ = self._make_model(len(y))
        self.model_.fit(X, z)

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self.scaler_.inverse(self.model_.predict(self._features(records)))


class XGBoostPredictor(_TreePredictor):
    """Gradient-boosted trees (XGBoost) on the encoding; needs the ``trees`` extra.

    The defaults (shallow trees, row subsampling, rank-normalised targets) were tuned on
    NAS-Bench-201 with 121 training cells and hold up from a dozen to thousands of records.
    """

    extra = "trees"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **ENCODING_CONSTRAINTS,
        "n_estimators": _POSITIVE_INT,
        "max_depth": _POSITIVE_INT,
        "learning_rate": [Interval(float, 0.0, None, closed="neither")],
        "subsample": _FRACTION,
        "colsample_bytree": _FRACTION,
        "min_child_weight": _NON_NEGATIVE,
        "reg_lambda": _NON_NEGATIVE,
        "reg_alpha": _NON_NEGATIVE,
        "n_jobs": _JOBS,
    }

    def __init__(
        self,
        encoding: str = "default",
        n_estimators: int = 500,
        max_depth: int = 4,
        learning_rate: float = 0.03,
        subsample: float = 0.7,
        colsample_bytree: float = 0.7,
        min_child_weight: float = 2.0,
        reg_lambda: float = 1.0,
        reg_alpha: float = 0.0,
        target_transform: str = "quantile",
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.encoding = encoding
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.target_transform = target_transform
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _make_model(self, n: int) -> Any:
        xgb = require("xgboost", "trees")
        return xgb.XGBRegressor(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth,
            learning_rate=self.learning_rate,
            subsample=self.subsample,
            colsample_bytree=self.colsample_bytree,
            min_child_weight=self.min_child_weight,
            reg_lambda=self.reg_lambda,
            reg_alpha=self.reg_alpha,
            tree_method="hist",
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )


class LightGBMPredictor(_TreePredictor):
    """Gradient-boosted trees (LightGBM) on the encoding; needs the ``trees`` extra.

    ``min_child_samples`` and the binning minimum are small so that a handful of training
    records still yields splits.
    """

    extra = "trees"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **ENCODING_CONSTRAINTS,
        "n_estimators": _POSITIVE_INT,
        "num_leaves": [Interval(int, 2, None)],
        "max_depth": [Interval(int, -1, None)],
        "learning_rate": [Interval(float, 0.0, None, closed="neither")],
        "subsample": _FRACTION,
        "colsample_bytree": _FRACTION,
        "min_child_samples": _POSITIVE_INT,
        "reg_lambda": _NON_NEGATIVE,
        "reg_alpha": _NON_NEGATIVE,
        "n_jobs": _JOBS,
    }

    def __init__(
        self,
        encoding: str = "default",
        n_estimators: int = 500,
        num_leaves: int = 15,
        max_depth: int = -1,
        learning_rate: float = 0.03,
        subsample: float = 0.7,
        colsample_bytree: float = 0.7,
        min_child_samples: int = 2,
        reg_lambda: float = 1.0,
        reg_alpha: float = 0.0,
        target_transform: str = "quantile",
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.encoding = encoding
        self.n_estimators = n_estimators
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.target_transform = target_transform
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _make_model(self, n: int) -> Any:
        lgb = require("lightgbm", "trees")
        return lgb.LGBMRegressor(
            n_estimators=self.n_estimators,
            num_leaves=self.num_leaves,
            max_depth=self.max_depth,
            learning_rate=self.learning_rate,
            subsample=self.subsample,
            subsample_freq=1 if self.subsample < 1.0 else 0,
            colsample_bytree=self.colsample_bytree,
            min_child_samples=self.min_child_samples,
            min_child_weight=0.0,
            min_data_in_bin=1,
            min_split_gain=0.0,
            reg_lambda=self.reg_lambda,
            reg_alpha=self.reg_alpha,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
            deterministic=True,
            force_col_wise=True,
            verbose=-1,
        )


class RandomForestPredictor(_TreePredictor):
    """A random forest (scikit-learn) on the encoding; no optional dependency."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **ENCODING_CONSTRAINTS,
        "n_estimators": _POSITIVE_INT,
        "max_features": [None, Options(("sqrt", "log2")), *_FRACTION],
        "min_samples_leaf": _POSITIVE_INT,
        "max_depth": [None, Interval(int, 1, None)],
        "bootstrap": [InstanceOf(bool, "True or False")],
        "n_jobs": _JOBS,
    }

    def __init__(
        self,
        encoding: str = "default",
        n_estimators: int = 300,
        max_features: float | str | None = 0.5,
        min_samples_leaf: int = 1,
        max_depth: int | None = None,
        bootstrap: bool = True,
        target_transform: str = "quantile",
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.encoding = encoding
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.max_depth = max_depth
        self.bootstrap = bootstrap
        self.target_transform = target_transform
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _make_model(self, n: int) -> Any:
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(
            n_estimators=self.n_estimators,
            max_features=self.max_features,
            min_samples_leaf=self.min_samples_leaf,
            max_depth=self.max_depth,
            bootstrap=self.bootstrap,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )


class NGBoostPredictor(_TreePredictor):
    """NGBoost with a Normal distribution on the encoding; needs the ``trees`` extra.

    ``predict_dist`` returns the Normal's mean and standard deviation, mapped back to target
    units.
    """

    extra = "trees"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **ENCODING_CONSTRAINTS,
        "n_estimators": _POSITIVE_INT,
        "learning_rate": [Interval(float, 0.0, None, closed="neither")],
        "max_depth": _POSITIVE_INT,
        "min_samples_leaf": _POSITIVE_INT,
        "minibatch_frac": _FRACTION,
        "col_sample": _FRACTION,
    }

    def __init__(
        self,
        encoding: str = "default",
        n_estimators: int = 500,
        learning_rate: float = 0.03,
        max_depth: int = 3,
        min_samples_leaf: int = 1,
        minibatch_frac: float = 1.0,
        col_sample: float = 1.0,
        target_transform: str = "quantile",
        random_state: int = 0,
    ) -> None:
        self.encoding = encoding
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.minibatch_frac = minibatch_frac
        self.col_sample = col_sample
        self.target_transform = target_transform
        self.random_state = random_state

    def _make_model(self, n: int) -> Any:
        ngboost = require("ngboost", "trees")
        from ngboost.distns import Normal
        from sklearn.tree import DecisionTreeRegressor

        base = DecisionTreeRegressor(
            criterion="squared_error",
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            random_state=self.random_state,
        )
        return ngboost.NGBRegressor(
            Dist=Normal,
            Base=base,
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            minibatch_frac=self.minibatch_frac,
            col_sample=self.col_sample,
            natural_gradient=True,
            verbose=False,
            random_state=self.random_state,
        )

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        dist = self.model_.pred_dist(self._features(records))
        return self.scaler_.inverse_dist(dist.params["loc"], dist.params["scale"])
