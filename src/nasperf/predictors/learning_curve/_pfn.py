"""``lc-pfn`` and ``lc-pfn-study``: a prior-data fitted network extrapolates learning curves.

A transformer trained by nasperf on its own curve prior (:mod:`._prior`, trained with
``nasperf train-pfn``, the weights shipped in the package) reads a run's first epochs and gives
the distribution of its final value (Adriaensen et al. 2023's LC-PFN). The study form also
reads the study's finished runs, as ifBO's FT-PFN does, so one run's extrapolation borrows
from the others'.

The network works on a normalised scale (higher is better, about [0, 1]): the metric is
oriented (a loss negated), measured by the log of its gap to its optimum where it has one (an
accuracy, a positive loss), and the study's range is mapped to [0, 0.7] (:class:`CurveScale`).
Predictions are in the metric's own units; for a loss they are of minus the loss, so that
higher is better as every predictor's output. ``predict`` is the median of the predictive
distribution, ``predict_dist`` its mean and standard deviation, ``predict_quantiles`` and
``probability_at_least`` read the bar distribution itself.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ...exceptions import ConfigurationError, InvalidDataError
from ...records import Record
from ...validation import InstanceOf, Interval
from ..base import Requirements, TorchThreads
from ._common import CURVE_CONSTRAINTS, CurvePredictor, lower_is_better, metric_range, within_range

__all__ = ["PFNCurvePredictor", "CurveScale", "SHIPPED_WEIGHTS", "load_pfn"]

#: the weights shipped in the package (``nasperf train-pfn`` wrote them)
SHIPPED_WEIGHTS = Path(__file__).with_name("_weights") / "lc_pfn.pt"
_FALLING = 0.8  # share of falling curves that makes an accuracy-named metric a loss


_DELTA = 1e-3  # the smallest gap to the optimum the log scale resolves, as a share of it
# the share of the scale a study's range fills: the rest is room for a run better than any
# seen (mapping the best seen to the top told the network nothing could beat it; 0.7 chosen
# on nb201-digits against 0.85 and 1, docs/RESULTS.md)
_ROOM = 0.7


@dataclass(frozen=True)
class CurveScale:
    """How a metric maps to the network's scale, and back.

    The metric is oriented so that higher is better (``sign``: -1 for a loss). A metric with a
    known optimum, an accuracy (its range's top) or a positive loss (0), is then measured by the
    log of its gap to that optimum, ``t = -log(gap / size + 1e-3)``: 97% and 99% accuracy, or
    losses of 0.1 and 0.03, are as far apart there as 50% and 75%, so the network resolves the
    differences that rank good runs. Any other metric is used as it is (``t = w``). Last, the
    study's range of ``t`` (its 2% quantile to its maximum) maps to [0, 0.7], leaving room
    above for a run better than any seen.
    """

    sign: float
    log_gap: bool
    top: float
    size: float
    low: float
    high: float
    bounds: tuple[float, float] | None

    @classmethod
    def of(cls, curve: str, values: np.ndarray) -> CurveScale:
        """The scale of metric ``curve`` from a study's values (its finished runs' curves)."""
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            raise InvalidDataError(f"no finite value of {curve!r} in the runs given to fit")
        bounds = metric_range(curve, finite)
        if bounds is not None:
            sign, log_gap, top, size = 1.0, True, bounds[1], bounds[1] - bounds[0]
        else:
            sign = -1.0 if lower_is_better(curve) else 1.0
            w = sign * finite
            # a loss above 0 (or minus one): its optimum is 0
            log_gap = bool(np.all(w < 0))
            top = 0.0
            size = float(np.median(-w)) if log_gap else 1.0
        t = cls(sign, log_gap, top, size, 0.0, 1.0, bounds)._t(sign * finite)
        low, high = float(np.percentile(t, 2)), float(t.max())
        if high - low <= 1e-12 * max(1.0, abs(high)):
            low = float(t.min())  # most values at the top: the whole range, not the 2% point
        if high - low <= 1e-12 * max(1.0, abs(high)):
            raise InvalidDataError(
                f"every value of {curve!r} is {sign * finite.max():g}: a constant curve has "
                "nothing to extrapolate; check the metric's column"
            )
        return cls(sign, log_gap, top, size, low, low + (high - low) / _ROOM, bounds)

    @classmethod
    def of_accuracy(cls, bounds: tuple[float, float]) -> CurveScale:
        """The scale of an accuracy in ``bounds`` without a study: 0 to 99.5% of its range."""
        size = bounds[1] - bounds[0]
        probe = cls(1.0, True, bounds[1], size, 0.0, 1.0, bounds)
        low, high = probe._t(np.array([bounds[0], bounds[1] - 0.005 * size]))
        return cls(1.0, True, bounds[1], size, float(low), float(high), bounds)

    def _t(self, w: np.ndarray) -> np.ndarray:
        """Oriented values ``w`` on the log-gap scale (or as they are)."""
        if not self.log_gap:
            return w
        gap = np.maximum(self.top - w, 0.0)
        with np.errstate(over="ignore", invalid="ignore"):
            return -np.log(gap / self.size + _DELTA)

    def unit(self, values: np.ndarray) -> np.ndarray:
        """Values on the network's scale (a diverged value ends at the bottom bucket)."""
        z = (self._t(self.sign * np.asarray(values, dtype=np.float64)) - self.low) / (
            self.high - self.low
        )
        return np.clip(np.nan_to_num(z, nan=-0.5, posinf=1.5, neginf=-0.5), -0.5, 1.5)

    def value(self, z: np.ndarray) -> np.ndarray:
        """Higher-is-better values in the metric's units (minus a loss) from the scale."""
        t = self.low + np.asarray(z, dtype=np.float64) * (self.high - self.low)
        if not self.log_gap:
            return t
        return self.top - self.size * np.maximum(np.exp(-t) - _DELTA, 0.0)


