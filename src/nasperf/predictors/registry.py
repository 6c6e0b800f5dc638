"""Explicit table from CLI names to predictor classes (imported lazily, on first use).

What each predictor needs, its family and extra are not listed here: they are the class's
:meth:`~nasperf.predictors.Predictor.capabilities`.
"""

from __future__ import annotations

import ast
import inspect
import re

from ..exceptions import ConfigurationError, UnknownNameError
from ..registry import Registry
from .base import Predictor
from .zero_cost import PROXIES

__all__ = [
    "PREDICTORS",
    "COLUMN_PREFIX",
    "predictor_names",
    "get_predictor_class",
    "make_predictor",
    "split_params",
]

#: every predictor by name (``col:NAME`` column baselines are made by :func:`make_predictor`)
PREDICTORS = Registry("predictor", patterns=("col:NAME", "col:-NAME"))
PREDICTORS.add(
    "xgb",
    "nasperf.predictors.model_based._trees:XGBoostPredictor",
    "XGBoost regression on the one-hot encoding",
)
PREDICTORS.add(
    "lgb",
    "nasperf.predictors.model_based._trees:LightGBMPredictor",
    "LightGBM regression on the one-hot encoding",
)
PREDICTORS.add(
    "rf",
    "nasperf.predictors.model_based._trees:RandomForestPredictor",
    "random forest on the one-hot encoding",
)
PREDICTORS.add(
    "ngb",
    "nasperf.predictors.model_based._trees:NGBoostPredictor",
    "NGBoost (natural-gradient boosting, Gaussian) on the one-hot encoding",
)
PREDICTORS.add(
    "gp",
    "nasperf.predictors.model_based._gp:GPPredictor",
    "Gaussian process (Matern 5/2 + noise, marginal-likelihood fit)",
)
PREDICTORS.add(
    "mlp",
    "nasperf.predictors.model_based._mlp:MLPPredictor",
    "a plain MLP on the one-hot encoding",
)
PREDICTORS.add(
    "bananas",
    "nasperf.predictors.model_based._mlp:BananasPredictor",
    "BANANAS: ensemble of 3 MLPs on the path encoding",
)
PREDICTORS.add(
    "emprox",
    "nasperf.predictors.model_based._seq2seq:EmProxPredictor",
    "EmProx: k nearest known architectures in a sequence autoencoder's embedding",
)
PREDICTORS.add(
    "nao",
    "nasperf.predictors.model_based._seq2seq:NAOPredictor",
    "NAO: encoder, performance MLP and decoder on the token sequence, trained jointly",
)
PREDICTORS.add(
    "seminas",
    "nasperf.predictors.model_based._seq2seq:SemiNASPredictor",
    "SemiNAS: NAO plus pseudo-labelled architectures drawn from the space",
)
PREDICTORS.add(
    "gcn",
    "nasperf.predictors.model_based._graph:GCNPredictor",
    "GCN neural predictor (Wen et al.): directed graph convolutions over the cell",
)
PREDICTORS.add(
    "bonas",
    "nasperf.predictors.model_based._graph:BONASPredictor",
    "BONAS: GCN embedding with Bayesian linear regression on top",
)
PREDICTORS.add(
    "gp-wl",
    "nasperf.predictors.model_based._graph:GPWLPredictor",
    "GP-WL (NAS-BOWL): Gaussian process with the Weisfeiler-Lehman graph kernel",
)
PREDICTORS.add(
    "early-stop-acc",
    "nasperf.predictors.learning_curve:EarlyStopPredictor",
    "validation accuracy at the last observed epoch",
)
PREDICTORS.add(
    "early-stop-loss",
    "nasperf.predictors.learning_curve:EarlyStopPredictor",
    "minus the validation loss at the last observed epoch",
    params={"curve": "val_loss"},
)
PREDICTORS.add(
    "sotl",
    "nasperf.predictors.learning_curve:SoTLPredictor",
    "SoTL: minus the sum of training losses over the observed epochs",
)
PREDICTORS.add(
    "sotl-e",
    "nasperf.predictors.learning_curve:SoTLPredictor",
    "SoTL-E: minus the training loss of the last observed epoch",
    params={"window": 1},
)
PREDICTORS.add(
    "lce",
    "nasperf.predictors.learning_curve:LCEPredictor",
    "LCE: BIC-weighted parametric curve families extrapolated to the last epoch",
)
PREDICTORS.add(
    "lcsvr",
    "nasperf.predictors.learning_curve:SequentialRegressionPredictor",
    "LcSVR (Baker et al.): ν-SVR on the curve prefix, its differences and the encoding",
)
PREDICTORS.add(
    "lc-rf",
    "nasperf.predictors.learning_curve:SequentialRegressionPredictor",
    "Baker et al.'s sequential regression with a random forest",
    params={"model": "rf"},
)
PREDICTORS.add(
    "lc-br",
    "nasperf.predictors.learning_curve:SequentialRegressionPredictor",
    "Baker et al.'s sequential regression with Bayesian ridge",
    params={"model": "bayesian_ridge"},
)
PREDICTORS.add(
    "feature-history",
    "nasperf.predictors.training_based:FeatureHistoryPredictor",
    "proxy classifier on the features of the first E epochs (Cao et al. 2021)",
)
PREDICTORS.add(
    "fear",
    "nasperf.predictors.training_based:FearPredictor",
    "FEAR: train to a threshold, then only the tail; its accuracy (Dey et al. 2021)",
)
# zero-cost proxies of a live model (records carry info['model'] and info['batch']): one
# ZeroCostPredictor per proxy of the table, registered as zc-NAME
for _proxy in PROXIES.values():
    PREDICTORS.add(
        f"zc-{_proxy.name}",
        "nasperf.predictors.zero_cost:ZeroCostPredictor",
        _proxy.summary,
        params={"proxy": _proxy.name},
    )

