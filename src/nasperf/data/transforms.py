"""Deterministic array transforms used by :func:`nasperf.data.load_dataset`.

All of them are plain numpy, so loading data needs no torch; the results do not depend on the
machine or the number of threads beyond float32 rounding.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "resize",
    "convert_channels",
    "stratified_order",
    "channel_stats",
]

_CHUNK = 4096


def _bilinear_weights(n_in: int, n_out: int) -> np.ndarray:
    """The (n_out, n_in) matrix of a bilinear (triangle-filter) resampling.

    Pixel centres sit at half-integers, as in ``torch.nn.functional.interpolate(...,
    mode="bilinear", align_corners=False)``. When shrinking, the triangle is widened by the
    scale factor (antialiasing, as PIL and ``interpolate(..., antialias=True)`` do), so every
    input pixel contributes; when enlarging this is ordinary bilinear interpolation with the
    border pixels repeated.
    """
    scale = n_in / n_out
    support = max(scale, 1.0)
    centres = (np.arange(n_out, dtype=np.float64) + 0.5) * scale
    pixels = np.arange(n_in, dtype=np.float64) + 0.5
    w = np.maximum(0.0, 1.0 - np.abs(pixels[None, :] - centres[:, None]) / support)
    w /= w.sum(axis=1, keepdims=True)
    return w


def resize(x: np.ndarray, size: int) -> np.ndarray:
    """Resize images ``(N, C, H, W)`` to ``(N, C, size, size)``, or signals ``(N, C, L)`` to
    ``(N, C, size)``, with bilinear (linear) interpolation; antialiased when shrinking.

    The result equals ``torch.nn.functional.interpolate(x, (size, size), mode="bilinear",
    antialias=True)`` up to float32 rounding (and plain bilinear when enlarging).
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 4:
        h, w = x.shape[2:]
        if (h, w) == (size, size):
            return x
        wh = _bilinear_weights(h, size).astype(np.float32)
        ww_t = _bilinear_weights(w, size).T.astype(np.float32).copy()
        out = np.empty(x.shape[:2] + (size, size), dtype=np.float32)
        for start in range(0, len(x), _CHUNK):
            out[start : start + _CHUNK] = (wh @ x[start : start + _CHUNK]) @ ww_t
        return out
    if x.ndim == 3:
        if x.shape[2] == size:
            return x
        wl_t = _bilinear_weights(x.shape[2], size).T.astype(np.float32).copy()
        return x @ wl_t
    raise ValueError(f"resize expects (N, C, H, W) or (N, C, L) arrays, got shape {x.shape}")


def convert_channels(x: np.ndarray, channels: int) -> np.ndarray:
    """Repeat a single grey channel ``channels`` times, or average all channels into one."""
    have = x.shape[1]
    if have == channels:
        return x
    if have == 1:
        return np.repeat(x, channels, axis=1)
    if channels == 1:
        return x.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
    raise ValueError(f"cannot convert {have} channels to {channels}")


def stratified_order(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A seeded permutation of ``range(len(y))`` in which every stretch is class-stratified.

    Examples of each class are shuffled, the ``r``-th of a class of ``n`` gets the key
    ``(r + 0.5) / n``, and all are sorted by key, ties in random order. Every class is thus
    spread evenly along the order: any stretch of ``k`` consecutive positions holds about
    ``k * n_c / N`` examples of class ``c`` (within one, in practice), so cutting the order into
    consecutive pieces gives disjoint, stratified splits of exact sizes, and a prefix of a
    piece is stratified too.
    """
    y = np.asarray(y)
    keys = np.empty(len(y), dtype=np.float64)
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        idx = idx[rng.permutation(len(idx))]
        keys[idx] = (np.arange(len(idx)) + 0.5) / len(idx)
    return np.lexsort((rng.random(len(y)), keys))


def channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of ``x`` (channel axis 1), as float32 arrays;
    a zero standard deviation is replaced by 1 so that dividing by it is safe."""
    axes = (0,) + tuple(range(2, x.ndim))
    mean = x.mean(axis=axes, dtype=np.float64)
    std = x.std(axis=axes, dtype=np.float64)
    std = np.where(std > 1e-12, std, 1.0)
    return mean.astype(np.float32), std.astype(np.float32)
