"""A Gaussian process on a fixed-length encoding (scikit-learn, no optional dependency)."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np

from ...records import Record
from ...validation import InstanceOf, Interval
from ..base import EncodingPredictor
from ._trees import ENCODING_CONSTRAINTS, TargetScaler, column_scaling

__all__ = ["GPPredictor"]


class GPPredictor(EncodingPredictor):
    """Gaussian-process regression with a ``constant * Matern(nu) + white noise`` kernel.

    The kernel hyperparameters maximise the marginal likelihood, from the default start plus
    ``n_restarts_optimizer`` random starts drawn with ``random_state``. Inputs are standardised
    column-wise when ``standardize_inputs`` (constant columns are left unscaled), targets are
    mapped by ``target_transform`` (see :class:`~nasperf.predictors.model_based.TargetScaler`)
    and then normalised. ``ard=True`` learns one length scale per input dimension.
    ``predict_dist`` returns the posterior mean and standard deviation (noise included) in
    target units.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **ENCODING_CONSTRAINTS,
        "nu": [Interval(float, 0.0, None, closed="neither")],
        "ard": [InstanceOf(bool, "True or False")],
        "length_scale": [Interval(float, 0.0, None, closed="neither")],
        "noise_level": [Interval(float, 0.0, None, closed="neither")],
        "n_restarts_optimizer": [Interval(int, 0, None)],
        "standardize_inputs": [InstanceOf(bool, "True or False")],
    }

    def __init__(
        self,
        encoding: str = "default",
        nu: float = 2.5,
        ard: bool = False,
        length_scale: float = 1.0,
        noise_level: float = 0.1,
        n_restarts_optimizer: int = 3,
        standardize_inputs: bool = True,
        target_transform: str = "quantile",
        random_state: int = 0,
    ) -> None:
        self.encoding = encoding
        self.nu = nu
        self.ard = ard
        self.length_scale = length_scale
        self.noise_level = noise_level
        self.n_restarts_optimizer = n_restarts_optimizer
        self.standardize_inputs = standardize_inputs
        self.target_transform = target_transform
        self.random_state = random_state

    def _inputs(self, records: list[Record]) -> np.ndarray:
        X = self._features(records)
        return (X - self.x_mean_) / self.x_scale_

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        X = self._features(records)
        d = X.shape[1]
        self.x_mean_, self.x_scale_ = column_scaling(X, self.standardize_inputs)
        Xs = (X - self.x_mean_) / self.x_scale_
        self.scaler_ = TargetScaler(self.target_transform)
        z = self.scaler_.fit_transform(y)

        # Length scales start at sqrt(d) * length_scale: the typical distance between
        # standardised points grows with the square root of the dimension.
        start = self.length_scale * np.sqrt(d)
        ls = np.full(d, start) if self.ard else start
        kernel = ConstantKernel(1.0, (1e-2, 1e2)) * Matern(
            length_scale=ls, length_scale_bounds=(1e-2, 1e3), nu=self.nu
        ) + WhiteKernel(self.noise_level, (1e-6, 1e1))
        self.model_ = GaussianProcessRegressor(
            kernel=kernel,
            normalize_y=True,
            n_restarts_optimizer=self.n_restarts_optimizer,
            random_state=self.random_state,
        )
        with warnings.catch_warnings():
            # Hyperparameters at their bounds are expected with tiny training sets.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model_.fit(Xs, z)

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self.scaler_.inverse(self.model_.predict(self._inputs(records)))

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        mean, std = self.model_.predict(self._inputs(records), return_std=True)
        return self.scaler_.inverse_dist(mean, np.maximum(std, 1e-12))
