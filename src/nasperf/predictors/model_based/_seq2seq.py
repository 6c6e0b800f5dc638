"""Predictors on a learned embedding of the architecture's token sequence (the ``torch`` extra).

All three share one encoder-predictor-decoder (:mod:`._seq_nets`) over the space's ``seq``
encoding (NB201, NB101 and DARTS have one):

- :class:`EmProxPredictor` (Franken, Singh and Vanschoren 2022) trains the encoder and decoder on
  reconstruction alone, embeds each known architecture once with the final encoder and predicts
  an architecture's performance as the inverse-distance weighted mean of its ``k`` nearest known
  architectures in embedding space (scikit-learn's exact index: a k-d or ball tree, or brute
  force where the metric needs it).
- :class:`NAOPredictor` (Luo et al. 2018) trains encoder, performance MLP and decoder jointly:
  ``trade_off * MSE + (1 - trade_off) * reconstruction NLL``.
- :class:`SemiNASPredictor` (Luo et al. 2020) is NAO plus SemiNAS's loop: train on the labelled
  architectures, label ``n_unlabelled`` architectures drawn from the space with the model, then
  train on both (the labelled ones repeated ``up_sample_ratio`` times), ``iterations`` times.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np

from ...exceptions import require
from ...records import Record, encode_records
from ...spaces import check_tokens, get_space
from ...validation import Interval, Options
from ..base import THREADS_CONSTRAINTS, Predictor, Requirements, SeededTorch
from ._one_space import OneSpace
from ._trees import ENCODING_CONSTRAINTS, TargetScaler

__all__ = ["EmProxPredictor", "NAOPredictor", "SemiNASPredictor", "SEQ_CONSTRAINTS"]

logger = logging.getLogger(__name__)

_POSITIVE = [Interval(int, 1, None)]
_SEED = ENCODING_CONSTRAINTS["random_state"]
#: the settings every sequence model shares
SEQ_CONSTRAINTS: dict[str, list[Any]] = {
    "hidden_size": _POSITIVE,
    "epochs": _POSITIVE,
    "batch_size": _POSITIVE,
    "learning_rate": [Interval(float, 0.0, None, closed="neither")],
    "weight_decay": [Interval(float, 0.0, None)],
    "dropout": [Interval(float, 0.0, 1.0, closed="left")],
    "grad_bound": [Interval(float, 0.0, None, closed="neither")],
    "random_state": _SEED,
    **THREADS_CONSTRAINTS,
}


class _SequencePredictor(OneSpace, SeededTorch, Predictor):
    """Shared plumbing: token checks, unlabelled draws, the network and its training."""

    extra = "torch"
    family = "model-based"
    reads = "sequences"

    def _requirements(self) -> Requirements:
        return Requirements(encoding="seq")

    # -- tokens ------------------------------------------------------------------------------
    def _learn_vocabulary(self, records: list[Record]) -> None:
        space = self._learn_space(records)
        self.vocabulary_ = int(space.seq_vocabulary)
        self.max_length_ = len(records[0].encode("seq"))

    def _tokens(self, records: list[Record]) -> np.ndarray:
        self._check_space(records)
        what = f"{type(self).__name__} (fitted on {self.space_!r} sequences)"
        return check_tokens(
            encode_records(records, "seq"), self.vocabulary_, self.max_length_, what
        )

    def _draw_unlabelled(self, n: int, seed: int, known: np.ndarray) -> np.ndarray:
        """Token sequences of ``n`` architectures drawn at random from the fitted space, none
        of them among the ``known`` (labelled) sequences."""
        space = get_space(self.space_)
        rng = np.random.default_rng(seed)
        seen = {row.tobytes() for row in known.astype(np.float64)}
        rows: list[np.ndarray] = []
        for _ in range(100 * n + 100):  # a space smaller than n + known ends the draw
            if len(rows) == n:
                break
            row = space.encode(space.sample(rng), "seq")
            if row.tobytes() not in seen:
                seen.add(row.tobytes())
                rows.append(row)
        if len(rows) < n:
            logger.info("drew %d of %d unlabelled architectures (the rest repeat)", len(rows), n)
        out = np.asarray(rows, dtype=np.float64).reshape(len(rows), self.max_length_)
        return check_tokens(out, self.vocabulary_, self.max_length_, "unlabelled")

    # -- the network -------------------------------------------------------------------------
    def _settings(self, trade_off: float, epochs: int | None = None) -> Any:
        from ._seq_nets import EPDSettings

        return EPDSettings(
            epochs=int(self.epochs if epochs is None else epochs),
            batch_size=int(self.batch_size),
            learning_rate=float(self.learning_rate),
            weight_decay=float(self.weight_decay),
            grad_bound=float(self.grad_bound),
            trade_off=trade_off,
        )

    def _new_model(self, with_predictor: bool) -> Any:
        require("torch", "torch")
        from ._seq_nets import EPD

        return EPD(
            self.vocabulary_,
            int(self.hidden_size),
            float(self.dropout),
            mlp_layers=int(getattr(self, "mlp_layers", 2)),
            mlp_width=int(getattr(self, "mlp_hidden_size", 16)),
            with_predictor=with_predictor,
        )

    def _generator(self) -> Any:
        import torch

        return torch.Generator().manual_seed(int(self.random_state))


class EmProxPredictor(_SequencePredictor):
    """EmProx: k nearest known architectures in the embedding of a sequence autoencoder.

    Defaults follow the paper (as summarised in ``METHODS.md``, section 4): embedding size 32,
    dropout 0.1, Adam at 1e-3 with weight decay 1e-4, batch 100, 50 epochs of reconstruction
    loss alone, Euclidean distance, k = 10. The autoencoder
    learns from the training architectures plus ``n_unlabelled`` drawn from the space (their
    targets are not needed). A ``k`` larger than the known set uses all of it. The neighbours'
    targets are averaged after ``target_transform`` (rank-normal by default, so a diverged
    neighbour at chance accuracy does not drag the mean; ``"none"`` averages raw targets as the
    paper does) and mapped back.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **SEQ_CONSTRAINTS,
        "k": _POSITIVE,
        "distance": [Options(("euclidean", "manhattan", "cosine"))],
        "n_unlabelled": [Interval(int, 0, None)],
        "target_transform": ENCODING_CONSTRAINTS["target_transform"],
    }

    def __init__(
        self,
        k: int = 10,
        distance: str = "euclidean",
        n_unlabelled: int = 0,
        target_transform: str = "quantile",
        hidden_size: int = 32,
        epochs: int = 50,
        batch_size: int = 100,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        dropout: float = 0.1,
        grad_bound: float = 5.0,
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        self.k = k
        self.distance = distance
        self.n_unlabelled = n_unlabelled
        self.target_transform = target_transform
        self.hidden_size = hidden_size
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.grad_bound = grad_bound
        self.random_state = random_state
        self.num_threads = num_threads

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        from sklearn.neighbors import KNeighborsRegressor

        from ._seq_nets import train_epd

        self.__dict__.pop("known_", None)  # a refit embeds its records afresh
        self._learn_vocabulary(records)
        tokens = self._tokens(records)
        corpus = tokens
        if self.n_unlabelled:
            extra = self._draw_unlabelled(
                int(self.n_unlabelled), int(self.random_state) + 1, tokens
            )
            corpus = np.concatenate([tokens, extra])
        model = self._new_model(with_predictor=False)
        self.model_ = train_epd(model, corpus, None, self._settings(0.0), self._generator())
        self.n_neighbors_ = min(int(self.k), len(records))
        if self.n_neighbors_ < self.k:
            logger.info("EmProx: k = %d > %d known architectures; using all", self.k, len(records))
        self.scaler_ = TargetScaler(self.target_transform)
        z = self.scaler_.fit_transform(y)
        known = self._embed_tokens(tokens)
        # One embedding per known architecture: a query that is a known architecture gets
        # exactly its stored embedding (a batch of another size may differ in the last bits)
        # and, its distance being zero, the mean of its known targets.
        self.known_ = {row.tobytes(): known[i] for i, row in enumerate(tokens)}
        groups: dict[bytes, list[float]] = {}
        for row, value in zip(tokens, z, strict=True):
            groups.setdefault(row.tobytes(), []).append(float(value))
        self.known_targets_ = {key: float(np.mean(v)) for key, v in groups.items()}
        self.index_ = KNeighborsRegressor(
            n_neighbors=self.n_neighbors_, weights="distance", metric=self.distance
        ).fit(known, z)

    def _embed_tokens(self, tokens: np.ndarray) -> np.ndarray:
        from ._seq_nets import embed

        out = embed(self.model_, tokens)
        for i, row in enumerate(tokens):
            stored = getattr(self, "known_", {}).get(row.tobytes())
            if stored is not None:
                out[i] = stored
        return out

    def embed(self, records: list[Record]) -> np.ndarray:
        """The fitted encoder's embedding of each record's architecture (one row each)."""
        records = self._check_predict(records)
        with self._compute_context():
            return self._embed_tokens(self._tokens(records))

    def _predict(self, records: list[Record]) -> np.ndarray:
        tokens = self._tokens(records)
        z = self.index_.predict(self._embed_tokens(tokens))
        for i, row in enumerate(tokens):
            z[i] = self.known_targets_.get(row.tobytes(), z[i])
        return self.scaler_.inverse(z)


class NAOPredictor(_SequencePredictor):
    """NAO's encoder-predictor-decoder trained jointly; the predictor's output is the score.

    Settings of NASLib's NAO / SemiNAS (hidden 64, a 2-layer predictor MLP of width 16, dropout
    0.1, Adam at 1e-3 with weight decay 1e-4, batch 100, trade-off 0.8, gradient norm clipped at
    5); ``epochs`` is ours (NASLib trains 50), chosen on NB201 (docs/RESULTS.md). Targets pass
    through ``target_transform`` (rank-normal by default) and back.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **SEQ_CONSTRAINTS,
        "mlp_layers": [Interval(int, 2, None)],
        "mlp_hidden_size": _POSITIVE,
        "trade_off": [Interval(float, 0.0, 1.0, closed="right")],
        "target_transform": ENCODING_CONSTRAINTS["target_transform"],
    }

    def __init__(
        self,
        hidden_size: int = 64,
        mlp_layers: int = 2,
        mlp_hidden_size: int = 16,
        trade_off: float = 0.8,
        epochs: int = 200,
        batch_size: int = 100,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        dropout: float = 0.1,
        grad_bound: float = 5.0,
        target_transform: str = "quantile",
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        self.hidden_size = hidden_size
        self.mlp_layers = mlp_layers
        self.mlp_hidden_size = mlp_hidden_size
        self.trade_off = trade_off
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.grad_bound = grad_bound
        self.target_transform = target_transform
        self.random_state = random_state
        self.num_threads = num_threads

    def _start(self, records: list[Record], y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Learn the vocabulary and target map, build the model; return tokens and targets."""
        self._learn_vocabulary(records)
        self.scaler_ = TargetScaler(self.target_transform)
        z = self.scaler_.fit_transform(y)
        self.model_ = self._new_model(with_predictor=True)
        return self._tokens(records), z

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        from ._seq_nets import train_epd

        tokens, z = self._start(records, y)
        train_epd(self.model_, tokens, z, self._settings(float(self.trade_off)), self._generator())

    def _values(self, tokens: np.ndarray) -> np.ndarray:
        from ._seq_nets import predict_values

        return predict_values(self.model_, tokens)

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self.scaler_.inverse(self._values(self._tokens(records)))


class SemiNASPredictor(NAOPredictor):
    """SemiNAS: NAO trained on its labelled architectures plus pseudo-labelled ones.

    Each of ``iterations`` rounds trains on the labelled sequences for ``pretrain_epochs``
    (NAO's training), labels ``n_unlabelled`` architectures drawn from the space (drawn once)
    with the current model, then trains for ``epochs`` more on the labelled sequences repeated
    ``up_sample_ratio`` times plus the pseudo-labelled ones (SemiNAS's ratio of 10; NASLib's
    standalone runs draw as many unlabelled architectures as labelled ones, the paper far more).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **NAOPredictor._parameter_constraints,
        "n_unlabelled": [Interval(int, 0, None)],
        "up_sample_ratio": _POSITIVE,
        "iterations": _POSITIVE,
        "pretrain_epochs": _POSITIVE,
    }

    def __init__(
        self,
        n_unlabelled: int = 1000,
        up_sample_ratio: int = 10,
        iterations: int = 1,
        pretrain_epochs: int = 200,
        hidden_size: int = 64,
        mlp_layers: int = 2,
        mlp_hidden_size: int = 16,
        trade_off: float = 0.8,
        epochs: int = 20,
        batch_size: int = 100,
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        dropout: float = 0.1,
        grad_bound: float = 5.0,
        target_transform: str = "quantile",
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        super().__init__(
            hidden_size=hidden_size,
            mlp_layers=mlp_layers,
            mlp_hidden_size=mlp_hidden_size,
            trade_off=trade_off,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            dropout=dropout,
            grad_bound=grad_bound,
            target_transform=target_transform,
            random_state=random_state,
            num_threads=num_threads,
        )
        self.n_unlabelled = n_unlabelled
        self.up_sample_ratio = up_sample_ratio
        self.iterations = iterations
        self.pretrain_epochs = pretrain_epochs

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        from ._seq_nets import train_epd

        tokens, z = self._start(records, y)
        settings = self._settings(float(self.trade_off))
        pretrain = self._settings(float(self.trade_off), int(self.pretrain_epochs))
        gen = self._generator()
        unlabelled = self._draw_unlabelled(
            int(self.n_unlabelled), int(self.random_state) + 1, tokens
        )
        for _ in range(int(self.iterations)):
            train_epd(self.model_, tokens, z, pretrain, gen)
            if not len(unlabelled):
                continue
            pseudo = self._values(unlabelled)
            ratio = int(self.up_sample_ratio)
            train_epd(
                self.model_,
                np.concatenate([np.tile(tokens, (ratio, 1)), unlabelled]),
                np.concatenate([np.tile(z, ratio), pseudo]),
                settings,
                gen,
            )
