"""check_estimator-style tests run over every registered predictor."""

from __future__ import annotations

import inspect
from functools import partial
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone

from helpers import synthetic_records
from nasperf.data import ArrayDataset
from nasperf.exceptions import (
    ConfigurationError,
    InvalidDataError,
    MissingRequirementError,
    NotFittedError,
    UnknownNameError,
)
from nasperf.predictors import PREDICTORS, Predictor, get_predictor_class, make_predictor
from nasperf.records import Record
from nasperf.registry import EXTRA_MODULES

NAMES = [*PREDICTORS, "col:s"]
#: predictors that score a live model (zero-cost proxies) instead of reading the records' data
CAPS = {n: make_predictor(n).capabilities() for n in NAMES}
LIVE = [n for n in NAMES if CAPS[n].requires.live_model]
#: weight-sharing predictors: NB201 cells carrying the small dataset their supernet trains on
SUPERNET = [n for n in NAMES if CAPS[n].family == "weight-sharing"]


#: predictors that read an architecture's structure (token sequence or graph), not a vector
STRUCTURAL = [n for n in NAMES if CAPS[n].requires.encoding in ("seq", "graph")]
#: shorter training for the API tests (the defaults are measured in docs/RESULTS.md)
QUICK: dict[str, dict[str, object]] = {
    "omni": {"n_estimators": 100},
    "omni-cv": {"cv": 3, "gp_max_train": 0},
    "emprox": {"epochs": 10},
    "nao": {"epochs": 30},
    "seminas": {"pretrain_epochs": 30, "epochs": 5, "n_unlabelled": 40},
    "gcn": {"epochs": 40, "batch_size": 16, "learning_rate": 1e-3},
    "bonas": {"epochs": 40},
    "dngo": {"epochs": 50},
    "bohamiann": {"burn_in_steps": 500, "num_samples": 30, "keep_every": 20},
    "var-sparse-gp": {"max_iter": 150},
    "lce-m": {"n_steps": 60, "burn_in": 30},
    "oneshot": {"epochs": 1, "C": 2, "N": 1, "bn_batches": 1},
    "rs-ws": {"epochs": 1, "C": 2, "N": 1, "bn_batches": 1},
}


def build(name: str, **params: object) -> Predictor:
    pred = make_predictor(name)
    if "encoding" in pred.get_params():
        pred.set_params(encoding="features")
    return pred.set_params(**{**QUICK.get(name, {}), **params})


def cell_records(n: int, seed: int = 0) -> list[Record]:
    """NB201 cells whose target is a smooth function of their operations (convolutions help,
    ``none`` edges hurt), with a little noise."""
    from nasperf.spaces import get_space

    space = get_space("nb201")
    rng = np.random.default_rng(seed)
    weight = {"nor_conv_3x3": 2.0, "nor_conv_1x1": 1.0, "skip_connect": 0.3, "none": -1.0}
    out = []
    for _ in range(n):
        arch = space.sample(rng)
        ops = space.ops_of(arch)
        y = sum(weight.get(op, 0.0) for op in ops) + 0.1 * rng.normal()
        out.append(Record(arch=arch, space="nb201", target=float(y)))
    return out


def data(name: str, n: int, seed: int = 0) -> list[Record]:
    """Training or test records a predictor can read."""
    if name in SUPERNET:
        ds = tiny_data(seed)
        return [Record(r.arch, "nb201", info={"data": ds}) for r in cell_records(n, seed)]
    return cell_records(n, seed) if name in STRUCTURAL else synthetic_records(n, seed=seed)


def tiny_cnn(width: int) -> Any:
    """A small classifier (3 classes) for the live-model predictors."""
    import torch

    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(3, width, 3, padding=1),
        nn.BatchNorm2d(width),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(width, 3),
    )


