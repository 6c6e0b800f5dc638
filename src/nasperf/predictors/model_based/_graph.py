"""Predictors on the cell's graph: GCN, BONAS and GP-WL.

They read the space's ``graph`` encoding (the op-on-node DAG with its node labels; NB201,
NB101 and DARTS have one, see :mod:`nasperf.spaces.structure`).

- :class:`GCNPredictor`: the neural predictor of Wen et al. (2020), with NASLib's settings as
  in White et al.'s study (torch).
- :class:`BONASPredictor`: BONAS's GCN (Shi et al. 2020) trained as a regressor, then Bayesian
  linear regression (scikit-learn's evidence-maximising ``BayesianRidge``) on its embedding,
  which gives a predictive mean and standard deviation (torch).
- :class:`GPWLPredictor`: NAS-BOWL's Gaussian process with the Weisfeiler-Lehman kernel (Ru et
  al. 2021); the kernel is grakel's (the ``graph`` extra), the GP is written here: the depth
  ``h`` and the noise are chosen by marginal likelihood, the amplitude in closed form.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ...exceptions import ConfigurationError, require
from ...records import Record
from ...spaces import CellGraph, decode_graph
from ...validation import InstanceOf, Interval, Predicate, is_real
from ..base import THREADS_CONSTRAINTS, Predictor, Requirements, SeededTorch
from ._one_space import OneSpace
from ._trees import ENCODING_CONSTRAINTS, TargetScaler

__all__ = ["GCNPredictor", "BONASPredictor", "GPWLPredictor", "wl_kernel"]

logger = logging.getLogger(__name__)

_POSITIVE = [Interval(int, 1, None)]
_RATE = [Interval(float, 0.0, None, closed="neither")]
_COMMON: dict[str, list[Any]] = {
    "target_transform": ENCODING_CONSTRAINTS["target_transform"],
    "random_state": ENCODING_CONSTRAINTS["random_state"],
}


class _GraphPredictor(OneSpace, Predictor):
    """Reads, checks and remembers the label alphabet of the records' graphs."""

    family = "model-based"
    reads = "graphs"

    def _requirements(self) -> Requirements:
        return Requirements(encoding="graph")

    def _learn_labels(self, records: list[Record]) -> None:
        self.labels_ = tuple(self._learn_space(records).graph_labels)

    def _graphs(self, records: list[Record]) -> list[CellGraph]:
        self._check_space(records)
        return [
            decode_graph(r.encode("graph"), len(self.labels_), f"graph of {r.arch!r}")
            for r in records
        ]


