"""The network of ``lc-pfn``: a transformer over a study's runs with a bar-distribution output.

Each run of a study is one token: its observed prefix summarised on a fixed grid of the
normalised time ``x = epoch / T`` (the mean of the epochs in each of 17 bins, finer early on,
with a mask of the bins seen), its last value, the mean of its last three, its first, how much
of the run is observed, the step queried, the run length, whether the run has finished, and up
to four configuration features. A run being predicted attends to the finished runs and to
itself only (the PFN's train/test mask), so with no finished run it is the single-curve
extrapolator of LC-PFN, and with them the study form of FT-PFN. The output is a distribution
over 400 equal buckets of the normalised value in [-0.5, 1.5] (the PFN papers' "Riemann"
distribution).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from ._prior import N_FEATURES

__all__ = [
    "PFNSettings",
    "CurvePFN",
    "run_tokens",
    "EDGES",
    "LOW",
    "HIGH",
    "bucket_probs",
    "bucket_stats",
]

#: bin edges of the normalised time (finer where early stopping decides)
EDGES = np.array(
    [0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
)
#: the range of the normalised value the buckets cover
LOW, HIGH = -0.5, 1.5
_BINS = len(EDGES) - 1
#: width of one token
TOKEN = 2 * _BINS + 7 + 2 * N_FEATURES


@dataclass(frozen=True)
class PFNSettings:
    """The network's size: width ``d``, ``layers``, attention ``heads``, output ``buckets``."""

    d: int = 128
    layers: int = 4
    heads: int = 4
    buckets: int = 400

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def run_tokens(
    values: np.ndarray,
    seen: np.ndarray,
    length: int,
    query: np.ndarray,
    finished: np.ndarray,
    features: np.ndarray | None = None,
    feature_mask: np.ndarray | None = None,
) -> np.ndarray:
    """Tokens (runs, TOKEN) of runs whose normalised ``values`` (runs, >= max(seen)) are observed
    for their first ``seen`` epochs of ``length``, asked for their value at epoch ``query``."""
    n = values.shape[0]
    seen = np.asarray(seen, dtype=np.int64)
    width = int(seen.max()) if n else 1
    v = np.nan_to_num(values[:, :width].astype(np.float64))
    epochs = np.arange(1, width + 1)
    observed = epochs[None, :] <= seen[:, None]
    which = np.clip(np.searchsorted(EDGES, epochs / length, side="left") - 1, 0, _BINS - 1)
    onehot = np.zeros((width, _BINS))
    onehot[np.arange(width), which] = 1.0
    counts = observed @ onehot
    sums = (v * observed) @ onehot
    means = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    rows = np.arange(n)
    last = v[rows, seen - 1]
    back = np.maximum(seen - 3, 0)
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(v * observed, axis=1)], axis=1)
    last3 = (csum[rows, seen] - csum[rows, back]) / (seen - back)
    if features is None:
        features = np.zeros((n, N_FEATURES))
        feature_mask = np.zeros((n, N_FEATURES), dtype=bool)
    parts = [
        means,
        (counts > 0).astype(np.float64),
        last[:, None],
        last3[:, None],
        v[:, :1],
        (seen / length)[:, None],
        (np.asarray(query) / length)[:, None] * np.ones((n, 1)),
        np.full((n, 1), math.log(length) / math.log(1000.0)),
        np.asarray(finished, dtype=np.float64)[:, None],
        np.asarray(features, dtype=np.float64) * feature_mask,
        np.asarray(feature_mask, dtype=np.float64),
    ]
    return np.hstack(parts).astype(np.float32)


class CurvePFN(nn.Module):
    """Run tokens in, the logits of each run's bucket distribution out."""

    def __init__(self, settings: PFNSettings) -> None:
        super().__init__()
        d = settings.d
        self.settings = settings
        self.heads = settings.heads
        self.embed = nn.Sequential(nn.Linear(TOKEN, d), nn.GELU(), nn.Linear(d, d))
        layer = nn.TransformerEncoderLayer(
            d, settings.heads, 2 * d, dropout=0.0, batch_first=True, norm_first=True
        )
        self.body = nn.TransformerEncoder(layer, settings.layers, enable_nested_tensor=False)
        self.head = nn.Sequential(
            nn.LayerNorm(d), nn.Linear(d, d), nn.GELU(), nn.Linear(d, settings.buckets)
        )

    def forward(self, tokens: torch.Tensor, finished: torch.Tensor) -> torch.Tensor:
        """``tokens`` (batch, runs, TOKEN), ``finished`` (batch, runs) bool -> logits."""
        b, n, _ = tokens.shape
        allowed = finished[:, None, :] | torch.eye(n, dtype=torch.bool, device=tokens.device)
        blocked = (~allowed).repeat_interleave(self.heads, dim=0)
        return self.head(self.body(self.embed(tokens), mask=blocked))


def bucket_probs(logits: torch.Tensor) -> np.ndarray:
    """The bucket probabilities (n, buckets) of the logits."""
    return torch.softmax(logits.double(), dim=-1).cpu().numpy()


def bucket_stats(logits: torch.Tensor, buckets: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bucket probabilities (n, buckets), the mean and the std of the normalised value."""
    probs = bucket_probs(logits)
    edges = np.linspace(LOW, HIGH, buckets + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    mean = probs @ centres
    var = probs @ centres**2 - mean**2 + (edges[1] - edges[0]) ** 2 / 12
    return probs, mean, np.sqrt(np.maximum(var, 0.0))