def tiny_data(seed: int) -> ArrayDataset:
    """3 classes of 6x6 images: 24 training, 12 validation and 6 test images."""
    rng = np.random.default_rng(seed)
    splits = {}
    for split, n in (("train", 24), ("val", 12), ("test", 6)):
        y = np.arange(n) % 3
        splits[f"x_{split}"] = (rng.normal(size=(n, 3, 6, 6)) + y[:, None, None, None]).astype(
            np.float32
        )
        splits[f"y_{split}"] = y
    return ArrayDataset(name="tiny", num_classes=3, **splits)


def live_records(n: int, seed: int = 0) -> list[Record]:
    """Records carrying a model factory (varying width), a batch of 8 images (6x6) for the
    zero-cost proxies and a small dataset for the training-based estimators."""
    torch = pytest.importorskip("torch")
    gen = torch.Generator().manual_seed(seed)
    data = tiny_data(seed)
    out = []
    for i in range(n):
        width = 2 + (i + seed) % 4
        x = torch.randn(8, 3, 6, 6, generator=gen)
        y = torch.arange(8) % 3
        info = {"model": partial(tiny_cnn, width), "batch": (x, y), "data": data}
        out.append(Record(arch=i, space="custom", target=float(width), info=info))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_init_only_stores_params(name: str) -> None:
    pred = build(name)
    params = pred.get_params()
    sig = inspect.signature(type(pred).__init__)
    assert set(params) == {p for p in sig.parameters if p != "self"}
    # nothing learned before fit
    assert not [k for k in vars(pred) if k.endswith("_")]


@pytest.mark.parametrize("name", NAMES)
def test_fit_predict_shapes_and_quality(name: str) -> None:
    if name in LIVE:  # nothing to learn: the shape here, what the scores say in the next test
        pred = build(name)
        assert pred.fit(live_records(3, seed=1)) is pred
        y = pred.predict(live_records(6, seed=2))
        assert y.shape == (6,) and y.dtype == np.float64 and np.all(np.isfinite(y))
        return
    if name in SUPERNET:  # no targets: the shapes here, the weight sharing in its own tests
        y = build(name).fit(data(name, 3, seed=1)).predict(data(name, 6, seed=2))
        assert y.shape == (6,) and y.dtype == np.float64 and np.all(np.isfinite(y))
        return
    train, test = data(name, 80, seed=1), data(name, 40, seed=2)
    pred = build(name)
    assert pred.fit(train) is pred
    y = pred.predict(test)
    assert y.shape == (40,) and y.dtype == np.float64 and np.all(np.isfinite(y))
    truth = np.array([r.target for r in test])
    assert np.corrcoef(y, truth)[0, 1] > 0.3  # every predictor learns (or reads) the signal


#: zero-cost proxies that grow with a network's width: more parameters and operations (params,
#: flops, synflow, l2_norm), more distinct ReLU codes (nwot), larger feature maps (zen)
GROW_WITH_WIDTH = {f"zc-{p}" for p in ("params", "flops", "synflow", "l2_norm", "nwot", "zen")}


def blind_cnn(width: int) -> Any:
    """``tiny_cnn`` fed zeros: whatever it learns, its features carry nothing of the input."""
    import torch

    class ZeroInput(torch.nn.Module):
        def forward(self, x: Any) -> Any:
            return x * 0.0

    return torch.nn.Sequential(ZeroInput(), tiny_cnn(width))


