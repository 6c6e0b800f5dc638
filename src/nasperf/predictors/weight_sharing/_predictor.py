"""Weight-sharing predictors (White et al. 2021's family of two): one-shot and RS-WS.

Both train one NB201 supernet (:class:`~._supernet.NB201Supernet`) in ``fit`` and score a cell
by the validation accuracy of the network it inherits from it. Records are NB201 cells
(``space == "nb201"``) carrying the live dataset in ``info["data"]`` (an
:class:`~nasperf.data.ArrayDataset`); no targets are read.
:func:`nasperf.benchmarks.live_benchmark_records` gives the records of a live benchmark
(``nb201-digits``, ``nb201-mnist``, ``live:DIR``) that way, with the predictor parameters
(``C``, ``N``, ``train_config``) of how its cells were made.

How the two differ is taken from NASLib, where both are ``OneShotPredictor``
(``naslib/predictors/oneshot/``) over a supernet trained by an optimizer:

``oneshot``
    ``OneShotNASOptimizer`` (Bender et al. 2018 without path dropout): every architecture
    weight is 1, so each step runs all five operations of every edge, summed, and trains them
    all.
``rs-ws``
    ``RandomNASOptimizer`` (Li and Talwalkar 2019): each step samples one cell uniformly and
    runs only its path (its other weights are zero), as Li and Talwalkar's ``train_batch``.

Scoring is the same code in NASLib for both (``evaluate_oneshot``: the cell's path in eval
mode over the whole validation split, the cell operations' BatchNorm on batch statistics,
since NASLib builds them with ``track_running_stats=False``). Here it is the same for both too:
the standalone network a cell inherits (:meth:`NB201Supernet.extract`) has its BatchNorm
statistics recomputed on ``bn_batches`` training batches (``bn="recompute"``; the running
statistics of a supernet describe the mix of paths it was trained on, not the cell) and is
evaluated on ``eval_batches`` validation batches (None: the whole split, as NASLib).
``bn="running"`` keeps the supernet's running statistics and ``eval_batches=10`` with
``train_config.eval_batch_size=64`` is Li and Talwalkar's cheap ranking pass (their default,
``reset_bn=False``, 10 minibatches of 64).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from ...exceptions import InvalidDataError, MissingRequirementError, require
from ...records import Record
from ...training import TrainConfig
from ...validation import InstanceOf, Interval, Options
from ..base import THREADS_CONSTRAINTS, Predictor, Requirements, SeededTorch

__all__ = [
    "OneShotPredictor",
    "RSWSPredictor",
    "LiveCells",
    "BN_MODES",
]

logger = logging.getLogger(__name__)

#: how a cell's BatchNorm statistics are set before it is scored
BN_MODES = ("recompute", "running")


def _check_record(record: Record) -> Any:
    """The dataset ``record`` carries; MissingRequirementError for a non-NB201 record or one
    without data, InvalidDataError for data that is no ArrayDataset."""
    from ...data import ArrayDataset

    if record.space != "nb201":
        raise MissingRequirementError(
            f"record {record.arch!r} is from space {record.space!r}; weight-sharing predictors "
            "train an NB201 supernet and score NB201 cells only (space 'nb201')"
        )
    data = record.info.get("data")
    if data is None:
        raise MissingRequirementError(
            f"record {record.arch!r} carries no live data; a weight-sharing predictor needs "
            "info['data'] = the ArrayDataset its supernet trains and is scored on (see "
            "nasperf.benchmarks.live_benchmark_records)"
        )
    if not isinstance(data, ArrayDataset):
        raise InvalidDataError(
            f"record {record.arch!r}: info['data'] must be an ArrayDataset, "
            f"got {type(data).__name__}"
        )
    return data


@dataclass(frozen=True)
class LiveCells(Requirements):
    """What the weight-sharing predictors need: NB201 records carrying their dataset in
    ``info["data"]`` (checked by :meth:`check` with clear errors), and no targets."""

    targets: bool = False

    def describe(self) -> str:
        """``nb201 cells + live data; no training data``, for ``nasperf predictors``."""
        return "nb201 cells + live data; " + super().describe()

    def check(self, records: Sequence[Record]) -> None:
        """Raise MissingRequirementError for a record of another space or without data."""
        super().check(records)
        for r in records:
            _check_record(r)


def _dataset_key(data: Any) -> tuple:
    """What tells one dataset from another: its name, input shape, classes and split sizes."""
    return (data.name, tuple(data.input_shape), data.num_classes, len(data.y_train),
            len(data.y_val))  # fmt: skip


def _same_dataset(a: Any, b: Any) -> bool:
    return a is b or _dataset_key(a) == _dataset_key(b)


class _WeightSharing(SeededTorch, Predictor):
    """What the two share: the supernet's size and training, and how a cell is scored."""

    family = "weight-sharing"
    extra = "torch"
    #: how the supernet is trained: "uniform" single paths or "all" operations every step
    _sampling: ClassVar[str]
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "epochs": [None, Interval(int, 1, None)],
        "C": [Interval(int, 1, None)],
        "N": [Interval(int, 1, None)],
        "bn": [Options(BN_MODES)],
        "bn_batches": [Interval(int, 1, None)],
        "eval_batches": [None, Interval(int, 1, None)],
        "train_config": [None, InstanceOf(TrainConfig, "a TrainConfig")],
        "random_state": [Interval(int, 0, 2**32 - 1)],
        **THREADS_CONSTRAINTS,
    }

    def __init__(
        self,
        epochs: int | None = None,
        C: int = 16,
        N: int = 5,
        bn: str = "recompute",
        bn_batches: int = 8,
        eval_batches: int | None = None,
        train_config: TrainConfig | None = None,
        random_state: int = 0,
        num_threads: int = 1,
    ) -> None:
        self.epochs = epochs
        self.C = C
        self.N = N
        self.bn = bn
        self.bn_batches = bn_batches
        self.eval_batches = eval_batches
        self.train_config = train_config
        self.random_state = random_state
        self.num_threads = num_threads

    def _requirements(self) -> Requirements:
        return LiveCells()

    def _config(self) -> TrainConfig:
        """The supernet's run: ``train_config`` (default TrainConfig()) for ``epochs``."""
        base = self.train_config if self.train_config is not None else TrainConfig()
        epochs = base.epochs if self.epochs is None else int(self.epochs)
        return replace(base, epochs=epochs, seed=int(self.random_state), num_threads=None)

    # -- fit: train the supernet ---------------------------------------------------------------
    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        self.supernet_: Any = None
        self.supernet_time_: float | None = None
        self.supernet_losses_: tuple[float, ...] = ()
        if not records:  # trained on the data of the first records it scores
            return
        datasets = [r.info["data"] for r in records]  # fit has checked the records
        for r, data in zip(records, datasets, strict=True):
            if not _same_dataset(data, datasets[0]):
                raise InvalidDataError(
                    f"record {r.arch!r} carries dataset {data!r}, another than the first "
                    f"record's {datasets[0]!r}; a supernet trains on one dataset"
                )
        self._train(datasets[0])

    def _train(self, data: Any) -> None:
        require("torch", "torch")
        from ._supernet import NB201Supernet, train_supernet

        config = self._config()
        supernet = NB201Supernet(
            C=int(self.C), N=int(self.N), in_channels=data.input_shape[0],
            num_classes=data.num_classes,
        )  # fmt: skip
        run = train_supernet(
            supernet, data, config, sampling=self._sampling, seed=int(self.random_state)
        )
        self.supernet_ = supernet
        self.dataset_key_ = _dataset_key(data)
        self.supernet_time_ = run.seconds
        self.supernet_losses_ = run.losses
        logger.info(
            "%s: supernet (C=%d, N=%d, %s sampling) trained %d epochs on %s in %.1fs, "
            "last loss %.3f",
            type(self).__name__, self.C, self.N, self._sampling, config.epochs, data.name,
            run.seconds, run.losses[-1],
        )  # fmt: skip

    # -- predict: score each cell ------------------------------------------------------------
    def _predict(self, records: list[Record]) -> np.ndarray:
        datasets = [r.info["data"] for r in records]  # predict has checked the records
        if self.supernet_ is None:
            self._train(datasets[0])
        for r, data in zip(records, datasets, strict=True):
            if _dataset_key(data) != self.dataset_key_:
                raise InvalidDataError(
                    f"record {r.arch!r} carries dataset {_dataset_key(data)}, the supernet was "
                    f"trained on {self.dataset_key_}; score records of the dataset it was "
                    "fitted on (name, input shape, classes and split sizes)"
                )
        splits: dict[int, tuple[Any, Any, Any]] = {}
        out = np.empty(len(records), dtype=np.float64)
        for i, (r, data) in enumerate(zip(records, datasets, strict=True)):
            if id(data) not in splits:
                splits[id(data)] = self._splits(data)
            out[i] = self._score(r.arch, *splits[id(data)])
        return out

    def _splits(self, data: Any) -> tuple[Any, Any, Any]:
        """The training examples BatchNorm statistics are recomputed on (a fixed draw of
        ``bn_batches`` batches) and the validation examples scored (``eval_batches``)."""
        import torch

        config = self._config()
        order = np.random.default_rng(int(self.random_state)).permutation(len(data.y_train))
        x_bn = torch.from_numpy(data.x_train[order[: self.bn_batches * config.batch_size]])
        n_val = len(data.y_val)
        if self.eval_batches is not None:
            n_val = min(n_val, self.eval_batches * config.eval_batch)
        x_val = torch.from_numpy(data.x_val[:n_val])
        y_val = torch.from_numpy(data.y_val[:n_val])
        return x_bn, x_val, y_val

    def _score(self, arch: object, x_bn: Any, x_val: Any, y_val: Any) -> float:
        """The validation accuracy (percent) of the network ``arch`` inherits."""
        from ._supernet import accuracy, recalibrate_bn

        config = self._config()
        net = self.supernet_.extract(arch)
        if self.bn == "recompute":
            recalibrate_bn(net, x_bn, config.batch_size, self.bn_batches)
        return accuracy(net, x_val, y_val, config.eval_batch)


