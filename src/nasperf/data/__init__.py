"""Image and signal datasets with deterministic splits, for zero-cost proxies and training.

>>> from nasperf.data import load_dataset
>>> ds = load_dataset("digits", size=32, channels=3)  # doctest: +SKIP
>>> x, y = ds.batch(64, balanced=True)  # torch tensors, 64 examples spread over the classes

Datasets (see :data:`DATASETS`): ``digits`` (bundled with scikit-learn), ``mnist`` (IDX files),
``mnist1d`` (pickle or the ``mnist1d`` package) and ``cifar10`` (python-pickle download).
Loading needs only numpy; :meth:`ArrayDataset.batch` and :meth:`ArrayDataset.loader` need
torch (``pip install 'nasperf[torch]'``).
"""

from __future__ import annotations

from .arrays import SPLITS, ArrayDataset
from .datasets import DATASETS, DEFAULT_TEST_FRACTION, DatasetSpec, dataset_names, load_dataset
from .idx import read_idx, write_idx

__all__ = [
    "ArrayDataset",
    "DatasetSpec",
    "DATASETS",
    "DEFAULT_TEST_FRACTION",
    "SPLITS",
    "dataset_names",
    "load_dataset",
    "read_idx",
    "write_idx",
]
