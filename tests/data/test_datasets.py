"""Datasets: registry, deterministic splits, transforms, batches, IDX files and the readers."""

from __future__ import annotations

import gzip
import os
import pickle
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from helpers import needs_data
from nasperf.data import (
    DATASETS,
    ArrayDataset,
    dataset_names,
    load_dataset,
    read_idx,
    write_idx,
)
from nasperf.exceptions import (
    ConfigurationError,
    DataNotFoundError,
    InvalidDataError,
    UnknownNameError,
)

MNIST_IMAGES = "images/t10k-images-idx3-ubyte.gz"
MNIST1D = "images/mnist1d_data.pkl"


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def digits() -> ArrayDataset:
    return load_dataset("digits")


def _rows(*arrays: np.ndarray) -> list[bytes]:
    return sorted(row.tobytes() for a in arrays for row in a.reshape(len(a), -1))


# --------------------------------------------------------------------------- registry


def test_registry_lists_the_datasets():
    assert dataset_names() == ["cifar10", "digits", "mnist", "mnist1d"]
    assert DATASETS.load("mnist").shape == (1, 28, 28)
    assert DATASETS.load("mnist1d").kind == "signal"
    assert DATASETS.load("cifar10").needs_root
    for name, entry in DATASETS.items():
        spec = entry.load()
        assert spec.name == name and entry.summary == spec.summary and spec.source
        assert callable(spec.load_raw)


# --------------------------------------------------------------------------- digits and splits


def test_digits_shapes_and_split_sizes(digits):
    assert digits.input_shape == (1, 8, 8)
    assert digits.num_classes == 10
    assert (len(digits.y_train), len(digits.y_val), len(digits.y_test)) == (1258, 180, 359)
    for split in ("train", "val", "test"):
        x, y = digits.split(split)
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert set(np.unique(y)) == set(range(10))
    assert "digits" in repr(digits) and "1258" in repr(digits)


def test_digits_splits_partition_the_data():
    from sklearn.datasets import load_digits

    ds = load_dataset("digits", normalize=False)
    assert ds.mean is None and ds.x_train.max() <= 1.0
    raw = (load_digits().images / 16.0).astype(np.float32)[:, None]
    assert _rows(ds.x_train, ds.x_val, ds.x_test) == _rows(raw)  # disjoint and complete


def test_splits_are_stratified(digits):
    counts = np.bincount(np.concatenate([digits.y_train, digits.y_val, digits.y_test]))
    for y in (digits.y_val, digits.y_test):
        expected = counts * len(y) / counts.sum()
        assert np.all(np.abs(np.bincount(y, minlength=10) - expected) <= 1.0)


def test_same_seed_same_arrays_other_seed_other_split(digits):
    again = load_dataset("digits")
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(digits.split(split)[0], again.split(split)[0])
        np.testing.assert_array_equal(digits.split(split)[1], again.split(split)[1])
    other = load_dataset("digits", seed=1)
    assert not np.array_equal(digits.y_test, other.y_test)


def test_normalisation_uses_train_statistics(digits):
    raw = load_dataset("digits", normalize=False)
    assert abs(float(digits.x_train.mean())) < 1e-5
    assert abs(float(digits.x_train.std()) - 1.0) < 1e-4
    m, s = digits.mean.reshape(1, -1, 1, 1), digits.std.reshape(1, -1, 1, 1)
    np.testing.assert_allclose((raw.x_val - m) / s, digits.x_val, rtol=1e-5, atol=1e-5)


def test_limit_caps_train_only(digits):
    small = load_dataset("digits", limit=100)
    assert len(small.y_train) == 100
    assert np.bincount(small.y_train, minlength=10).min() >= 9  # still stratified
    np.testing.assert_array_equal(small.y_test, digits.y_test)
    np.testing.assert_array_equal(small.y_val, digits.y_val)


