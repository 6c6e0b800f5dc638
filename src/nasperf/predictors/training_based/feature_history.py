"""Feature-history performance estimation (Cao, Wang and Kitani 2021, arXiv:2103.04450).

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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ...exceptions import ConfigurationError
from ...training import RunStatus
from ...validation import (
    InstanceOf,
    Interval,
    Options,
    Predicate,
    validate_dataclass,
    validate_params,
)

__all__ = [
    "VARIANTS",
    "FeatureHistorySettings",
    "FeatureHistoryResult",
    "FeatureHistoryEstimator",
    "proxy_accuracy",
]

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


_PROXY_CONSTRAINTS: dict[str, list[Any]] = {
    "variant": [Options(VARIANTS)],
    "k": [Interval(int, 1, None)],
    "ema_decay": [Interval(float, 0.0, 1.0, closed="left")],
    "c": [Interval(float, 0.0, None, closed="neither")],
}


@dataclass(frozen=True)
class FeatureHistorySettings:
    """The one parameter set of a feature-history estimate (predictor, estimate command and
    search alike).

    ``epochs`` (E): the short training budget; ``probe_size``: training images whose features
    are kept; ``layer``: module name(s) to capture (default: the input of the final
    classifier); ``variant``/``k``/``ema_decay``/``c``: the proxy classifier (see the module's
    doc; ``c`` is the logistic regression's inverse regularisation strength). Bad values raise
    ConfigurationError when the settings are made, before any training.
    """

    epochs: int = 2
    variant: str = "concat"
    k: int = 2
    probe_size: int = 256
    layer: str | tuple[str, ...] | None = None
    ema_decay: float = 0.5
    c: float = 1.0

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "epochs": [Interval(int, 1, None)],
        **_PROXY_CONSTRAINTS,
        "probe_size": [Interval(int, 1, None)],
        "layer": [
            None,
            InstanceOf(str, "a module name"),
            Predicate(
                lambda v: isinstance(v, (tuple, list)) and all(isinstance(x, str) for x in v),
                "a sequence of module names",
            ),
        ],
    }

    def __post_init__(self) -> None:
        if isinstance(self.layer, list):
            object.__setattr__(self, "layer", tuple(self.layer))
        validate_dataclass(self)


def checked_estimator_args(settings: Any, cls: type, random_state: object) -> Any:
    """``settings`` (default ``cls()``) after checking its type and the seed: what a
    training-based estimator's constructor checks."""
    settings = cls() if settings is None else settings
    if not isinstance(settings, cls):
        raise ConfigurationError(
            f"settings must be a {cls.__name__}, got {type(settings).__name__}"
        )
    validate_params(
        {"random_state": random_state},
        {"random_state": [Interval(int, 0, 2**31 - 1)]},
        cls.__name__.replace("Settings", "Estimator"),
    )
    return settings


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
    validate_params(
        {"variant": variant, "k": k, "ema_decay": ema_decay, "c": c},
        _PROXY_CONSTRAINTS,
        "proxy_accuracy",
    )
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
    status: RunStatus  # ok, or the training's status (diverged, failed)
    reason: str
    epochs: int
    feature_bytes: int
    seconds: float
    curves: dict[str, np.ndarray] = field(default_factory=dict)
    variants: dict[str, float] = field(default_factory=dict)  # every variant's estimate


class FeatureHistoryEstimator:
    """Estimate a PyTorch classifier's trained accuracy from E epochs of feature history.

    ``settings``: the :class:`FeatureHistorySettings` (E, the probe, the layer and the proxy
    classifier); ``train_config``: the full run's TrainConfig (its schedule is used; training
    stops after E epochs), default ``TrainConfig(epochs=E)``; ``random_state`` seeds the probe
    and the proxy classifier (and the default run). All variants are computed from the same
    history (they are cheap) and returned in ``variants``; ``estimate`` is the chosen one.
    """

    def __init__(
        self,
        settings: FeatureHistorySettings | None = None,
        train_config: TrainConfig | None = None,
        random_state: int = 0,
    ) -> None:
        settings = checked_estimator_args(settings, FeatureHistorySettings, random_state)
        if train_config is not None and settings.epochs > train_config.epochs:
            raise ConfigurationError(
                f"the short budget of {settings.epochs} epochs is longer than the run "
                f"({train_config.epochs} epochs); lower epochs or lengthen the run"
            )
        self.settings = settings
        self.train_config = train_config
        self.random_state = random_state

    def estimate(self, model: nn.Module, data: ArrayDataset) -> FeatureHistoryResult:
        """Train ``model`` in place for E epochs on ``data`` and estimate its final accuracy."""
        import time

        from ...training import FeatureCapture, StopAfter, TrainConfig, Trainer

        fh, seed = self.settings, self.random_state
        config = self.train_config or TrainConfig(epochs=fh.epochs, seed=seed)
        capture = FeatureCapture(
            modules=[fh.layer] if isinstance(fh.layer, str) else fh.layer,
            probe_size=fh.probe_size,
            seed=seed,
        )
        tick = time.perf_counter()
        callbacks = [capture]
        if fh.epochs < config.epochs:
            callbacks.append(StopAfter(fh.epochs))
        result = Trainer(config, callbacks).fit(model, data)
        curves = {k: np.asarray(v) for k, v in result.curves.items()}
        val = curves.get("val_acc", np.zeros(0))
        if result.status != RunStatus.OK or len(val) < fh.epochs:
            return FeatureHistoryResult(
                None,
                float(val[-1]) if len(val) else None,
                RunStatus(result.status) if result.status else RunStatus.FAILED,
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
                fh.k,
                fh.ema_decay,
                fh.c,
                seed,
            )
            for v in VARIANTS
        }
        return FeatureHistoryResult(
            estimate=variants[fh.variant],
            network_val_acc=float(val[fh.epochs - 1]),
            status=RunStatus.OK,
            reason=result.reason,
            epochs=fh.epochs,
            feature_bytes=capture.used_bytes,
            seconds=time.perf_counter() - tick,
            curves=curves,
            variants=variants,
        )
