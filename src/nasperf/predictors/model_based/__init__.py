"""Model-based predictors: regressors on a fixed-length architecture encoding.

The tree and MLP modules import their optional dependencies (xgboost, lightgbm, ngboost,
torch) only when a model is built, so importing this package is cheap.
"""

from ._gp import GPPredictor
from ._mlp import BananasPredictor, MLPPredictor
from ._trees import (
    LightGBMPredictor,
    NGBoostPredictor,
    RandomForestPredictor,
    TargetScaler,
    XGBoostPredictor,
)

__all__ = [
    "BananasPredictor",
    "GPPredictor",
    "LightGBMPredictor",
    "MLPPredictor",
    "NGBoostPredictor",
    "RandomForestPredictor",
    "TargetScaler",
    "XGBoostPredictor",
]
