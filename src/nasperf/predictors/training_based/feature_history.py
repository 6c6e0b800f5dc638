"""Feature-history performance estimation (Cao, Wang, Kitani 2021; METHODS.md, section 1).

Train a candidate for a short budget of E epochs while recording, after every epoch, the
features that feed its classifier for a fixed probe of training images and for the validation
images (float16). A proxy classifier fitted on the probe's feature *history* and scored on the
validation images' history estimates the accuracy the network would reach with full training.
Three readings of the method are implemented (the paper does not fix one):

- ``concat``: one linear (logistic) classifier on the concatenated features of the last K epochs;
- ``consensus``: one linear classifier per epoch of the last K; their softmax outputs averaged;
- ``ema``: a linear classifier on an exponential moving average of the features over epochs.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ...exceptions import ConfigurationError

__all__ = ["VARIANTS", "FeatureHistoryResult", "FeatureHistoryEstimator", "proxy_accuracy"]

if TYPE_CHECKING:
    from torch import nn

    from ...data import ArrayDataset
    from ...training import TrainConfig

logger = logging.getLogger(__name__)

#: the proxy classifiers on a feature history
VARIANTS = ("concat", "consensus", "ema")


def _finite(hist: np.ndarray, what: str) -> np.ndarray:
    """``hist`` as float32 with NaN as 0 and +-inf as float16's largest finite values.

    float16 features overflow to +-inf on networks whose activations explode early; clamping
    keeps their order. The replacements are logged, never silent.
    """
    hist = hist.astype(np.float32)
    bad = ~np.isfinite(hist)
    if bad.any():
        big = float(np.finfo(np.float16).max)
        logger.warning(
            "%s features: %d NaN and %d infinite values of %d replaced (NaN by 0, inf by +-%g)",
            what,
            int(np.isnan(hist).sum()),
            int(np.isinf(hist).sum()),
            hist.size,
            big,
        )
        hist = np.nan_to_num(hist, nan=0.0, posinf=big, neginf=-big)
    return hist


def _standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std[std < 1e-6] = 1.0
    return [(a - mean) / std for a in (train, *others)]


def _check_proxy(variant: str, k: object, ema_decay: object, c: object) -> None:
    """ConfigurationError unless the proxy classifier's settings are usable."""
    if variant not in VARIANTS:
        raise ConfigurationError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigurationError(f"k must be an int >= 1, got {k!r}")
    if isinstance(ema_decay, bool) or not isinstance(ema_decay, (int, float)):
        raise ConfigurationError(f"ema_decay must be a number in [0, 1), got {ema_decay!r}")
    if not 0 <= ema_decay < 1:
        raise ConfigurationError(f"ema_decay must be in [0, 1), got {ema_decay}")
    if isinstance(c, bool) or not isinstance(c, (int, float)) or not c > 0:
        raise ConfigurationError(f"c (the inverse regularisation strength) must be > 0, got {c!r}")


def _logistic(c: float, seed: int):  # noqa: ANN202 - an sklearn classifier
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=300, random_state=seed)


def _fit_predict_proba(
    x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, c: float, seed: int, n_cls: int
) -> np.ndarray:
    """Class probabilities on ``x_val`` (columns for every class 0..n_cls-1)."""
    x_train, x_val = _standardise(x_train, x_val)
    probs = np.zeros((len(x_val), n_cls))
    classes = np.unique(y_train)
    if len(classes) == 1:  # a degenerate probe: predict its only class
        probs[:, classes[0]] = 1.0
        return probs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings on collapsed features
        model = _logistic(c, seed).fit(x_train, y_train)
    probs[:, model.classes_] = model.predict_proba(x_val)
    return probs


def proxy_accuracy(
    train_hist: np.ndarray,
    train_labels: np.ndarray,
    val_hist: np.ndarray,
    val_labels: np.ndarray,
    variant: str = "concat",
    k: int = 2,
    ema_decay: float = 0.5,
    c: float = 1.0,
    seed: int = 0,
) -> float:
    """Validation accuracy (percent) of the proxy classifier ``variant`` on a feature history.

    ``train_hist``/``val_hist`` are ``(epochs, samples, features)``; the last ``k`` epochs are
    used (all for ``ema``, which weights epoch t by ``ema_decay ** (E - t)``).
    """
    _check_proxy(variant, k, ema_decay, c)
    epochs = train_hist.shape[0]
    if epochs == 0:
        raise ConfigurationError("the feature history is empty: train at least one epoch")
    k = min(int(k), epochs)
    train_hist, val_hist = _finite(train_hist, "probe"), _finite(val_hist, "validation")
    n_cls = int(max(train_labels.max(), val_labels.max())) + 1
    if variant == "concat":
        xt = np.concatenate(list(train_hist[-k:]), axis=1)
        xv = np.concatenate(list(val_hist[-k:]), axis=1)
        probs = _fit_predict_proba(xt, train_labels, xv, c, seed, n_cls)
    elif variant == "consensus":
        probs = sum(
            _fit_predict_proba(train_hist[e], train_labels, val_hist[e], c, seed, n_cls)
            for e in range(epochs - k, epochs)
        )
    else:
        w = ema_decay ** np.arange(epochs - 1, -1, -1, dtype=np.float64)
        w /= w.sum()
        xt = np.tensordot(w, train_hist, axes=1)
        xv = np.tensordot(w, val_hist, axes=1)
        probs = _fit_predict_proba(xt, train_labels, xv, c, seed, n_cls)
    return float(100.0 * np.mean(np.argmax(probs, axis=1) == val_labels))


