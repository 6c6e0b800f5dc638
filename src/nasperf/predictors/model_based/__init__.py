"""Model-based predictors: regressors on a fixed-length architecture encoding.

The tree and MLP modules import their optional dependencies (xgboost, lightgbm, ngboost,
torch) only when a model is built, so importing this package is cheap.
"""

from ._gp import GPPredictor
from ._graph import BONASPredictor, GCNPredictor, GPWLPredictor, wl_kernel
from ._mlp import BananasPredictor, MLPPredictor
from ._seq2seq import EmProxPredictor, NAOPredictor, SemiNASPredictor
from ._trees import (
    LightGBMPredictor,
    NGBoostPredictor,
    RandomForestPredictor,
    TargetScaler,
    XGBoostPredictor,
)

__all__ = [
    "BananasPredictor",
    "BONASPredictor",
    "EmProxPredictor",
    "GCNPredictor",
    "GPPredictor",
    "GPWLPredictor",
    "LightGBMPredictor",
    "MLPPredictor",
    "NAOPredictor",
    "SemiNASPredictor",
    "NGBoostPredictor",
    "RandomForestPredictor",
    "TargetScaler",
    "XGBoostPredictor",
    "wl_kernel",
]