def test_fractions_change_split_sizes():
    ds = load_dataset("digits", val_fraction=0.2, test_fraction=0.3)
    assert (len(ds.y_val), len(ds.y_test)) == (359, 539)
    assert len(ds.y_train) == 1797 - 359 - 539


def test_resize_and_channels_to_32x32x3():
    ds = load_dataset("digits", size=32, channels=3, limit=50)
    assert ds.input_shape == (3, 32, 32)
    assert ds.x_test.shape[1:] == (3, 32, 32)
    np.testing.assert_array_equal(ds.x_train[:, 0], ds.x_train[:, 2])
    assert ds.mean.shape == (3,)


def test_resize_matches_torch_bilinear(torch):
    from nasperf.data.transforms import resize

    x = np.random.default_rng(0).random((2, 3, 28, 28)).astype(np.float32)
    for size in (14, 32):
        ours = resize(x, size)
        theirs = torch.nn.functional.interpolate(
            torch.from_numpy(x), size=(size, size), mode="bilinear", antialias=True
        ).numpy()
        np.testing.assert_allclose(ours, theirs, atol=1e-5)


# --------------------------------------------------------------------------- batches and loaders


def test_balanced_batch(digits, torch):
    x, y = digits.batch(50, balanced=True, seed=3)
    assert x.shape == (50, 1, 8, 8) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert set(Counter(y.tolist()).values()) == {5}
    x2, y2 = digits.batch(50, balanced=True, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    _, y3 = digits.batch(23, split="val", balanced=True)
    assert sorted(Counter(y3.tolist()).values()) == [2] * 7 + [3] * 3
    _, y4 = digits.batch(50, balanced=True, seed=4)
    assert not torch.equal(y, y4)


def test_balanced_batch_with_a_small_class(torch):
    rng = np.random.default_rng(0)
    y = np.array([0] * 2 + [1] * 40 + [2] * 40)
    x = rng.random((len(y), 1, 4)).astype(np.float32)
    ds = ArrayDataset("toy", x, y, x[:3], y[:3], x[:3], y[:3], num_classes=3)
    _, yb = ds.batch(30, balanced=True)
    assert Counter(yb.tolist()) == {0: 2, 1: 14, 2: 14}


def test_plain_batch_is_distinct_examples(digits, torch):
    idx = digits.sample_indices(100, split="train", seed=0)
    assert len(set(idx.tolist())) == 100
    x, _ = digits.batch(100)
    np.testing.assert_array_equal(x.numpy(), digits.x_train[idx])


def test_batch_errors(digits, torch):
    with pytest.raises(ConfigurationError, match="larger than the val split"):
        digits.batch(1000, split="val")
    with pytest.raises(UnknownNameError, match="choose one of: train, val, test"):
        digits.batch(4, split="validation")
    with pytest.raises(ConfigurationError, match="batch size"):
        digits.batch(0)


def test_loader_is_deterministic(digits, torch):
    def labels(seed: int) -> list[int]:
        loader = digits.loader("train", batch_size=64, shuffle=True, seed=seed)
        return [int(v) for _, yb in loader for v in yb]

    first = labels(7)
    assert first == labels(7)
    assert first != labels(8)
    assert sorted(first) == sorted(digits.y_train.tolist())
    plain = digits.loader("test", batch_size=100, shuffle=False)
    xb, yb = next(iter(plain))
    np.testing.assert_array_equal(xb.numpy(), digits.x_test[:100])
    np.testing.assert_array_equal(yb.numpy(), digits.y_test[:100])


# --------------------------------------------------------------------------- IDX files


@pytest.mark.parametrize("name", ["arr-idx3-ubyte", "arr-idx3-ubyte.gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float64])
def test_idx_round_trip(tmp_path, name, dtype):
    array = (np.arange(2 * 3 * 5) % 251).astype(dtype).reshape(2, 3, 5)
    path = write_idx(tmp_path / name, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    back = read_idx(path)
    assert back.dtype == dtype and back.shape == (2, 3, 5)
    np.testing.assert_array_equal(back, array)


def test_idx_gzip_is_detected_by_content(tmp_path):
    labels = np.array([3, 1, 4], dtype=np.uint8)
    path = write_idx(tmp_path / "labels-idx1-ubyte", labels, compress=True)
    np.testing.assert_array_equal(read_idx(path), labels)


def test_idx_wrong_magic_and_truncated(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x12\x34\x08\x01" + b"\x00" * 8)
    with pytest.raises(InvalidDataError, match="wrong magic number"):
        read_idx(bad)
    code = tmp_path / "code"
    code.write_bytes(b"\x00\x00\x07\x01\x00\x00\x00\x01\x05")
    with pytest.raises(InvalidDataError, match="unknown IDX type code 0x07"):
        read_idx(code)
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x09" + b"\x01" * 4))
    with pytest.raises(InvalidDataError, match="truncated"):
        read_idx(short)


# --------------------------------------------------------------------------- MNIST


def _fake_mnist(directory: Path, n: int, prefix: str = "t10k", seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10
    write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", images)
    write_idx(directory / f"{prefix}-labels-idx1-ubyte", labels)
    return images


def test_mnist_t10k_only_is_split(tmp_path):
    _fake_mnist(tmp_path, 200)
    ds = load_dataset("mnist", root=tmp_path, normalize=False)
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (140, 20, 40)
    assert ds.input_shape == (1, 28, 28)
    assert ds.x_train.max() <= 1.0


def test_mnist_with_train_files_keeps_official_test(tmp_path):
    test_images = _fake_mnist(tmp_path, 30)
    _fake_mnist(tmp_path, 100, prefix="train", seed=1)
    ds = load_dataset("mnist", root=tmp_path, normalize=False)
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (90, 10, 30)
    np.testing.assert_allclose(ds.x_test[:, 0], test_images / 255.0, atol=1e-7)
    pooled = load_dataset("mnist", root=tmp_path, test_fraction=0.2)
    assert (len(pooled.y_train), len(pooled.y_val), len(pooled.y_test)) == (91, 13, 26)


def test_mnist_missing_files(tmp_path, monkeypatch):
    with pytest.raises(DataNotFoundError, match="t10k-images-idx3-ubyte") as err:
        load_dataset("mnist", root=tmp_path)
    assert str(tmp_path) in str(err.value) and "NASPERF_DATA" in str(err.value)
    _fake_mnist(tmp_path, 20)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((5, 28, 28), np.uint8))
    with pytest.raises(DataNotFoundError, match="train-labels-idx1-ubyte"):
        load_dataset("mnist", root=tmp_path)
    monkeypatch.delenv("NASPERF_DATA", raising=False)
    with pytest.raises(DataNotFoundError, match="NASPERF_DATA is not set"):
        load_dataset("mnist")


@needs_data(MNIST_IMAGES)
def test_mnist_from_shared_data():
    root = Path(os.environ["NASPERF_DATA"]) / "images"
    ds = load_dataset("mnist", root=root, size=32, channels=3)
    assert ds.input_shape == (3, 32, 32)
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (7000, 1000, 2000)
    assert set(np.unique(ds.y_test)) == set(range(10))
    assert ds.x_train.shape == (7000, 3, 32, 32) and ds.x_train.dtype == np.float32


# --------------------------------------------------------------------------- MNIST-1D


@needs_data(MNIST1D)
def test_mnist1d_from_shared_pkl():
    ds = load_dataset("mnist1d", normalize=False)
    assert ds.input_shape == (1, 40)
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (3600, 400, 1000)
    with open(Path(os.environ["NASPERF_DATA"]) / MNIST1D, "rb") as handle:
        data = pickle.load(handle)
    np.testing.assert_allclose(ds.x_test[:, 0], data["x_test"], rtol=1e-6)
    np.testing.assert_array_equal(ds.y_test, data["y_test"])
    assert load_dataset("mnist1d", size=20, limit=64).input_shape == (1, 20)


def test_mnist1d_generated(tmp_path, monkeypatch):
    pytest.importorskip("mnist1d")
    monkeypatch.setenv("NASPERF_DATA", str(tmp_path))
    np.random.seed(123)
    expected_next = np.random.random()
    np.random.seed(123)
    ds = load_dataset("mnist1d")
    assert np.random.random() == expected_next  # the global generator is left alone
    assert ds.input_shape == (1, 40)
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (3600, 400, 1000)
    assert not list(tmp_path.iterdir())  # nothing written


def test_mnist1d_missing_without_package(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    with pytest.raises(DataNotFoundError, match="pip install mnist1d") as err:
        load_dataset("mnist1d", root=tmp_path)
    assert "mnist1d_data.pkl" in str(err.value)


# --------------------------------------------------------------------------- CIFAR-10


def _fake_cifar(root: Path, per_batch: int = 20) -> np.ndarray:
    directory = root / "cifar-10-batches-py"
    directory.mkdir()
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        data = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        batch = {b"data": data, b"labels": [i % 10 for i in range(per_batch)]}
        with open(directory / name, "wb") as handle:
            pickle.dump(batch, handle)
    return data  # the test batch


def test_cifar10_from_pickle_dir(tmp_path):
    test_data = _fake_cifar(tmp_path)
    ds = load_dataset("cifar10", root=tmp_path, normalize=False)
    assert ds.input_shape == (3, 32, 32)
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (90, 10, 20)
    np.testing.assert_allclose(
        ds.x_test, test_data.reshape(-1, 3, 32, 32) / 255.0, rtol=1e-6, atol=1e-7
    )
    grey = load_dataset("cifar10", root=tmp_path / "cifar-10-batches-py", channels=1, size=16)
    assert grey.input_shape == (1, 16, 16)


def test_cifar10_needs_root_and_files(tmp_path):
    with pytest.raises(DataNotFoundError, match="pass root="):
        load_dataset("cifar10")
    _fake_cifar(tmp_path, per_batch=2)
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(DataNotFoundError, match="missing in .*: data_batch_3"):
        load_dataset("cifar10", root=tmp_path)


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "fragment"),
    [
        ("imagenet", {}, UnknownNameError, "unknown dataset 'imagenet'; choose one of: cifar10"),
        ("digits", {"size": 0}, ConfigurationError, "size must be a positive integer"),
        ("digits", {"channels": 2}, ConfigurationError, r"use 1 \(grey\) or 3 \(colour\)"),
        ("mnist1d", {"channels": 3}, ConfigurationError, "signal dataset mnist1d"),
        ("digits", {"val_fraction": 0.0}, ConfigurationError, "strictly between 0 and 1"),
        ("digits", {"test_fraction": 1.5}, ConfigurationError, "test_fraction must be"),
        ("digits", {"val_fraction": 0.5, "test_fraction": 0.5}, ConfigurationError, ">= 1"),
        ("digits", {"val_fraction": 0.85}, ConfigurationError, "leave no training data"),
        ("digits", {"limit": 0}, ConfigurationError, "limit must be"),
        ("digits", {"seed": -1}, ConfigurationError, "seed must be"),
        ("digits", {"val_fraction": 1e-5}, ConfigurationError, "use a larger fraction"),
    ],
)
def test_bad_arguments(name, kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        load_dataset(name, **kwargs)


def test_split_name_and_array_checks(digits):
    with pytest.raises(UnknownNameError, match="unknown split 'dev'"):
        digits.split("dev")
    x = np.zeros((4, 1, 3), np.float32)
    with pytest.raises(InvalidDataError, match="labels outside 0..1"):
        ArrayDataset("bad", x, np.array([0, 1, 2, 0]), x, np.zeros(4, int), x, np.zeros(4, int), 2)
    with pytest.raises(InvalidDataError, match="1-D array of 4 labels"):
        ArrayDataset("bad", x, np.zeros(3, int), x, np.zeros(4, int), x, np.zeros(4, int), 2)