#: prefix of column baselines: ``col:NAME`` uses the numeric column NAME as the score,
#: ``col:-NAME`` minus it (lower is better)
COLUMN_PREFIX = "col:"


def predictor_names() -> list[str]:
    """Names accepted by :func:`make_predictor` (column baselines are ``col:NAME``)."""
    return PREDICTORS.choices()


_WITH_PARAMS = re.compile(r"([^\[\]]+)\[([^\[\]]*)\]")


def split_params(name: str) -> tuple[str, dict[str, object]]:
    """Split ``NAME[key=value;key=value]`` into the name and its parameters.

    Values are read as Python literals (``k=60``, ``distance='cosine'``, ``h=None``); text that
    is no literal stays a string (``distance=cosine``). A name without brackets has none.
    """
    match = _WITH_PARAMS.fullmatch(name.strip())
    if match is None:
        if "[" in name or "]" in name:
            raise ConfigurationError(
                f"cannot read predictor {name!r}; write NAME or NAME[key=value;key=value]"
            )
        return name, {}
    base, body = match.group(1).strip(), match.group(2)
    params: dict[str, object] = {}
    for part in filter(None, (p.strip() for p in body.split(";"))):
        key, sep, text = part.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ConfigurationError(
                f"cannot read {part!r} in predictor {name!r}; write NAME[key=value;key=value]"
            )
        try:
            value: object = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            value = text.strip()
        if key.strip() in params:
            raise ConfigurationError(f"parameter {key.strip()!r} is given twice in {name!r}")
        params[key.strip()] = value
    return base, params


def get_predictor_class(name: str) -> type[Predictor]:
    """Return the class registered as ``name`` (``NAME[key=value]`` names its class too)."""
    name, _ = split_params(name)
    if name.startswith(COLUMN_PREFIX):
        from .baselines import ColumnBaseline

        return ColumnBaseline
    return PREDICTORS.load(name)


def make_predictor(name: str, **params: object) -> Predictor:
    """Build the predictor called ``name`` with ``params`` (``col:NAME`` for a column baseline,
    ``col:-NAME`` for one where lower is better; ``NAME[key=value;...]`` sets hyperparameters
    in the name, e.g. ``emprox[k=60]``)."""
    name, inline = split_params(name)
    if inline:
        cls = get_predictor_class(name)
        known = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
        unknown = sorted(set(inline) - set(known))
        if unknown:
            raise ConfigurationError(
                f"predictor {name!r} has no parameter {', '.join(map(repr, unknown))}; its "
                f"parameters: {', '.join(known)}"
            )
        params = {**inline, **params}
    if name.startswith(COLUMN_PREFIX):
        from .baselines import ColumnBaseline, parse_column

        column, sign = parse_column(name[len(COLUMN_PREFIX) :])
        if not column:
            raise UnknownNameError("predictor", name, predictor_names())
        return ColumnBaseline(column=column, **{"sign": sign, **params})
    return PREDICTORS.create(name, **params)