@pytest.mark.parametrize("name", LIVE)
def test_live_predictors_tell_networks_apart(name: str) -> None:
    """Scores that follow the networks: the feature-history estimate of a network that sees its
    input beats chance by far and that of a blind one does not; every proxy tells five widths
    apart on one batch, and the size-like ones rank them by width."""
    import torch

    assert GROW_WITH_WIDTH <= set(LIVE)  # no name in it has gone stale
    data = tiny_data(0)
    y = torch.arange(8) % 3
    x = torch.randn(8, 3, 6, 6, generator=torch.Generator().manual_seed(0)) + y[:, None, None, None]
    # FEAR's stage 2 needs more than one step an epoch on 24 images to move the tail
    tiny = {"fear": {"stage2_batch_size": 8, "stage2_epochs": 10, "score": "val"}}
    pred = build(name, **tiny.get(name, {})).fit([])
    if get_predictor_class(name).family == "training-based":
        models = {"sees": partial(tiny_cnn, 4), "blind": partial(blind_cnn, 4)}
        recs = [Record(arch=k, space="custom", info={"model": m, "data": data})
                for k, m in models.items()]  # fmt: skip
        sees, blind = pred.predict(recs)
        chance = 100.0 / data.num_classes
        assert blind == pytest.approx(chance, abs=10.0) and sees > chance + 40.0
        return
    widths = [2, 4, 8, 16, 32]
    recs = [Record(arch=w, space="custom", info={"model": partial(tiny_cnn, w), "batch": (x, y)})
            for w in widths]  # fmt: skip
    scores = pred.predict(recs)
    assert np.all(np.isfinite(scores)) and len(set(scores.tolist())) == len(widths)
    if name in GROW_WITH_WIDTH:
        assert np.all(np.diff(scores) > 0), scores


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_under_seed(name: str) -> None:
    if name in LIVE:
        a = build(name).fit([]).predict(live_records(4, seed=3))
        b = build(name).fit([]).predict(live_records(4, seed=3))
        np.testing.assert_array_equal(a, b)
        return
    train, test = data(name, 60, seed=3), data(name, 20, seed=4)
    a = build(name).fit(train).predict(test)
    b = build(name).fit(train).predict(test)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_get_set_params_round_trip(name: str) -> None:
    pred = build(name)
    params = pred.get_params()
    twin = clone(pred)
    assert twin.get_params() == params
    twin.set_params(**params)
    assert twin.get_params() == params
    with pytest.raises(ValueError):
        pred.set_params(no_such_parameter=1)


@pytest.mark.parametrize("name", NAMES)
def test_predict_before_fit(name: str) -> None:
    with pytest.raises(NotFittedError):
        build(name).predict(data(name, 5))


@pytest.mark.parametrize("name", NAMES)
def test_records_lacking_requirements(name: str) -> None:
    pred = build(name)
    bare = [Record(arch=i, space="custom", target=float(i)) for i in range(10)]
    with pytest.raises(MissingRequirementError):
        pred.fit(bare)


@pytest.mark.parametrize("name", LIVE)
def test_live_records_lacking_their_data(name: str) -> None:
    key = "data" if get_predictor_class(name).family == "training-based" else "batch"
    recs = live_records(2)
    del recs[1].info[key]
    pred = build(name).fit(recs)  # fitting needs only the models
    with pytest.raises(MissingRequirementError, match=key if key == "batch" else "training data"):
        pred.predict(recs)


@pytest.mark.parametrize(
    "name", [n for n in NAMES if not CAPS[n].requires.targets]
)
def test_fit_without_records_when_no_targets_needed(name: str) -> None:
    pred = build(name)
    assert pred.fit([]) is pred and pred.is_fitted_


@pytest.mark.parametrize("name", [n for n in NAMES if CAPS[n].requires.targets])
def test_nan_target_rejected(name: str) -> None:
    recs = data(name, 20)
    recs[3].target = float("nan")
    pred = build(name).fit(data(name, 20, seed=9))
    with pytest.raises(InvalidDataError, match="target"):
        pred.fit(recs)
    with pytest.raises(NotFittedError):  # a failed refit leaves no half-updated model behind
        pred.predict(data(name, 5))


@pytest.mark.parametrize("name", [n for n in NAMES if CAPS[n].has_dist])
def test_predict_dist(name: str) -> None:
    pred = build(name).fit(data(name, 60, seed=5))
    mean, std = pred.predict_dist(data(name, 15, seed=6))
    assert mean.shape == std.shape == (15,)
    assert np.all(np.isfinite(mean)) and np.all(std > 0)