@dataclass
class FeatureHistoryResult:
    """What a short run gives: the estimate, the network's own accuracy, and the costs."""

    estimate: float | None  # proxy classifier's validation accuracy (percent); None if failed
    network_val_acc: float | None  # the network's own validation accuracy after E epochs
    status: str  # "ok", or the training status ("diverged", "failed")
    reason: str
    epochs: int
    feature_bytes: int
    seconds: float
    curves: dict[str, np.ndarray] = field(default_factory=dict)
    variants: dict[str, float] = field(default_factory=dict)  # every variant's estimate


class FeatureHistoryEstimator:
    """Estimate a PyTorch classifier's trained accuracy from E epochs of feature history.

    ``epochs`` (E): the short budget; ``train_config``: the full run's TrainConfig (its schedule
    is used; training stops after E epochs), default ``TrainConfig(epochs=E)``; ``layer``:
    module names to capture (default: the input of the final classifier); ``probe_size``:
    training images whose features are kept; ``variant``/``k``/``ema_decay``/``c``: the proxy
    classifier. All variants are computed from the same history (they are cheap) and returned
    in ``variants``; ``estimate`` is the chosen one.
    """

    def __init__(
        self,
        epochs: int = 3,
        variant: str = "concat",
        k: int = 2,
        probe_size: int = 256,
        layer: str | Sequence[str] | None = None,
        ema_decay: float = 0.5,
        c: float = 1.0,
        train_config: TrainConfig | None = None,
        seed: int = 0,
    ) -> None:
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ConfigurationError(f"epochs must be an int >= 1, got {epochs!r}")
        _check_proxy(variant, k, ema_decay, c)  # before training, not after E epochs
        if train_config is not None and epochs > train_config.epochs:
            raise ConfigurationError(
                f"the short budget of {epochs} epochs is longer than the run "
                f"({train_config.epochs} epochs); lower epochs or lengthen the run"
            )
        self.epochs = epochs
        self.variant = variant
        self.k = k
        self.probe_size = probe_size
        self.layer = layer
        self.ema_decay = ema_decay
        self.c = c
        self.train_config = train_config
        self.seed = seed

    def estimate(self, model: nn.Module, data: ArrayDataset) -> FeatureHistoryResult:
        """Train ``model`` in place for E epochs on ``data`` and estimate its final accuracy."""
        import time

        from ...training import FeatureCapture, StopAfter, TrainConfig, Trainer

        config = self.train_config or TrainConfig(epochs=self.epochs, seed=self.seed)
        capture = FeatureCapture(
            modules=[self.layer] if isinstance(self.layer, str) else self.layer,
            probe_size=self.probe_size,
            seed=self.seed,
        )
        tick = time.perf_counter()
        callbacks = [capture]
        if self.epochs < config.epochs:
            callbacks.append(StopAfter(self.epochs))
        result = Trainer(config, callbacks).fit(model, data)
        curves = {k: np.asarray(v) for k, v in result.curves.items()}
        val = curves.get("val_acc", np.zeros(0))
        if result.status != "ok" or len(val) < self.epochs:
            return FeatureHistoryResult(
                None,
                float(val[-1]) if len(val) else None,
                result.status or "failed",
                result.reason,
                len(val),
                capture.used_bytes,
                time.perf_counter() - tick,
                curves,
            )
        variants = {
            v: proxy_accuracy(
                capture.train_features,
                capture.train_labels,
                capture.val_features,
                capture.val_labels,
                v,
                self.k,
                self.ema_decay,
                self.c,
                self.seed,
            )
            for v in VARIANTS
        }
        return FeatureHistoryResult(
            estimate=variants[self.variant],
            network_val_acc=float(val[self.epochs - 1]),
            status="ok",
            reason=result.reason,
            epochs=self.epochs,
            feature_bytes=capture.used_bytes,
            seconds=time.perf_counter() - tick,
            curves=curves,
            variants=variants,
        )