@lru_cache(maxsize=4)
def load_pfn(path: str) -> tuple[Any, dict[str, Any]]:
    """The network stored at ``path`` (float16 weights, run in float32) and its settings."""
    torch = _torch()
    from ._pfn_net import CurvePFN, PFNSettings

    weights, info_file = Path(path), Path(path).with_suffix(".json")
    if not weights.is_file() or not info_file.is_file():
        raise ConfigurationError(
            f"no curve PFN at {weights} (and {info_file.name} beside it); train one with "
            "`nasperf train-pfn --out DIR` or leave weights unset for the shipped one"
        )
    info = json.loads(info_file.read_text())
    settings = PFNSettings(**{k: info[k] for k in ("d", "layers", "heads", "buckets")})
    model = CurvePFN(settings)
    state = torch.load(weights, map_location="cpu", weights_only=True)
    model.load_state_dict({k: v.float() for k, v in state.items()})
    model.eval()
    return model, info


def _torch():  # noqa: ANN202 - the torch module
    from ...exceptions import require

    return require("torch", "torch")


class PFNCurvePredictor(TorchThreads, CurvePredictor):
    """The curve PFN's predictive distribution of the final value from ``fidelity`` epochs.

    ``study=False`` (``lc-pfn``) extrapolates each curve alone; ``study=True``
    (``lc-pfn-study``) also conditions on up to ``context`` of the runs given to ``fit`` that
    ran to the end (chosen at random with ``random_state`` when there are more), and on their
    ``features`` when all of them carry a vector (z-scored, at most four principal
    components), its distribution mixed with the single-curve one (weight ``tails``) so that
    a run unlike the finished ones keeps the wide tails of a curve seen alone (the study form
    alone stopped the eventual best run of nb201-digits at P < 0.002). ``fit`` also learns
    the metric's scale and the runs' full length (the most common curve length) from those
    runs. With ``epochs`` (the full run length) given, the
    single-curve form needs no finished run for an accuracy (a fraction or a percentage, its
    range read from the curves themselves): ``fit([])`` works, as a search's short-budget
    fitness uses it. ``weights``: a ``lc_pfn.pt`` of ``nasperf train-pfn``, or None for the
    shipped network.
    """

    family = "learning-curve"
    extra: ClassVar[str | None] = "torch"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CURVE_CONSTRAINTS,
        "study": [InstanceOf(bool, "True or False")],
        "context": [Interval(int, 1, 512)],
        "epochs": [None, Interval(int, 2, None)],
        "tails": [Interval(float, 0.0, 1.0)],
        "weights": [None, InstanceOf((str, Path), "a path to lc_pfn.pt")],
        "random_state": [None, Interval(int, 0, None)],
        "num_threads": [Interval(int, 1, None)],
    }

    def __init__(
        self,
        fidelity: int = 5,
        curve: str = "val_acc",
        study: bool = False,
        context: int = 64,
        epochs: int | None = None,
        tails: float = 0.1,
        weights: str | Path | None = None,
        random_state: int | None = 0,
        num_threads: int = 1,
    ) -> None:
        self.fidelity = fidelity
        self.curve = curve
        self.study = study
        self.context = context
        self.epochs = epochs
        self.tails = tails
        self.weights = weights
        self.random_state = random_state
        self.num_threads = num_threads

    def _requirements(self) -> Requirements:
        # fitted on the study's finished runs: their whole curves give the run length and the
        # metric's scale (their targets are not used)
        alone = self.epochs is not None and not self.study
        return Requirements(curve=self.curve, fidelity=int(self.fidelity), targets=not alone)

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        for name in [k for k in vars(self) if k.startswith("feature_")]:
            delattr(self, name)
        self.context_, self.use_features_ = None, False
        if not records:  # the single-curve form with ``epochs``: the scale comes with the curves
            self.length_, self.scale_ = int(self.epochs), None
            return
        curves = [np.asarray(r.curves[self.curve], dtype=np.float64) for r in records]
        self.length_ = (
            int(self.epochs)
            if self.epochs is not None
            else Counter(len(c) for c in curves).most_common(1)[0][0]
        )
        if self.length_ < 2:
            raise InvalidDataError(
                f"the runs given to fit have {self.curve!r} curves of one epoch: there is "
                "nothing to extrapolate; give runs with their whole curves"
            )
        full = [c[: self.length_] for c in curves if len(c) >= self.length_]
        if not full:
            raise InvalidDataError(
                f"no run given to fit reaches {self.length_} epochs (epochs={self.epochs}); "
                "give runs trained to the end, or the run length they have"
            )
        values = np.concatenate(full)
        if not np.isfinite(values).any():
            raise InvalidDataError(f"every {self.curve!r} value of the runs given to fit is NaN")
        self._check_direction(full)
        self.scale_ = CurveScale.of(self.curve, values)
        if self.study:
            done = [r for r, c in zip(records, curves, strict=True) if len(c) >= self.length_]
            rng = np.random.default_rng(self.random_state)
            if len(done) > self.context:
                done = [done[i] for i in sorted(rng.choice(len(done), self.context, False))]
            self.context_ = self._study_tokens(done)

    def _check_direction(self, full: list[np.ndarray]) -> None:
        """An accuracy-named metric whose curves mostly fall is a loss marked as accuracy."""
        if metric_range(self.curve, np.concatenate(full)) is None or len(full) < 3:
            return
        starts = np.array([np.nanmean(c[: max(1, len(c) // 10)]) for c in full])
        ends = np.array([np.nanmean(c[-max(1, len(c) // 10) :]) for c in full])
        if np.mean(ends < starts) >= _FALLING:
            raise InvalidDataError(
                f"{self.curve!r} is named as an accuracy (higher is better) but falls in "
                f"{np.mean(ends < starts):.0%} of the runs: is it a loss? Name the curve as a "
                "loss (e.g. val_loss) or choose the accuracy column"
            )

    def _fit_features(self, records: list[Record]) -> None:
        """The feature statistics of the study's runs (z-scores, at most four principal
        components), or ``use_features_ = False`` unless every run has one finite vector of
        one length."""
        from ._prior import N_FEATURES

        self.use_features_ = False
        vecs = [r.features for r in records]
        if not vecs or any(v is None for v in vecs):
            return
        flat = [np.asarray(v, dtype=np.float64).ravel() for v in vecs]
        if len({v.size for v in flat}) != 1:
            return
        x = np.vstack(flat)
        if not np.all(np.isfinite(x)) or x.shape[1] == 0:
            return
        self.feature_mean_ = x.mean(axis=0)
        scale = x.std(axis=0)
        self.feature_scale_ = np.where(scale > 0, scale, 1.0)
        z = (x - self.feature_mean_) / self.feature_scale_
        _, sv, vt = np.linalg.svd(z, full_matrices=False)
        keep = min(N_FEATURES, int(np.sum(sv > 1e-9 * max(sv.max(), 1e-300))))
        self.feature_basis_ = vt[:keep].T
        comp = z @ self.feature_basis_
        self.feature_comp_scale_ = np.where(comp.std(axis=0) > 0, comp.std(axis=0), 1.0)
        self.use_features_ = keep > 0

    def _features(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray] | None:
        """Each record's feature slots and mask, row by row: a record without a finite vector
        of the study's length has none (its prediction does not depend on the others')."""
        from ._prior import N_FEATURES

        if not self.use_features_:
            return None
        dim, keep = len(self.feature_mean_), self.feature_basis_.shape[1]
        out = np.zeros((len(records), N_FEATURES))
        mask = np.zeros_like(out, dtype=bool)
        for i, r in enumerate(records):
            if r.features is None:
                continue
            v = np.asarray(r.features, dtype=np.float64).ravel()
            if v.size != dim or not np.all(np.isfinite(v)):
                continue
            comp = ((v - self.feature_mean_) / self.feature_scale_) @ self.feature_basis_
            out[i, :keep] = np.clip(comp / self.feature_comp_scale_, -5, 5)
            mask[i, :keep] = True
        return out, mask

    def _study_tokens(self, done: list[Record]) -> np.ndarray:
        from ._pfn_net import run_tokens

        values = np.vstack(
            [self.scale_.unit(np.asarray(r.curves[self.curve])[: self.length_]) for r in done]
        )
        n = len(done)
        self._fit_features(done)
        f, m = self._features(done) or (None, None)
        seen = np.full(n, self.length_)
        return run_tokens(values, seen, self.length_, seen, np.ones(n, bool), f, m)

    def _network(self) -> Any:
        return load_pfn(str(self.weights if self.weights is not None else SHIPPED_WEIGHTS))[0]

    def _bucket_probs(
        self, records: list[Record], obs: np.ndarray, scale: CurveScale
    ) -> np.ndarray:
        """Each record's bucket probabilities of its final value (records, buckets), from its
        observed prefix ``obs`` on the metric's ``scale``."""
        from ._pfn_net import run_tokens

        k = min(int(self.fidelity), self.length_ - 1)
        z = scale.unit(obs[:, :k])
        n = len(records)
        f, m = (self._features(records) if self.context_ is not None else None) or (None, None)
        query = run_tokens(
            z, np.full(n, k), self.length_, np.full(n, self.length_), np.zeros(n, bool), f, m
        )
        alone = self._run_network(query[:, None, :])
        if self.context_ is None:
            return alone
        ctx = np.broadcast_to(self.context_, (n, *self.context_.shape))
        study = self._run_network(np.concatenate([ctx, query[:, None, :]], axis=1))
        return (1 - self.tails) * study + self.tails * alone

    def _run_network(self, tokens: np.ndarray) -> np.ndarray:
        """The last token's bucket probabilities; the others are finished runs."""
        from ._pfn_net import bucket_probs

        torch = _torch()
        net = self._network()
        finished = np.zeros(tokens.shape[:2], dtype=bool)
        finished[:, :-1] = True
        out = []
        with torch.no_grad():
            for lo in range(0, len(tokens), 256):
                logits = net(
                    torch.as_tensor(tokens[lo : lo + 256]), torch.as_tensor(finished[lo : lo + 256])
                )
                out.append(bucket_probs(logits[:, -1]))
        return np.vstack(out) if out else np.zeros((0, net.settings.buckets))

    def _scale(self, obs: np.ndarray) -> CurveScale:
        """The metric's scale: the study's, or without one an accuracy's range from ``obs``."""
        if self.scale_ is not None:
            return self.scale_
        if metric_range(self.curve, obs) is None:
            raise InvalidDataError(
                f"{self.curve!r} is not an accuracy in [0, 1] or [0, 100]: its scale comes from "
                "the study's finished runs; give them to fit"
            )
        return CurveScale.of_accuracy(metric_range(self.curve, obs))

    def _distribution(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray, CurveScale]:
        """Each record's bucket probabilities (records x buckets) and the buckets' edges in the
        metric's higher-is-better units; None probabilities when the final value is observed."""
        from ._pfn_net import HIGH, LOW

        obs = self._observed(records, self.curve)
        scale = self._scale(obs)
        probs = self._bucket_probs(records, obs, scale)
        edges = scale.value(np.linspace(LOW, HIGH, probs.shape[1] + 1))
        return probs, edges, scale

    def _observed_final(self, records: list[Record]) -> np.ndarray | None:
        """The final values when the fidelity reaches the run's end (nothing to predict)."""
        if int(self.fidelity) < self.length_:
            return None
        obs = self._observed(records, self.curve)
        return self._scale(obs).sign * obs[:, self.length_ - 1]

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        done = self._observed_final(records)
        if done is not None:
            return done, np.full(len(records), 1e-9 * max(1.0, float(np.abs(done).max())))
        probs, edges, scale = self._distribution(records)
        centres = (edges[:-1] + edges[1:]) / 2
        mean = probs @ centres
        std = np.sqrt(np.maximum(probs @ centres**2 - mean**2, 0.0))
        return within_range(mean, std, scale.bounds)

    def _probability_at_least(self, records: list[Record], value: float) -> np.ndarray:
        """P(final >= ``value``) from the bar distribution itself (``value`` in the predictions'
        units: higher is better), each bucket's mass spread evenly over it."""
        done = self._observed_final(records)
        if done is not None:
            return (done >= value).astype(np.float64)
        probs, edges, _ = self._distribution(records)
        width = np.diff(edges)
        above = np.where(
            width > 0, np.clip((edges[1:] - value) / np.where(width > 0, width, 1), 0, 1), 0.0
        )
        above = np.where(edges[:-1] >= value, 1.0, above)
        return probs @ above

    def predict_quantiles(self, records: list[Record], quantiles: list[float]) -> np.ndarray:
        """The ``quantiles`` (each in (0, 1)) of each record's predicted final value, from the
        bar distribution itself (records x quantiles, in the predictions' units): the 5% and
        95% quantiles are the 90% interval, whatever the distribution's shape."""
        q = np.asarray(quantiles, dtype=np.float64)
        if q.ndim != 1 or np.any((q <= 0) | (q >= 1)):
            raise InvalidDataError(f"quantiles lie strictly between 0 and 1, got {quantiles}")
        records = self._check_predict(records)
        with self._compute_context():
            return self._quantiles(records, q)

    def _quantiles(self, records: list[Record], q: np.ndarray) -> np.ndarray:
        """The quantiles ``q`` of each record's final value (records x quantiles)."""
        done = self._observed_final(records)
        if done is not None:
            return np.repeat(done[:, None], q.size, axis=1)
        probs, edges, scale = self._distribution(records)
        cdf = np.concatenate([np.zeros((len(records), 1)), np.cumsum(probs, axis=1)], axis=1)
        out = np.vstack([np.interp(q, row, edges) for row in cdf])
        return out if scale.bounds is None else np.clip(out, *scale.bounds)

    def _predict(self, records: list[Record]) -> np.ndarray:
        """The median of the predictive distribution: a run's rank is not moved by the small
        chance of a divergence the mean weighs in."""
        return self._quantiles(records, np.array([0.5]))[:, 0]