@pytest.mark.parametrize("name", NAMES)
def test_capabilities_describe_the_predictor(name: str) -> None:
    caps = CAPS[name]
    families = ("model-based", "learning-curve", "zero-cost", "training-based", "baseline",
                "weight-sharing", "hybrid")
    assert caps.family in families
    assert caps.extra is None or caps.extra in EXTRA_MODULES
    assert caps.min_train_size >= (2 if caps.requires.targets else 0)
    assert caps.describe() == caps.requires.describe()
    pred = make_predictor(name)
    # predict_dist exists exactly on the predictors that have a distribution
    assert hasattr(pred, "predict_dist") == caps.has_dist
    assert hasattr(type(pred), "predict_dist") == caps.has_dist


@pytest.mark.parametrize("name", NAMES)
def test_every_hyperparameter_is_constrained_and_checked_before_work(name: str) -> None:
    pred = make_predictor(name)
    params = pred.get_params(deep=False)
    assert set(params) == set(pred._parameter_constraints), "every parameter has a constraint"
    for key in params:
        bad = clone(pred).set_params(**{key: object()})
        with pytest.raises(ConfigurationError, match=key):
            bad.capabilities()
        with pytest.raises(ConfigurationError, match=key):  # fit checks before reading records
            bad.fit([])
    assert "seed" not in params  # one seeding parameter name: random_state


@pytest.mark.parametrize("name", ["col:s", "mlp", "early-stop-acc"])
def test_predict_dist_absent_without_a_distribution(name: str) -> None:
    pred = make_predictor(name).fit(synthetic_records(20))
    assert not hasattr(pred, "predict_dist") and not CAPS.get(name, pred.capabilities()).has_dist
    with pytest.raises(AttributeError, match="no predictive distribution"):
        pred.predict_dist(synthetic_records(5))


def test_unknown_predictor_name() -> None:
    with pytest.raises(UnknownNameError, match="unknown predictor 'nope'.*xgb"):
        make_predictor("nope")
    with pytest.raises(UnknownNameError):
        make_predictor("col:")


def test_hyperparameters_in_the_name() -> None:
    from nasperf.predictors import split_params

    assert split_params("xgb") == ("xgb", {})
    assert split_params("emprox[k=60; distance=cosine]") == (
        "emprox",
        {"k": 60, "distance": "cosine"},
    )
    assert split_params("gp-wl[h=None]") == ("gp-wl", {"h": None})
    pred = make_predictor("xgb[max_depth=3;learning_rate=0.1]")
    assert (pred.max_depth, pred.learning_rate) == (3, 0.1)
    assert isinstance(get_predictor_class("xgb[max_depth=3]")(), type(make_predictor("xgb")))
    # a value given by the caller wins over the name's
    assert make_predictor("xgb[max_depth=3]", max_depth=5).max_depth == 5
    with pytest.raises(ConfigurationError, match="has no parameter 'depth'.*max_depth"):
        make_predictor("xgb[depth=3]")
    with pytest.raises(ConfigurationError, match="write NAME"):
        make_predictor("xgb[max_depth]")
    with pytest.raises(ConfigurationError, match="write NAME"):
        make_predictor("xgb[max_depth=3")
    with pytest.raises(ConfigurationError, match="max_depth"):  # the value is checked as usual
        make_predictor("xgb[max_depth=-1]").capabilities()
    with pytest.raises(ConfigurationError, match="given twice"):
        make_predictor("xgb[max_depth=3;max_depth=4]")


def test_bracketed_names_reach_the_search_surrogate() -> None:
    from nasperf.search import BANANAS, NPENAS

    assert BANANAS("xgb[max_depth=3]").predictor == "xgb[max_depth=3]"
    NPENAS("gp-wl[h=1]")
    with pytest.raises(UnknownNameError, match="unknown predictor 'nope'"):
        BANANAS("nope[k=1]")


def test_unknown_name_errors_survive_pickling() -> None:
    """A worker process raises them; the pool must rebuild them, not hang."""
    import pickle

    err = UnknownNameError("predictor", "nope", ["xgb", "rf"])
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is UnknownNameError and str(back) == str(err) and back.known == ["xgb", "rf"]
