"""omni-cv: OMNI whose features and model are chosen from the training data alone.

Candidates are model-based predictors fed the zero-cost, early and curve features with or
without the encoding (XGBoost, a Gaussian process on all features, one with a length scale per
feature on the scores alone), a correlation-weighted vote of the z-scored scores (no fitting
beyond one Spearman correlation per feature, strong with a handful of records), and the
encoding alone. K-fold cross-validation inside the training records gives every candidate
out-of-fold predictions, ranked by their out-of-fold Kendall τ. The stacked combination sums the
standardised predictions of the best k candidates (k up to 3, kept only when the blend ranks the
out-of-fold records better than fewer members; equal weights, because fitted weights overfit a
few dozen records) and maps the sum back to target units. The test records are
never seen: the protocol's split is the outer loop of a nested cross-validation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.stats import kendalltau, spearmanr

from ...records import Record
from ...validation import InstanceOf, Interval
from ..base import Predictor
from ._features import FEATURE_GROUPS, FittedFeatures
from ._omni import FEATURE_CONSTRAINTS, _FeaturePredictor, feature_records

__all__ = ["OmniCVPredictor"]

logger = logging.getLogger(__name__)

_SCORES = tuple(g for g in FEATURE_GROUPS if g != "encoding")
#: the fewest and most candidates a blend combines
_MIN_BLEND, _MAX_BLEND = 2, 3


class _Vote:
    """Each z-scored score weighted by its Spearman correlation with the target."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> _Vote:
        rho = np.array([_spearman(X[:, j], y) for j in range(X.shape[1])])
        self.w_ = rho
        self.a_, self.b_ = _affine(X @ rho, y)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.a_ * (X @ self.w_) + self.b_


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(np.nan_to_num(spearmanr(x, y)[0]))


