"""Explicit table from CLI names to predictor classes (imported lazily, on first use)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from ..exceptions import UnknownNameError
from .base import Predictor

__all__ = [
    "PredictorSpec",
    "PREDICTORS",
    "predictor_names",
    "get_predictor_class",
    "make_predictor",
]


@dataclass(frozen=True)
class PredictorSpec:
    """Where a predictor lives and a one-line description."""

    module: str
    cls: str
    summary: str
    extra: str | None = None  # the optional-dependency extra it needs
    params: dict = field(default_factory=dict)  # constructor arguments this name implies


PREDICTORS: dict[str, PredictorSpec] = {
    "xgb": PredictorSpec(
        "nasperf.predictors.model_based._trees",
        "XGBoostPredictor",
        "XGBoost regression on the one-hot encoding",
        "trees",
    ),
    "lgb": PredictorSpec(
        "nasperf.predictors.model_based._trees",
        "LightGBMPredictor",
        "LightGBM regression on the one-hot encoding",
        "trees",
    ),
    "rf": PredictorSpec(
        "nasperf.predictors.model_based._trees",
        "RandomForestPredictor",
        "random forest on the one-hot encoding",
    ),
    "ngb": PredictorSpec(
        "nasperf.predictors.model_based._trees",
        "NGBoostPredictor",
        "NGBoost (natural-gradient boosting, Gaussian) on the one-hot encoding",
        "trees",
    ),
    "gp": PredictorSpec(
        "nasperf.predictors.model_based._gp",
        "GPPredictor",
        "Gaussian process (Matern 5/2 + noise, marginal-likelihood fit)",
    ),
    "mlp": PredictorSpec(
        "nasperf.predictors.model_based._mlp",
        "MLPPredictor",
        "a plain MLP on the one-hot encoding",
        "torch",
    ),
    "bananas": PredictorSpec(
        "nasperf.predictors.model_based._mlp",
        "BananasPredictor",
        "BANANAS: ensemble of 3 MLPs on the path encoding",
        "torch",
    ),
    # learning-curve predictors: read the first `fidelity` epochs of a curve
    "early-stop-acc": PredictorSpec(
        "nasperf.predictors.learning_curve",
        "EarlyStopPredictor",
        "validation accuracy at the last observed epoch",
    ),
    "early-stop-loss": PredictorSpec(
        "nasperf.predictors.learning_curve",
        "EarlyStopPredictor",
        "minus the validation loss at the last observed epoch",
        params={"curve": "val_loss"},
    ),
    "sotl": PredictorSpec(
        "nasperf.predictors.learning_curve",
        "SoTLPredictor",
        "SoTL: minus the sum of training losses over the observed epochs",
    ),
    "sotl-e": PredictorSpec(
        "nasperf.predictors.learning_curve",
        "SoTLPredictor",
        "SoTL-E: minus the training loss of the last observed epoch",
        params={"window": 1},
    ),
    "lce": PredictorSpec(
        "nasperf.predictors.learning_curve",
        "LCEPredictor",
        "LCE: BIC-weighted parametric curve families extrapolated to the last epoch",
    ),
    "lcsvr": PredictorSpec(
        "nasperf.predictors.learning_curve",
        "SequentialRegressionPredictor",
        "LcSVR (Baker et al.): ν-SVR on the curve prefix, its differences and the encoding",
    ),
    "lc-rf": PredictorSpec(
        "nasperf.predictors.learning_curve",
        "SequentialRegressionPredictor",
        "Baker et al.'s sequential regression with a random forest",
        params={"model": "rf"},
    ),
    "lc-br": PredictorSpec(
        "nasperf.predictors.learning_curve",
        "SequentialRegressionPredictor",
        "Baker et al.'s sequential regression with Bayesian ridge",
        params={"model": "bayesian_ridge"},
    ),
    # training-based: records carry info['model'] and info['data'] (an ArrayDataset)
    "feature-history": PredictorSpec(
        "nasperf.predictors.training_based",
        "FeatureHistoryPredictor",
        "proxy classifier on the features of the first E epochs (Cao et al. 2021)",
        "torch",
    ),
    # zero-cost proxies of a live model: records carry info['model'] and info['batch']
    "zc-synflow": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "SynflowPredictor",
        "SynFlow: Σ|θ·∂R/∂θ| with |θ|, all-ones input, float64",
        "torch",
    ),
    "zc-snip": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "SnipPredictor",
        "SNIP: Σ|θ·∂L/∂θ|",
        "torch",
    ),
    "zc-grasp": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "GraspPredictor",
        "GraSP: Σ −θ·Hg (Suite-Zero sign)",
        "torch",
    ),
    "zc-fisher": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "FisherPredictor",
        "Fisher: activation × gradient squared per channel",
        "torch",
    ),
    "zc-jacov": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "JacovPredictor",
        "Jacobian covariance: log-det-like score of input-Jacobian correlations",
        "torch",
    ),
    "zc-grad_norm": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "GradNormPredictor",
        "gradient norm: Σ‖∂L/∂W‖",
        "torch",
    ),
    "zc-plain": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "PlainPredictor",
        "plain: Σ θ·∂L/∂θ",
        "torch",
    ),
    "zc-l2_norm": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "L2NormPredictor",
        "Σ of the layers' weight norms",
        "torch",
    ),
    "zc-nwot": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "NwotPredictor",
        "NASWOT: log|K| of the Hamming kernel of ReLU codes",
        "torch",
    ),
    "zc-epe_nas": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "EpeNasPredictor",
        "EPE-NAS: per-class correlations of input Jacobians",
        "torch",
    ),
    "zc-zen": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "ZenPredictor",
        "Zen-score: log Gaussian-perturbation response + BN scales",
        "torch",
    ),
    "zc-params": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "ParamsPredictor",
        "trainable parameter count of the live model",
        "torch",
    ),
    "zc-flops": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "FlopsPredictor",
        "FLOPs of the live model (conv, linear, BN, ReLU, pooling; MFLOPs)",
        "torch",
    ),
    "zc-zico": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "ZicoPredictor",
        "ZiCo: Σ log Σ mean|g|/std(g) over two half-batches",
        "torch",
    ),
    "zc-meco": PredictorSpec(
        "nasperf.predictors.zero_cost",
        "MecoPredictor",
        "MeCo: Σ minimum eigenvalues of feature-map correlations",
        "torch",
    ),
}

#: prefix of column baselines: ``col:NAME`` uses the numeric column NAME as the score
COLUMN_PREFIX = "col:"


def predictor_names() -> list[str]:
    """Names accepted by :func:`make_predictor` (column baselines are ``col:NAME``)."""
    return [*PREDICTORS, COLUMN_PREFIX + "NAME"]


def get_predictor_class(name: str) -> type[Predictor]:
    """Return the class registered as ``name``."""
    if name.startswith(COLUMN_PREFIX):
        from .baselines import ColumnBaseline

        return ColumnBaseline
    spec = PREDICTORS.get(name)
    if spec is None:
        raise UnknownNameError("predictor", name, predictor_names())
    return getattr(importlib.import_module(spec.module), spec.cls)


def make_predictor(name: str, **params: object) -> Predictor:
    """Build the predictor called ``name`` with ``params`` (``col:NAME`` for a column baseline)."""
    cls = get_predictor_class(name)
    if name.startswith(COLUMN_PREFIX):
        column = name[len(COLUMN_PREFIX) :]
        if not column:
            raise UnknownNameError("predictor", name, predictor_names())
        return cls(column=column, **params)
    return cls(**{**PREDICTORS[name].params, **params})
