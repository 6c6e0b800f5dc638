"""Readers of the raw datasets: each returns inputs scaled to [0, 1] (signals as published) and
the official train/test division when the source has one.

``mnist1d`` and ``cifar10`` are stored as Python pickles; unpickling runs code named in the
file, so only read files from a source you trust (the official downloads, the shared data).
"""

from __future__ import annotations

import logging
import pickle
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..exceptions import DataNotFoundError, InvalidDataError
from ..paths import DATA_ENV, data_dir
from .idx import read_idx

__all__ = [
    "RawData",
    "load_digits_raw",
    "load_mnist_raw",
    "load_mnist1d_raw",
    "load_cifar10_raw",
    "MNIST_FILES",
    "MNIST1D_FILE",
    "CIFAR10_DIR",
    "CIFAR10_FILES",
]

logger = logging.getLogger(__name__)

#: the four MNIST IDX files (each may also end in ``.gz``); the train pair is optional
MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
MNIST1D_FILE = "mnist1d_data.pkl"
CIFAR10_DIR = "cifar-10-batches-py"
CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
_MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/ (or any MNIST mirror)"
_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


@dataclass
class RawData:
    """Inputs ``x`` float32 ``(N, C, ...)`` and int64 labels of a source, before splitting.

    ``x_test``/``y_test`` hold the official test set, or are None when the source has none.
    """

    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None


def _default_dir(sub: str) -> Path | None:
    root = data_dir()
    return None if root is None else root / sub


def _where(root: str | Path | None, sub: str) -> tuple[Path | None, str]:
    """The directory to look in, and how to describe where it came from."""
    if root is not None:
        return Path(root).expanduser(), "the root argument"
    directory = _default_dir(sub)
    if directory is None:
        return None, f"{DATA_ENV} is not set"
    return directory, f"{DATA_ENV}={data_dir()}"


# --------------------------------------------------------------------------- digits


