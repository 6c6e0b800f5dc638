"""Multi-layer perceptrons on a fixed-length encoding (PyTorch, the ``torch`` extra).

:class:`MLPPredictor` is one fully connected network; :class:`BananasPredictor` is the
BANANAS meta neural network of White et al. (2021a): an ensemble of independently initialised
MLPs on the path encoding whose mean is the prediction and whose spread is the uncertainty.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ...exceptions import require
from ...records import Record
from ...validation import Interval, Options, validate_params
from ..base import THREADS_CONSTRAINTS, EncodingPredictor, TorchThreads
from ._trees import ENCODING_CONSTRAINTS, TargetScaler

__all__ = [
    "MLPPredictor",
    "BananasPredictor",
    "train_mlp",
    "LOSSES",
    "ACTIVATIONS",
    "MLP_CONSTRAINTS",
]

LOSSES = ("mae", "mse")
#: the hidden layers' activation functions :func:`train_mlp` offers
ACTIVATIONS = ("relu", "tanh")

#: the settings of one MLP (shared by :func:`train_mlp` and the MLP predictors)
MLP_CONSTRAINTS: dict[str, list[Any]] = {
    "num_layers": [Interval(int, 1, None)],
    "layer_width": [Interval(int, 1, None)],
    "epochs": [Interval(int, 1, None)],
    "batch_size": [Interval(int, 1, None)],
    "learning_rate": [Interval(float, 0.0, None, closed="neither")],
    "weight_decay": [Interval(float, 0.0, None)],
    "loss": [Options(LOSSES)],
}


def train_mlp(
    X: np.ndarray,
    z: np.ndarray,
    *,
    num_layers: int,
    layer_width: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    loss: str,
    seed: int,
    activation: str = "relu",
) -> Any:
    """Train one MLP (``activation`` hidden layers, a linear output) regressing ``z`` on ``X``
    with Adam; return the ``torch.nn.Sequential`` in eval mode (``model[:-1]``: its hidden
    layers).

    All randomness (initial weights, minibatch order) comes from ``seed``, and the global torch
    RNG is left as it was.
    """
    torch = require("torch", "torch")
    validate_params(
        locals(),
        {
            **MLP_CONSTRAINTS,
            "seed": [Interval(int, 0, None)],
            "activation": [Options(ACTIVATIONS)],
        },
        "train_mlp",
    )
    act = torch.nn.Tanh if activation == "tanh" else torch.nn.ReLU
    from ...training import seeded  # every device's RNG saved and restored

    with seeded(seed):
        layers: list[Any] = []
        width_in = X.shape[1]
        for _ in range(num_layers):
            layers += [torch.nn.Linear(width_in, layer_width), act()]
            width_in = layer_width
        layers.append(torch.nn.Linear(width_in, 1))
        model = torch.nn.Sequential(*layers).double()
        opt = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
        loss_fn = torch.nn.L1Loss() if loss == "mae" else torch.nn.MSELoss()
        Xt = torch.as_tensor(X, dtype=torch.float64)
        zt = torch.as_tensor(z, dtype=torch.float64).reshape(-1, 1)
        gen = torch.Generator().manual_seed(seed)
        n = len(Xt)
        model.train()
        for _ in range(epochs):
            order = torch.randperm(n, generator=gen)
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                opt.zero_grad()
                loss_fn(model(Xt[idx]), zt[idx]).backward()
                opt.step()
    model.eval()
    return model


def _apply(model: Any, X: np.ndarray) -> np.ndarray:
    torch = require("torch", "torch")
    with torch.no_grad():
        return model(torch.as_tensor(X, dtype=torch.float64)).numpy().reshape(-1)


class MLPPredictor(TorchThreads, EncodingPredictor):
    """A fully connected ReLU network trained with Adam on the encoding.

    Targets are mapped by ``target_transform`` (rank-normal by default, see
    :class:`~nasperf.predictors.model_based.TargetScaler`) before training and back afterwards.
    """

    extra = "torch"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **ENCODING_CONSTRAINTS,
        **MLP_CONSTRAINTS,
        **THREADS_CONSTRAINTS,
    }

    def __init__(
        self,
        encoding: str = "default",
        num_layers: int = 3,
        layer_width: int = 64,
        epochs: int = 200,
        batch_size: int = 32,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        loss: str = "mse",
        target_transform: str = "quantile",
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        self.encoding = encoding
        self.num_layers = num_layers
        self.layer_width = layer_width
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.loss = loss
        self.target_transform = target_transform
        self.random_state = random_state
        self.num_threads = num_threads

    def _train(self, X: np.ndarray, z: np.ndarray, seed: int) -> Any:
        return train_mlp(
            X,
            z,
            num_layers=self.num_layers,
            layer_width=self.layer_width,
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
            loss=self.loss,
            seed=seed,
        )

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        self.scaler_ = TargetScaler(self.target_transform)
        z = self.scaler_.fit_transform(y)
        self.model_ = self._train(self._features(records), z, int(self.random_state))

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self.scaler_.inverse(_apply(self.model_, self._features(records)))


class BananasPredictor(MLPPredictor):
    """The BANANAS ensemble: ``n_models`` MLPs on the path encoding (White et al. 2021a).

    Defaults follow the paper: 3 networks of 10 layers of width 20, Adam with learning rate
    0.01, 200 epochs, mean absolute error. Each member starts from its own seed; ``predict`` is
    the ensemble mean and ``predict_dist`` adds the ensemble standard deviation.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **MLPPredictor._parameter_constraints,
        "n_models": [Interval(int, 1, None)],
    }

    def __init__(
        self,
        encoding: str = "path",
        n_models: int = 3,
        num_layers: int = 10,
        layer_width: int = 20,
        epochs: int = 200,
        batch_size: int = 32,
        learning_rate: float = 0.01,
        weight_decay: float = 0.0,
        loss: str = "mae",
        target_transform: str = "standard",
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        super().__init__(
            encoding=encoding,
            num_layers=num_layers,
            layer_width=layer_width,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            loss=loss,
            target_transform=target_transform,
            random_state=random_state,
            num_threads=num_threads,
        )
        self.n_models = n_models

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        self.scaler_ = TargetScaler(self.target_transform)
        z = self.scaler_.fit_transform(y)
        X = self._features(records)
        base = int(self.random_state) * 1000
        self.models_ = [self._train(X, z, base + i) for i in range(self.n_models)]

    def _members(self, records: list[Record]) -> np.ndarray:
        X = self._features(records)
        return np.stack([_apply(m, X) for m in self.models_])

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self.scaler_.inverse(self._members(records).mean(axis=0))

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        preds = self._members(records)
        return self.scaler_.inverse_dist(preds.mean(axis=0), preds.std(axis=0))
