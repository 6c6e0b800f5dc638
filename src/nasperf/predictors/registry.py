"""Explicit table from CLI names to predictor classes (imported lazily, on first use).

What each predictor needs, its family and extra are the class's
:meth:`~nasperf.predictors.Predictor.capabilities`; the listing reads a generated copy of them
(:mod:`._catalog`, kept equal by a test), so ``nasperf predictors`` imports no predictor.
Importing this module imports no scientific stack.
"""

from __future__ import annotations

import ast
import inspect
import re
from typing import TYPE_CHECKING

from ..exceptions import ConfigurationError, UnknownNameError
from ..registry import Registry
from .zero_cost._common import PROXIES

if TYPE_CHECKING:  # pragma: no cover
    from .base import Predictor

__all__ = [
    "PREDICTORS",
    "WHITE_ET_AL",
    "COLUMN_PREFIX",
    "predictor_names",
    "get_predictor_class",
    "make_predictor",
    "predictor_catalog",
    "listed_capabilities",
    "split_params",
]

#: every predictor by name (``col:NAME`` column baselines are made by :func:`make_predictor`)
PREDICTORS = Registry("predictor", patterns=("col:NAME", "col:-NAME"))
PREDICTORS.add(
    "xgb",
    "nasperf.predictors.model_based._trees:XGBoostPredictor",
    "XGBoost regression on the one-hot encoding",
    paper="Chen and Guestrin 2016, XGBoost: A Scalable Tree Boosting System",
)
PREDICTORS.add(
    "lgb",
    "nasperf.predictors.model_based._trees:LightGBMPredictor",
    "LightGBM regression on the one-hot encoding",
    paper="Ke et al. 2017, LightGBM: A Highly Efficient Gradient Boosting Decision Tree",
)
PREDICTORS.add(
    "rf",
    "nasperf.predictors.model_based._trees:RandomForestPredictor",
    "random forest on the one-hot encoding",
    paper="Breiman 2001, Random Forests",
)
PREDICTORS.add(
    "ngb",
    "nasperf.predictors.model_based._trees:NGBoostPredictor",
    "NGBoost (natural-gradient boosting, Gaussian) on the one-hot encoding",
    paper="Duan et al. 2020, NGBoost: Natural Gradient Boosting for Probabilistic Prediction",
)
PREDICTORS.add(
    "gp",
    "nasperf.predictors.model_based._gp:GPPredictor",
    "Gaussian process (Matern 5/2 + noise, marginal-likelihood fit)",
    paper="Rasmussen and Williams 2006, Gaussian Processes for Machine Learning",
)
PREDICTORS.add(
    "blr",
    "nasperf.predictors.model_based._bayes:BLRPredictor",
    "Bayesian linear regression on the one-hot encoding (evidence-maximising alpha, beta)",
    paper="Bishop 2006, Pattern Recognition and Machine Learning (sections 3.3, 3.5)",
)
PREDICTORS.add(
    "dngo",
    "nasperf.predictors.model_based._bayes:DNGOPredictor",
    "DNGO: Bayesian linear regression on an MLP's last hidden layer",
    paper="Snoek et al. 2015, Scalable Bayesian Optimization Using Deep Neural Networks",
)
PREDICTORS.add(
    "bohamiann",
    "nasperf.predictors.model_based._bayes:BOHAMIANNPredictor",
    "BOHAMIANN: Bayesian neural network sampled by scale-adapted SGHMC",
    paper="Springenberg et al. 2016, Bayesian Optimization with Robust Bayesian Neural Networks",
)
PREDICTORS.add(
    "mlp",
    "nasperf.predictors.model_based._mlp:MLPPredictor",
    "a plain MLP on the one-hot encoding",
    paper="White et al. 2021, How Powerful are Performance Predictors in NAS?",
)
PREDICTORS.add(
    "bananas",
    "nasperf.predictors.model_based._mlp:BananasPredictor",
    "BANANAS: ensemble of 3 MLPs on the path encoding",
    paper="White et al. 2021, BANANAS: Bayesian Optimization with Neural Architectures for NAS",
)
PREDICTORS.add(
    "emprox",
    "nasperf.predictors.model_based._seq2seq:EmProxPredictor",
    "EmProx: k nearest known architectures in a sequence autoencoder's embedding",
    paper="Franken, Singh and Vanschoren 2022, EmProx: Neural Network Performance Estimation",
)
PREDICTORS.add(
    "nao",
    "nasperf.predictors.model_based._seq2seq:NAOPredictor",
    "NAO: encoder, performance MLP and decoder on the token sequence, trained jointly",
    paper="Luo et al. 2018, Neural Architecture Optimization",
)
PREDICTORS.add(
    "seminas",
    "nasperf.predictors.model_based._seq2seq:SemiNASPredictor",
    "SemiNAS: NAO plus pseudo-labelled architectures drawn from the space",
    paper="Luo et al. 2020, Semi-Supervised Neural Architecture Search",
)
PREDICTORS.add(
    "gcn",
    "nasperf.predictors.model_based._graph:GCNPredictor",
    "GCN neural predictor (Wen et al.): directed graph convolutions over the cell",
    paper="Wen et al. 2020, Neural Predictor for Neural Architecture Search",
)
PREDICTORS.add(
    "bonas",
    "nasperf.predictors.model_based._graph:BONASPredictor",
    "BONAS: GCN embedding with Bayesian linear regression on top",
    paper="Shi et al. 2020, Bridging the Gap between Sample-based and One-shot NAS with BONAS",
)
PREDICTORS.add(
    "gp-wl",
    "nasperf.predictors.model_based._graph:GPWLPredictor",
    "GP-WL (NAS-BOWL): Gaussian process with the Weisfeiler-Lehman graph kernel",
    paper="Ru et al. 2021, Interpretable NAS via Bayesian Optimisation with WL Kernels",
)
PREDICTORS.add(
    "sparse-gp",
    "nasperf.predictors.model_based._sparse_gp:SparseGPPredictor",
    "sparse GP (SGPR): inducing points, collapsed-bound fit (gpytorch)",
    paper="Titsias 2009, Variational learning of inducing variables in sparse GPs",
)
PREDICTORS.add(
    "var-sparse-gp",
    "nasperf.predictors.model_based._sparse_gp:VariationalSparseGPPredictor",
    "variational sparse GP (SVGP): inducing points, q(u) and kernel by the ELBO (gpytorch)",
    paper="Hensman et al. 2013, Gaussian processes for big data",
)
PREDICTORS.add(
    "early-stop-acc",
    "nasperf.predictors.learning_curve:EarlyStopPredictor",
    "validation accuracy at the last observed epoch",
    paper="White et al. 2021, How Powerful are Performance Predictors in NAS?",
)
PREDICTORS.add(
    "early-stop-loss",
    "nasperf.predictors.learning_curve:EarlyStopPredictor",
    "minus the validation loss at the last observed epoch",
    params={"curve": "val_loss"},
    paper="White et al. 2021, How Powerful are Performance Predictors in NAS?",
)
PREDICTORS.add(
    "sotl",
    "nasperf.predictors.learning_curve:SoTLPredictor",
    "SoTL: minus the sum of training losses over the observed epochs",
    paper="Ru et al. 2021, Speedy Performance Estimation for Neural Architectures",
)
PREDICTORS.add(
    "sotl-e",
    "nasperf.predictors.learning_curve:SoTLPredictor",
    "SoTL-E: minus the training loss of the last observed epoch",
    params={"window": 1},
    paper="Ru et al. 2021, Speedy Performance Estimation for Neural Architectures",
)
PREDICTORS.add(
    "sotl-ema",
    "nasperf.predictors.learning_curve:SoTLPredictor",
    "SoTL-EMA: minus the sum of an exponential moving average of the training losses",
    params={"ema": 0.99},
    paper="Ru et al. 2021, Speedy Performance Estimation for Neural Architectures",
)
PREDICTORS.add(
    "lce",
    "nasperf.predictors.learning_curve:LCEPredictor",
    "LCE: BIC-weighted parametric curve families extrapolated to the last epoch",
    paper="Domhan, Springenberg and Hutter 2015, Speeding Up Automatic Hyperparameter Optimization",
)
PREDICTORS.add(
    "lce-m",
    "nasperf.predictors.learning_curve:LCEMPredictor",
    "LCE-m: MCMC posterior of weighted parametric curve families at the last epoch",
    paper="Domhan, Springenberg and Hutter 2015, Speeding Up Automatic Hyperparameter Optimization",
)
PREDICTORS.add(
    "lc-pfn",
    "nasperf.predictors.learning_curve:PFNCurvePredictor",
    "LC-PFN: a transformer trained on nasperf's curve prior extrapolates each curve alone",
    paper="Adriaensen et al. 2023, Efficient Bayesian Learning Curve Extrapolation using "
    "Prior-Data Fitted Networks",
)
PREDICTORS.add(
    "lc-pfn-study",
    "nasperf.predictors.learning_curve:PFNCurvePredictor",
    "the curve PFN conditioned on the study's finished runs as well (FT-PFN's form)",
    params={"study": True},
    paper="Rakotoarison et al. 2024, In-Context Freeze-Thaw Bayesian Optimization",
)
PREDICTORS.add(
    "lcsvr",
    "nasperf.predictors.learning_curve:SequentialRegressionPredictor",
    "LcSVR (Baker et al.): ν-SVR on the curve prefix, its differences and the encoding",
    paper="Baker et al. 2017, Accelerating NAS using Performance Prediction",
)
PREDICTORS.add(
    "lc-rf",
    "nasperf.predictors.learning_curve:SequentialRegressionPredictor",
    "Baker et al.'s sequential regression with a random forest",
    params={"model": "rf"},
    paper="Baker et al. 2017, Accelerating NAS using Performance Prediction",
)
PREDICTORS.add(
    "lc-br",
    "nasperf.predictors.learning_curve:SequentialRegressionPredictor",
    "Baker et al.'s sequential regression with Bayesian ridge",
    params={"model": "bayesian_ridge"},
    paper="Baker et al. 2017, Accelerating NAS using Performance Prediction",
)
PREDICTORS.add(
    "omni",
    "nasperf.predictors.hybrid:OMNIPredictor",
    "OMNI: NGBoost on the encoding plus z-scored zero-cost scores, early values and curve",
    paper="White et al. 2021, How Powerful are Performance Predictors in NAS?",
)
PREDICTORS.add(
    "omni-xgb",
    "nasperf.predictors.hybrid:OMNIXGBPredictor",
    "OMNI with XGBoost in place of NGBoost",
    paper="White et al. 2021 (NASLib's omni_xgb)",
)
PREDICTORS.add(
    "omni-cv",
    "nasperf.predictors.hybrid:OmniCVPredictor",
    "ours: OMNI's features, model and stacked combination chosen by cross-validation",
    paper="nasperf (this library), after White et al. 2021",
)
PREDICTORS.add(
    "feature-history",
    "nasperf.predictors.training_based:FeatureHistoryPredictor",
    "proxy classifier on the features of the first E epochs (Cao et al. 2021)",
    paper="Cao, Wang and Kitani 2021, Efficient Model Performance Estimation via Feature Histories",
)
PREDICTORS.add(
    "fear",
    "nasperf.predictors.training_based:FearPredictor",
    "FEAR: train to a threshold, then only the tail; its accuracy (Dey et al. 2021)",
    paper="Dey, Shah and Bubeck 2021, FEAR: A Simple Lightweight Method to Rank Architectures",
)
# weight sharing: one NB201 supernet trained in fit; records carry info['data']
PREDICTORS.add(
    "oneshot",
    "nasperf.predictors.weight_sharing:OneShotPredictor",
    "one-shot model: validation accuracy with weights inherited from a supernet trained "
    "with all operations",
    paper="Bender et al. 2018, Understanding and Simplifying One-Shot Architecture Search",
)
PREDICTORS.add(
    "rs-ws",
    "nasperf.predictors.weight_sharing:RSWSPredictor",
    "RS-WS: validation accuracy with weights inherited from a supernet trained on uniformly "
    "sampled single paths",
    paper="Li and Talwalkar 2019, Random Search and Reproducibility for NAS",
)
# zero-cost proxies of a live model (records carry info['model'] and info['batch']): one
# ZeroCostPredictor per proxy of the table, registered as zc-NAME
for _proxy in PROXIES.values():
    PREDICTORS.add(
        f"zc-{_proxy.name}",
        "nasperf.predictors.zero_cost:ZeroCostPredictor",
        _proxy.summary,
        params={"proxy": _proxy.name},
        paper=_proxy.target.title,
    )

