"""``lc-pfn`` and ``lc-pfn-study``: a prior-data fitted network extrapolates learning curves.

A transformer trained by nasperf on its own curve prior (:mod:`._prior`, trained with
``nasperf train-pfn``, the weights shipped in the package) reads a run's first epochs and gives
the distribution of its final value (Adriaensen et al. 2023's LC-PFN). The study form also
reads the study's finished runs, as ifBO's FT-PFN does, so one run's extrapolation borrows
from the others'.

The network works on a normalised scale (higher is better, about [0, 1]): an accuracy is
divided by its range (1 or 100), any other metric is oriented (a loss negated) and mapped by
its study's range, from the runs given to ``fit`` (:class:`CurveScale`). Predictions are in the
metric's own units; for a loss the mean is of minus the loss, so that higher is better as
every predictor's output.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ...exceptions import ConfigurationError, InvalidDataError, MissingRequirementError
from ...records import Record
from ...validation import InstanceOf, Interval
from ..base import Requirements, TorchThreads
from ._common import CURVE_CONSTRAINTS, CurvePredictor, lower_is_better, metric_range, within_range

__all__ = ["PFNCurvePredictor", "CurveScale", "SHIPPED_WEIGHTS", "load_pfn"]

#: the weights shipped in the package (``nasperf train-pfn`` wrote them)
SHIPPED_WEIGHTS = Path(__file__).with_name("_weights") / "lc_pfn.pt"
_FALLING = 0.8  # share of falling curves that makes an accuracy-named metric a loss


@dataclass(frozen=True)
class CurveScale:
    """How a metric maps to the network's scale: ``z = (sign * v - low) / (high - low)``."""

    sign: float
    low: float
    high: float
    bounds: tuple[float, float] | None

    @classmethod
    def of(cls, curve: str, values: np.ndarray) -> CurveScale:
        """The scale of metric ``curve`` from a study's values (its finished runs' curves)."""
        bounds = metric_range(curve, values)
        if bounds is not None:
            return cls(1.0, bounds[0], bounds[1], bounds)
        sign = -1.0 if lower_is_better(curve) else 1.0
        w = sign * values[np.isfinite(values)]
        if w.size == 0:
            raise InvalidDataError(f"no finite value of {curve!r} in the runs given to fit")
        low, high = float(np.percentile(w, 2)), float(w.max())
        if high - low <= 1e-12 * max(1.0, abs(high)):
            raise InvalidDataError(
                f"every value of {curve!r} is {high * sign:g}: a constant curve has nothing to "
                "extrapolate; check the metric's column"
            )
        return cls(sign, low, high, None)

    def unit(self, values: np.ndarray) -> np.ndarray:
        """Values on the network's scale (a diverged value ends at the bottom bucket)."""
        z = (self.sign * values - self.low) / (self.high - self.low)
        return np.clip(np.nan_to_num(z, nan=-0.5, posinf=1.5, neginf=-0.5), -0.5, 1.5)

    def value(self, z: np.ndarray) -> np.ndarray:
        """Higher-is-better values in the metric's units (minus a loss) from the scale."""
        return self.low + z * (self.high - self.low)

    @property
    def width(self) -> float:
        return self.high - self.low


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
    components). ``fit`` also learns the metric's scale and the runs' full length (the most
    common curve length) from those runs. ``weights``: a ``lc_pfn.pt`` of ``nasperf
    train-pfn``, or None for the shipped network.
    """

    family = "learning-curve"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CURVE_CONSTRAINTS,
        "study": [InstanceOf(bool, "True or False")],
        "context": [Interval(int, 1, 512)],
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
        weights: str | Path | None = None,
        random_state: int | None = 0,
        num_threads: int = 1,
    ) -> None:
        self.fidelity = fidelity
        self.curve = curve
        self.study = study
        self.context = context
        self.weights = weights
        self.random_state = random_state
        self.num_threads = num_threads

    def _requirements(self) -> Requirements:
        # fitted on the study's finished runs: their whole curves give the run length and the
        # metric's scale (their targets are not used)
        return Requirements(curve=self.curve, fidelity=int(self.fidelity), targets=True)

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        curves = [np.asarray(r.curves[self.curve], dtype=np.float64) for r in records]
        self.length_ = Counter(len(c) for c in curves).most_common(1)[0][0]
        if self.length_ < 2:
            raise InvalidDataError(
                f"the runs given to fit have {self.curve!r} curves of one epoch: there is "
                "nothing to extrapolate; give runs with their whole curves"
            )
        full = [c for c in curves if len(c) == self.length_]
        values = np.concatenate(full)
        if not np.isfinite(values).any():
            raise InvalidDataError(f"every {self.curve!r} value of the runs given to fit is NaN")
        self._check_direction(full)
        self.scale_ = CurveScale.of(self.curve, values)
        self.context_ = None
        if self.study:
            done = [r for r, c in zip(records, curves, strict=True) if len(c) == self.length_]
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

    def _features(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray] | None:
        """Up to four feature columns (z-scored principal components), or None."""
        if any(r.features is None for r in records) or not records:
            return None
        x = np.vstack([np.asarray(r.features, dtype=np.float64).ravel() for r in records])
        if not np.all(np.isfinite(x)):
            return None
        if not hasattr(self, "feature_mean_"):
            from ._prior import N_FEATURES

            self.feature_mean_ = x.mean(axis=0)
            scale = x.std(axis=0)
            self.feature_scale_ = np.where(scale > 0, scale, 1.0)
            z = (x - self.feature_mean_) / self.feature_scale_
            _, sv, vt = np.linalg.svd(z, full_matrices=False)
            keep = min(N_FEATURES, int(np.sum(sv > 1e-9 * max(sv.max(), 1e-300))))
            self.feature_basis_ = vt[:keep].T
            comp = z @ self.feature_basis_
            self.feature_comp_scale_ = np.where(comp.std(axis=0) > 0, comp.std(axis=0), 1.0)
        if x.shape[1] != len(self.feature_mean_):
            raise MissingRequirementError(
                f"records have {x.shape[1]} features; the study's runs had "
                f"{len(self.feature_mean_)}"
            )
        comp = ((x - self.feature_mean_) / self.feature_scale_) @ self.feature_basis_
        comp = comp / self.feature_comp_scale_
        from ._prior import N_FEATURES

        out = np.zeros((len(records), N_FEATURES))
        out[:, : comp.shape[1]] = np.clip(comp, -5, 5)
        mask = np.zeros_like(out, dtype=bool)
        mask[:, : comp.shape[1]] = True
        return out, mask

    def _study_tokens(self, done: list[Record]) -> np.ndarray:
        from ._pfn_net import run_tokens

        for attr in ("feature_mean_", "feature_scale_", "feature_basis_"):
            self.__dict__.pop(attr, None)
        values = np.vstack([self.scale_.unit(np.asarray(r.curves[self.curve])) for r in done])
        n = len(done)
        feats = self._features(done)
        self.use_features_ = feats is not None
        f, m = feats if feats is not None else (None, None)
        seen = np.full(n, self.length_)
        return run_tokens(values, seen, self.length_, seen, np.ones(n, bool), f, m)

    def _network(self) -> Any:
        return load_pfn(str(self.weights if self.weights is not None else SHIPPED_WEIGHTS))[0]

    def _bucket_probs(self, records: list[Record]) -> np.ndarray:
        """Each record's bucket probabilities of its final value (records, buckets)."""
        from ._pfn_net import run_tokens

        torch = _torch()
        k = min(int(self.fidelity), self.length_ - 1)
        obs = self._observed(records, self.curve)[:, :k]
        z = self.scale_.unit(obs)
        n = len(records)
        feats = self._features(records) if self.study and self.use_features_ else None
        f, m = feats if feats is not None else (None, None)
        query = run_tokens(
            z, np.full(n, k), self.length_, np.full(n, self.length_), np.zeros(n, bool), f, m
        )
        net = self._network()
        if self.context_ is None:
            tokens = query[:, None, :]
        else:
            ctx = np.broadcast_to(self.context_, (n, *self.context_.shape))
            tokens = np.concatenate([ctx, query[:, None, :]], axis=1)
        finished = np.zeros(tokens.shape[:2], dtype=bool)
        finished[:, :-1] = True
        from ._pfn_net import bucket_stats

        out = []
        with torch.no_grad():
            for lo in range(0, n, 256):
                logits = net(
                    torch.as_tensor(tokens[lo : lo + 256]), torch.as_tensor(finished[lo : lo + 256])
                )
                out.append(bucket_stats(logits[:, -1], net.settings.buckets)[0])
        return np.vstack(out) if out else np.zeros((0, net.settings.buckets))

    def _predict_dist(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        obs = self._observed(records, self.curve)
        if int(self.fidelity) >= self.length_:  # the final value is observed
            last = self.scale_.sign * obs[:, self.length_ - 1]
            return last, np.full(len(records), 1e-9 * max(1.0, self.scale_.width))
        probs = self._bucket_probs(records)
        centres = self._centres(probs.shape[1])
        mean = probs @ centres
        std = np.sqrt(np.maximum(probs @ centres**2 - mean**2, 0.0))
        mean, std = self.scale_.value(mean), std * self.scale_.width
        return within_range(mean, std, self.scale_.bounds)

    @staticmethod
    def _centres(buckets: int) -> np.ndarray:
        from ._pfn_net import HIGH, LOW

        edges = np.linspace(LOW, HIGH, buckets + 1)
        return (edges[:-1] + edges[1:]) / 2

    def _probability_at_least(self, records: list[Record], value: float) -> np.ndarray:
        """P(final >= ``value``) from the bar distribution itself (``value`` in the predictions'
        units: higher is better), each bucket's mass spread evenly over it."""
        if int(self.fidelity) >= self.length_:
            return (self._predict_dist(records)[0] >= value).astype(np.float64)
        from ._pfn_net import HIGH, LOW

        probs = self._bucket_probs(records)
        z = (value - self.scale_.low) / self.scale_.width
        edges = np.linspace(LOW, HIGH, probs.shape[1] + 1)
        above = np.clip((edges[1:] - z) / (edges[1] - edges[0]), 0.0, 1.0)
        return probs @ above

    def _predict(self, records: list[Record]) -> np.ndarray:
        return self._predict_dist(records)[0]