def _affine(s: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The least-squares map of a score ``s`` onto target units."""
    if np.ptp(s) == 0:
        return 0.0, float(np.mean(y))
    a, b = np.polyfit(s, y, 1)
    return float(a), float(b)


@dataclass(frozen=True)
class _Candidate:
    name: str
    groups: tuple[str, ...]
    make: Callable[[int], Any]  # random_state -> a model with fit(records|X, y) and predict

    def fit_predict(
        self,
        feats: FittedFeatures,
        train: list[Record],
        y: np.ndarray,
        test: list[Record],
        seed: int,
    ) -> tuple[Any, np.ndarray]:
        model = self.make(seed)
        Xtr, Xte = feats.transform(train, self.groups), feats.transform(test, self.groups)
        if isinstance(model, Predictor):
            model.fit(feature_records(train, Xtr, y))
            return model, model.predict(feature_records(test, Xte))
        model.fit(Xtr, y)
        return model, model.predict(Xte)


def _tau(pred: np.ndarray, y: np.ndarray) -> float:
    if np.ptp(pred) == 0:
        return 0.0
    return float(np.nan_to_num(kendalltau(pred, y)[0]))


class OmniCVPredictor(_FeaturePredictor):
    """Ours: OMNI's features, with the model, the feature groups and a stacked combination
    chosen by ``cv``-fold cross-validation on the training records.

    Gaussian-process candidates are tried up to ``gp_max_train`` records (their cubic cost);
    ``stack=False`` keeps the single best candidate. After ``fit``, ``choice_`` names what was
    chosen and ``cv_scores_`` holds the out-of-fold Kendall τ of every candidate and blend.
    """

    extra: ClassVar[str | None] = "trees"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **FEATURE_CONSTRAINTS,
        "cv": [Interval(int, 2, None)],
        "stack": [InstanceOf(bool, "True or False")],
        "vote": [InstanceOf(bool, "True or False")],
        "gp_max_train": [Interval(int, 0, None)],
    }

    def __init__(
        self,
        encoding: str | None = "default",
        zero_cost: str | tuple[str, ...] | None = "auto",
        early: str | tuple[str, ...] | None = "auto",
        curve: str = "train_loss",
        fidelity: int | None = None,
        cv: int = 5,
        stack: bool = True,
        vote: bool = False,
        gp_max_train: int = 300,
        random_state: int = 0,
    ) -> None:
        self.encoding = encoding
        self.zero_cost = zero_cost
        self.early = early
        self.curve = curve
        self.fidelity = fidelity
        self.cv = cv
        self.stack = stack
        self.vote = vote
        self.gp_max_train = gp_max_train
        self.random_state = random_state

    def _candidates(self, groups: list[str], n: int) -> list[_Candidate]:
        from ..registry import make_predictor

        def model(name: str, **params: Any) -> Callable[[int], Any]:
            return lambda seed: make_predictor(
                name, encoding="features", random_state=seed, **params
            )

        scores = tuple(g for g in groups if g in _SCORES)
        every = tuple(groups)
        out = [_Candidate("xgb:all", every, model("xgb"))]
        if scores and self.vote:
            out.append(_Candidate("vote:scores", scores, lambda seed: _Vote()))
        if scores:
            if n <= self.gp_max_train:
                out.append(
                    _Candidate(
                        "gp-ard:scores", scores, model("gp", ard=True, n_restarts_optimizer=1)
                    )
                )
        if n <= self.gp_max_train and len(every) > len(scores):
            out.append(_Candidate("gp:all", every, model("gp", n_restarts_optimizer=1)))
        if scores and "encoding" in groups:
            out.append(_Candidate("xgb:encoding", ("encoding",), model("xgb")))
        return out

    def _fit(self, records: list[Record], y: np.ndarray | None) -> None:
        assert y is not None
        from sklearn.model_selection import KFold

        spec, n = self._spec(), len(records)
        self.features_ = spec.fit(records)
        candidates = self._candidates(self.features_.present_groups(), n)
        folds = KFold(min(self.cv, n), shuffle=True, random_state=self.random_state)
        oof = np.zeros((n, len(candidates)))
        for tr, te in folds.split(np.zeros(n)):
            train, test = [records[i] for i in tr], [records[i] for i in te]
            inner = spec.fit(train)  # z-scores from the inner training fold only
            for j, cand in enumerate(candidates):
                oof[te, j] = cand.fit_predict(inner, train, y[tr], test, self.random_state)[1]
        self.cv_scores_ = {c.name: _tau(oof[:, j], y) for j, c in enumerate(candidates)}
        order = sorted(range(len(candidates)), key=lambda j: -self.cv_scores_[candidates[j].name])
        self.loc_ = oof.mean(axis=0)
        self.scale_ = np.where(oof.std(axis=0) > 1e-12, oof.std(axis=0), 1.0)
        z = (oof - self.loc_) / self.scale_
        k_best, tau_best = 1, -np.inf
        sizes = range(_MIN_BLEND, min(_MAX_BLEND, len(candidates)) + 1) if self.stack else []
        for k in sizes or [1]:
            tau_k = _tau(z[:, order[:k]].sum(axis=1), y)
            if k > 1:
                self.cv_scores_["+".join(candidates[j].name for j in order[:k])] = tau_k
            if tau_k > tau_best:
                k_best, tau_best = k, tau_k
        chosen = order[:k_best]
        self.choice_ = "+".join(candidates[j].name for j in chosen)
        self.slope_, self.intercept_ = _affine(z[:, chosen].sum(axis=1), y)
        self.members_ = []
        for j in chosen:
            model, _ = candidates[j].fit_predict(
                self.features_, records, y, records[:1], self.random_state
            )
            self.members_.append((candidates[j], model, j))
        logger.info("omni-cv chose %s (out-of-fold τ %s)", self.choice_, self.cv_scores_)

    def _member_predict(self, member: tuple, records: list[Record]) -> np.ndarray:
        cand, model, _ = member
        X = self.features_.transform(records, cand.groups)
        if isinstance(model, Predictor):
            return model.predict(feature_records(records, X))
        return model.predict(X)

    def _predict(self, records: list[Record]) -> np.ndarray:
        blend = sum(
            (self._member_predict(m, records) - self.loc_[m[2]]) / self.scale_[m[2]]
            for m in self.members_
        )
        return self.slope_ * np.asarray(blend) + self.intercept_