#: White et al. 2021's 31 predictors by their family (every other entry is an addition)
WHITE_ET_AL: dict[str, tuple[str, ...]] = {
    "model-based": (
        "bananas", "bohamiann", "bonas", "blr", "dngo", "gcn", "gp", "lgb",
        "mlp", "nao", "ngb", "rf", "seminas", "sparse-gp", "var-sparse-gp", "xgb",
    ),
    "learning-curve": ("early-stop-acc", "early-stop-loss", "lce", "lce-m", "sotl", "sotl-e"),
    "hybrid": ("lcsvr",),
    "zero-cost": ("zc-fisher", "zc-grad_norm", "zc-grasp", "zc-jacov", "zc-snip", "zc-synflow"),
    "weight-sharing": ("oneshot", "rs-ws"),
}  # fmt: skip

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


def listed_capabilities(name: str) -> tuple[str, str, str | None]:
    """The family, requirements (described) and extra of the predictor registered as
    ``name``, from the generated catalog (no import), or asked of its class if it is not
    there yet."""
    from ._catalog import CATALOG

    row = CATALOG.get(name)
    return _asked_capabilities(name) if row is None else row  # None: registered after it


def _asked_capabilities(name: str) -> tuple[str, str, str | None]:
    """The catalog's row of ``name``, asked of its class (imports it)."""
    needs = make_predictor(name).capabilities()
    return needs.family, needs.describe(), needs.extra


def predictor_catalog() -> dict[str, tuple[str, str, str | None]]:
    """Each registered predictor's family, requirements (described) and extra, asked of the
    classes themselves (imports every predictor module; :mod:`._catalog` keeps a copy)."""
    return {name: _asked_capabilities(name) for name in PREDICTORS}


def write_catalog() -> None:
    """Regenerate :mod:`._catalog` from the classes' capabilities."""
    import json
    import pathlib

    def text(value: str | None) -> str:
        return "None" if value is None else json.dumps(value)

    rows = "".join(
        f"    {text(name)}: ({', '.join(map(text, row))}),\n"
        for name, row in predictor_catalog().items()
    )
    table = "CATALOG: dict[str, tuple[str, str, str | None]] = {\n" + rows + "}  # fmt: skip\n"
    path = pathlib.Path(__file__).with_name("_catalog.py")
    text_before = path.read_text()
    start = text_before.index("CATALOG: dict[")
    end = text_before.index("}  # fmt: skip\n", start) + len("}  # fmt: skip\n")
    path.write_text(text_before[:start] + table + text_before[end:])


if __name__ == "__main__":  # pragma: no cover - python -m nasperf.predictors.registry
    write_catalog()