class _GraphNetPredictor(SeededTorch, _GraphPredictor):
    """Shared training of a torch graph network on transformed targets."""

    extra = "torch"

    def _make_net(self) -> Any:
        raise NotImplementedError

    def _train_net(self, records: list[Record], y: np.ndarray) -> Any:
        require("torch", "torch")
        import torch

        from ._graph_nets import batch_graphs, train_graph_net

        self._learn_labels(records)
        self.scaler_ = TargetScaler(self.target_transform)
        z = self.scaler_.fit_transform(y)
        graphs = batch_graphs(self._graphs(records), len(self.labels_))
        self.net_ = self._make_net()
        train_graph_net(
            self.net_,
            graphs,
            z,
            epochs=int(self.epochs),
            batch_size=int(self.batch_size),
            learning_rate=float(self.learning_rate),
            weight_decay=float(self.weight_decay),
            generator=torch.Generator().manual_seed(int(self.random_state)),
        )
        return graphs, z

    def _run(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        from ._graph_nets import batch_graphs, run_graph_net

        return run_graph_net(self.net_, batch_graphs(self._graphs(records), len(self.labels_)))


_NET_CONSTRAINTS: dict[str, list[Any]] = {
    **_COMMON,
    "hidden_size": _POSITIVE,
    "num_layers": _POSITIVE,
    "epochs": _POSITIVE,
    "batch_size": _POSITIVE,
    "learning_rate": _RATE,
    "weight_decay": [Interval(float, 0.0, None)],
    **THREADS_CONSTRAINTS,
}


class GCNPredictor(_GraphNetPredictor):
    """Wen et al.'s GCN neural predictor.

    NASLib's settings (4 directed graph convolutions of width 144, a 128-unit linear layer,
    dropout 0.1, Adam at 1e-4 with weight decay 3e-4, batch 7, 300 epochs, cosine schedule); unlike
    NASLib's code it zeroes the gradients between steps. Targets pass through
    ``target_transform`` (rank-normal by default) and back.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_NET_CONSTRAINTS,
        "linear_size": _POSITIVE,
        "dropout": [Interval(float, 0.0, 1.0, closed="left")],
    }

    def __init__(
        self,
        hidden_size: int = 144,
        num_layers: int = 4,
        linear_size: int = 128,
        dropout: float = 0.1,
        epochs: int = 300,
        batch_size: int = 7,
        learning_rate: float = 1e-4,
        weight_decay: float = 3e-4,
        target_transform: str = "quantile",
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.linear_size = linear_size
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.target_transform = target_transform
        self.random_state = random_state
        self.num_threads = num_threads

    def _make_net(self) -> Any:
        from ._graph_nets import WenGCN

        return WenGCN(
            len(self.labels_),
            int(self.hidden_size),
            int(self.num_layers),
            int(self.linear_size),
            float(self.dropout),
        )

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        self._train_net(records, y)

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self.scaler_.inverse(self._run(records)[0])


class BONASPredictor(_GraphNetPredictor):
    """BONAS: a GCN with a global node, then Bayesian linear regression on its embedding.

    The GCN (4 layers of width 64 with batch norm) learns to regress the transformed targets;
    its global node's features then feed scikit-learn's ``BayesianRidge`` (prior and noise
    precision by evidence maximisation), whose predictive mean and standard deviation are the
    prediction and its uncertainty. ``learning_rate``, ``batch_size`` and ``epochs`` are ours
    (NASLib: 1e-4, 128, 100, which leaves the network almost untrained at 100 records).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = dict(_NET_CONSTRAINTS)

    def __init__(
        self,
        hidden_size: int = 64,
        num_layers: int = 4,
        epochs: int = 200,
        batch_size: int = 32,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        target_transform: str = "quantile",
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.target_transform = target_transform
        self.random_state = random_state
        self.num_threads = num_threads

    def _make_net(self) -> Any:
        from ._graph_nets import BonasGCN

        return BonasGCN(len(self.labels_), int(self.hidden_size), int(self.num_layers))

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        from sklearn.linear_model import BayesianRidge

        from ._graph_nets import run_graph_net

        graphs, z = self._train_net(records, y)
        _, emb = run_graph_net(self.net_, graphs)
        self.blr_ = BayesianRidge(fit_intercept=True).fit(emb, z)

    def _blr(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        mean, std = self.blr_.predict(self._run(records)[1], return_std=True)
        return mean, np.maximum(std, 1e-12)

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self.scaler_.inverse(self._blr(records)[0])

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        return self.scaler_.inverse_dist(*self._blr(records))


# -- the Weisfeiler-Lehman kernel and GP-WL --------------------------------------------------
def _grakel_graphs(graphs: Sequence[CellGraph]) -> list[Any]:
    """grakel graphs whose neighbourhoods are a node's predecessors (information flows from
    the input to the output, as in the network)."""
    grakel = require("grakel", "graph")
    out = []
    for g in graphs:
        preds: dict[int, dict[int, float]] = {i: {} for i in range(g.num_nodes)}
        for i, j in g.edges():
            preds[j][i] = 1.0
        out.append(grakel.Graph(preds, node_labels={i: int(v) for i, v in enumerate(g.labels)}))
    return out


def _wl(h: int, normalize: bool) -> Any:
    """grakel's WL subtree kernel of depth ``h`` (h = 0: the label histogram alone)."""
    require("grakel", "graph")
    from grakel.kernels import VertexHistogram, WeisfeilerLehman

    if h == 0:
        return VertexHistogram(normalize=normalize)
    return WeisfeilerLehman(n_iter=h, base_graph_kernel=VertexHistogram, normalize=normalize)


def wl_kernel(
    graphs: Sequence[CellGraph],
    others: Sequence[CellGraph] | None = None,
    h: int = 2,
    normalize: bool = False,
) -> np.ndarray:
    """The Weisfeiler-Lehman subtree kernel of depth ``h`` (grakel's).

    A graph's features count its node labels and, for each of ``h`` rounds of relabelling
    (a node's label with the sorted labels of its predecessors), the new labels; the kernel is
    the dot product of two graphs' counts (``normalize``: divided by the square root of both
    self-kernels). Returns ``K(graphs, graphs)``, or ``K(others, graphs)`` when ``others`` is
    given. ``h = 0`` compares label histograms only.
    """
    if isinstance(h, bool) or not isinstance(h, int) or h < 0:
        raise ConfigurationError(f"the WL depth h must be an integer >= 0, got {h!r}")
    kernel = _wl(h, normalize)
    train = kernel.fit_transform(_grakel_graphs(graphs))
    if others is None:
        return np.asarray(train, dtype=np.float64)
    return np.asarray(kernel.transform(_grakel_graphs(others)), dtype=np.float64)


def _positive_tuple(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) > 0
        and all(is_real(v) and float(v) > 0 for v in value)
    )


class GPWLPredictor(_GraphPredictor):
    """GP-WL (NAS-BOWL): a Gaussian process whose kernel is the normalised WL kernel.

    The covariance is ``s * (K_h + noise * I)``: ``h``, the WL depth, is fixed or (None) chosen
    from ``0 .. max_h`` together with ``noise`` from ``noise_grid`` (the noise as a ratio to
    the kernel's amplitude) by the log marginal likelihood, NAS-BOWL's choice; the amplitude
    ``s`` takes its maximum-likelihood value in closed form. Targets pass through
    ``target_transform`` and are centred. ``predict_dist`` gives the posterior mean and
    standard deviation, noise included. The fit is deterministic: ``random_state`` is accepted
    (every model-based predictor takes one) and unused.
    """

    extra = "graph"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_COMMON,
        "h": [None, Interval(int, 0, None)],
        "max_h": [Interval(int, 0, None)],
        "noise_grid": [Predicate(_positive_tuple, "a non-empty tuple of positive variances")],
        "kernel_normalize": [InstanceOf(bool, "True or False")],
    }

    def __init__(
        self,
        h: int | None = None,
        max_h: int = 3,
        noise_grid: tuple = (1e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0),
        kernel_normalize: bool = True,
        target_transform: str = "quantile",
        random_state: int = 0,
    ) -> None:
        self.h = h
        self.max_h = max_h
        self.noise_grid = noise_grid
        self.kernel_normalize = kernel_normalize
        self.target_transform = target_transform
        self.random_state = random_state

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        from scipy.linalg import cho_factor, cho_solve

        self._learn_labels(records)
        self.scaler_ = TargetScaler(self.target_transform)
        z = self.scaler_.fit_transform(y)
        self.offset_ = float(z.mean())
        z = z - self.offset_
        train = _grakel_graphs(self._graphs(records))
        depths = [int(self.h)] if self.h is not None else list(range(int(self.max_h) + 1))
        n = len(z)
        best: tuple[float, int, float, Any, Any, np.ndarray, float] | None = None
        for h in depths:
            kernel = _wl(h, bool(self.kernel_normalize))
            K = np.asarray(kernel.fit_transform(train), dtype=np.float64)
            for noise in self.noise_grid:
                factor = cho_factor(K + float(noise) * np.eye(n), lower=True)
                alpha = cho_solve(factor, z)
                scale = max(float(z @ alpha) / n, 1e-12)  # the amplitude's ML value
                logdet = 2.0 * np.log(np.diag(factor[0])).sum()
                lml = -0.5 * n * (np.log(2 * np.pi * scale) + 1.0) - 0.5 * logdet
                if best is None or lml > best[0]:
                    best = (lml, h, float(noise), kernel, factor, alpha, scale)
        assert best is not None
        (
            self.log_marginal_likelihood_,
            self.h_,
            self.noise_,
            self.kernel_,
            self.factor_,
            self.alpha_,
            self.scale_,
        ) = best

    def _posterior(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        from scipy.linalg import cho_solve

        test = _grakel_graphs(self._graphs(records))
        Ks = np.asarray(self.kernel_.transform(test), dtype=np.float64)
        mean = Ks @ self.alpha_ + self.offset_
        if self.kernel_normalize:
            prior = np.ones(len(records))
        else:  # the test graphs' self-kernels, computed by the transform
            prior = np.asarray(self.kernel_.diagonal()[1], dtype=np.float64)
        v = cho_solve(self.factor_, Ks.T)
        var = self.scale_ * (prior - np.einsum("ij,ji->i", Ks, v) + self.noise_)
        return mean, np.sqrt(np.maximum(var, 1e-12))

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self.scaler_.inverse(self._posterior(records)[0])

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        return self.scaler_.inverse_dist(*self._posterior(records))