def load_digits_raw() -> RawData:
    """scikit-learn's 8x8 digits (1,797 images, values 0..16), scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images.astype(np.float32) / 16.0)[:, None, :, :]
    return RawData(x, bunch.target.astype(np.int64))


# --------------------------------------------------------------------------- MNIST


def _find_idx(directory: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        path = directory / name
        if path.is_file():
            return path
    return None


def _read_mnist_pair(images: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    x = read_idx(images)
    y = read_idx(labels)
    if x.ndim != 3 or x.dtype != np.uint8:
        raise InvalidDataError(
            f"{images} is not an MNIST image file: expected uint8 images (N, H, W), got "
            f"{x.dtype} {x.shape}"
        )
    if y.ndim != 1 or len(y) != len(x):
        raise InvalidDataError(
            f"{labels} does not match {images}: expected {len(x)} labels, got shape {y.shape}"
        )
    if len(y) and int(y.max()) > 9:
        raise InvalidDataError(f"{labels} holds labels above 9; it is not an MNIST label file")
    return (x.astype(np.float32) / 255.0)[:, None, :, :], y.astype(np.int64)


def load_mnist_raw(root: str | Path | None = None) -> RawData:
    """MNIST from IDX files in ``root``, or else in ``$NASPERF_DATA/images``.

    The ``t10k`` pair is required; the ``train`` pair is used when both its files are there,
    and then ``t10k`` is the official test set. With only ``t10k`` all 10,000 images come back
    as one pool, to be split by the caller.
    """
    directory, origin = _where(root, "images")
    wanted = ", ".join(f"{name}[.gz]" for name in MNIST_FILES[2:])
    if directory is None:
        raise DataNotFoundError(
            f"MNIST not found: {origin} and no root was given; put {wanted} (optionally also "
            f"the train-* pair) in a directory and pass root=..., or set {DATA_ENV} to a "
            f"directory whose images/ subdirectory holds them (files from {_MNIST_URL})"
        )
    paths = {stem: _find_idx(directory, stem) for stem in MNIST_FILES}
    missing = [f"{stem}[.gz]" for stem in MNIST_FILES[2:] if paths[stem] is None]
    have_train = [paths[stem] is not None for stem in MNIST_FILES[:2]]
    if any(have_train) and not all(have_train):
        missing += [f"{stem}[.gz]" for stem in MNIST_FILES[:2] if paths[stem] is None]
    if missing:
        raise DataNotFoundError(
            f"MNIST files missing in {directory} ({origin}): {', '.join(missing)}; MNIST needs "
            f"{wanted} (plus optionally the train-* pair), from {_MNIST_URL}; pass root=... or "
            f"set {DATA_ENV} to a directory whose images/ subdirectory holds them"
        )
    x_t10k, y_t10k = _read_mnist_pair(paths[MNIST_FILES[2]], paths[MNIST_FILES[3]])
    if not all(have_train):
        logger.info("MNIST: only the t10k files are in %s; splitting its 10,000 images", directory)
        return RawData(x_t10k, y_t10k)
    x, y = _read_mnist_pair(paths[MNIST_FILES[0]], paths[MNIST_FILES[1]])
    if x.shape[1:] != x_t10k.shape[1:]:
        raise InvalidDataError(
            f"MNIST train images are {x.shape[2:]} but t10k images are {x_t10k.shape[2:]}"
        )
    return RawData(x, y, x_t10k, y_t10k)


# --------------------------------------------------------------------------- MNIST-1D


def _generate_mnist1d() -> dict:
    """Generate the standard MNIST-1D (5,000 signals, seed 42) with the ``mnist1d`` package.

    ``mnist1d`` seeds numpy's and Python's global generators; their states are restored.
    """
    from mnist1d.data import get_dataset_args, make_dataset

    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        return make_dataset(get_dataset_args())
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


def load_mnist1d_raw(root: str | Path | None = None) -> RawData:
    """MNIST-1D signals ``(N, 1, 40)`` with the official 4,000/1,000 train/test division.

    Read from ``mnist1d_data.pkl`` in ``root`` (a directory, or the file itself), or else in
    ``$NASPERF_DATA/images``; when that file is missing, generated offline by the ``mnist1d``
    package if it is installed (its default arguments, which make the published data set).
    """
    directory, origin = _where(root, "images")
    path = None
    if directory is not None:
        path = directory if directory.is_file() else directory / MNIST1D_FILE
    if path is not None and path.is_file():
        with path.open("rb") as handle:
            data = pickle.load(handle)  # the published format is a pickle
        source = str(path)
    else:
        try:
            import mnist1d  # noqa: F401
        except ImportError:
            looked = f"{path} ({origin})" if path is not None else f"nowhere ({origin})"
            raise DataNotFoundError(
                f"MNIST-1D file {MNIST1D_FILE} not found: looked in {looked}; pass root=... "
                f"naming the directory that holds it, set {DATA_ENV} to a directory whose "
                "images/ subdirectory holds it, or install the generator: pip install mnist1d"
            ) from None
        logger.info(
            "MNIST-1D: %s not found; generating it with the mnist1d package",
            path if path is not None else MNIST1D_FILE,
        )
        data = _generate_mnist1d()
        source = "the mnist1d package"
    if not isinstance(data, dict) or not {"x", "y", "x_test", "y_test"} <= set(data):
        raise InvalidDataError(
            f"MNIST-1D data from {source} must be a dict with keys x, y, x_test, y_test"
        )
    arrays = [np.asarray(data[key]) for key in ("x", "y", "x_test", "y_test")]
    x, y, x_test, y_test = arrays
    if x.ndim != 2 or x_test.ndim != 2 or x.shape[1] != x_test.shape[1]:
        raise InvalidDataError(
            f"MNIST-1D data from {source}: x and x_test must be (N, L) signals, got "
            f"{x.shape} and {x_test.shape}"
        )
    return RawData(
        x.astype(np.float32)[:, None, :],
        y.astype(np.int64),
        x_test.astype(np.float32)[:, None, :],
        y_test.astype(np.int64),
    )


# --------------------------------------------------------------------------- CIFAR-10


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with path.open("rb") as handle:
        batch = pickle.load(handle, encoding="bytes")  # the official format
    if not isinstance(batch, dict):
        raise InvalidDataError(f"{path} is not a CIFAR-10 batch: expected a pickled dict")
    data = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    if data is None or labels is None:
        raise InvalidDataError(f"{path} is not a CIFAR-10 batch: it lacks 'data' or 'labels'")
    data = np.asarray(data, dtype=np.uint8)
    labels = np.asarray(labels, dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise InvalidDataError(
            f"{path} is not a CIFAR-10 batch: expected data (N, 3072) and N labels, got "
            f"{data.shape} and {labels.shape}"
        )
    x = data.reshape(-1, 3, 32, 32).astype(np.float32) / 255.0
    return x, labels


def load_cifar10_raw(root: str | Path | None = None) -> RawData:
    """CIFAR-10 from the python-pickle layout: ``root/cifar-10-batches-py/data_batch_1..5``
    and ``test_batch`` (``root`` may also be the ``cifar-10-batches-py`` directory itself)."""
    if root is None:
        raise DataNotFoundError(
            f"CIFAR-10 is not bundled: download {_CIFAR_URL}, extract it, and pass "
            f"root=... naming the directory that holds {CIFAR10_DIR}/"
        )
    root = Path(root).expanduser()
    directory = root / CIFAR10_DIR
    if not directory.is_dir() and (root / CIFAR10_FILES[0]).is_file():
        directory = root
    missing = [name for name in CIFAR10_FILES if not (directory / name).is_file()]
    if missing:
        raise DataNotFoundError(
            f"CIFAR-10 files missing in {directory} (the root argument): {', '.join(missing)}; "
            f"download {_CIFAR_URL}, extract it, and pass root=... naming the directory that "
            f"holds {CIFAR10_DIR}/"
        )
    parts = [_read_cifar_batch(directory / name) for name in CIFAR10_FILES[:-1]]
    x_test, y_test = _read_cifar_batch(directory / CIFAR10_FILES[-1])
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    return RawData(x, y, x_test, y_test)