class OneShotPredictor(_WeightSharing):
    """One-shot model (Bender et al. 2018, as NASLib's ``OneShotNASOptimizer`` trains it for
    White et al. 2021): a supernet trained with all five operations of every edge active and
    summed; a cell scores the validation accuracy (percent) of the weights it inherits.

    ``fit(records)`` trains the supernet (C, N) for ``epochs`` epochs (None:
    ``train_config.epochs``, the cost of one standalone run; NASLib's setting is 50 epochs of
    CIFAR-10) of ``train_config`` (default ``TrainConfig()``; its seed is replaced by
    ``random_state``) on the records' ``info["data"]``; fitted on no records it trains on the
    data of the first ``predict`` call. ``predict`` extracts each cell's network, recomputes
    its BatchNorm statistics on ``bn_batches`` training batches of ``train_config.batch_size``
    (``bn="recompute"``; 8 batches of 64 are all of ``nb201-digits``' training split, half of
    ``nb201-mnist``'s; Li and Talwalkar's ``reset_bn`` used 100; ``"running"`` keeps the
    supernet's statistics) and returns its accuracy on ``eval_batches`` validation batches
    (None: all). After fitting: ``supernet_`` (:class:`NB201Supernet`), ``supernet_time_``
    (its training seconds) and ``supernet_losses_`` (mean loss per epoch).
    """

    _sampling = "all"


class RSWSPredictor(_WeightSharing):
    """Random search with weight sharing (Li and Talwalkar 2019) as a predictor (NASLib's
    ``RandomNASOptimizer``, White et al. 2021): a supernet trained by uniform single-path
    sampling (each step one cell drawn uniformly, only its path runs and learns); a cell scores
    the validation accuracy (percent) of the weights it inherits. Parameters, fitting and
    scoring as :class:`OneShotPredictor`, whose supernet trains every operation each step.
    """

    _sampling = "uniform"
