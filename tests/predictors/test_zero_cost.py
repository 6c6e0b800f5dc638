"""Zero-cost proxies: hand-checked values, invariants, errors, and the predictor wrapper."""

from __future__ import annotations

import copy
import gc
import math
import subprocess
import sys
from functools import partial
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from nasperf.exceptions import (  # noqa: E402
    ConfigurationError,
    InvalidDataError,
    MissingRequirementError,
    UnknownNameError,
)
from nasperf.predictors import PREDICTORS, make_predictor  # noqa: E402
from nasperf.predictors.zero_cost import (  # noqa: E402
    PROXIES,
    PROXY_NAMES,
    ProxyComputationError,
    ZeroCostPredictor,
    _measures,
    compute_proxies,
    compute_proxies_or_errors,
    compute_proxy,
    count_flops,
    count_params,
)
from nasperf.records import Record  # noqa: E402

CORR_EPS = 1e-5


# -- models ------------------------------------------------------------------------------------
def small_cnn(classes: int = 4, inplace: bool = False) -> Any:
    return nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1),
        nn.BatchNorm2d(6),
        nn.ReLU(inplace=inplace),
        nn.Conv2d(6, 8, 3, padding=1, stride=2),
        nn.BatchNorm2d(8),
        nn.ReLU(inplace=inplace),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, classes),
    )


def signal_mlp(length: int = 16, classes: int = 3) -> Any:
    """An MLP on 1-D signals with BatchNorm1d (which cannot run one sample in train mode)."""
    return nn.Sequential(
        nn.Linear(length, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Linear(12, 8), nn.ReLU(),
        nn.Linear(8, classes),
    )  # fmt: skip


def signal_cnn(classes: int = 3) -> Any:
    return nn.Sequential(
        nn.Conv1d(2, 5, 5, padding=2), nn.BatchNorm1d(5), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(5, 6, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(),
        nn.Linear(6, classes),
    )  # fmt: skip


def batch(shape: tuple[int, ...], classes: int, n: int = 8, seed: int = 0) -> tuple[Any, Any]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, *shape, generator=gen), torch.arange(n) % classes


def seeded(factory: Any, seed: int = 0) -> Any:
    torch.manual_seed(seed)
    return factory()


MODELS = {
    "cnn": (partial(small_cnn, 4), (3, 8, 8), 4),
    "mlp-1d": (partial(signal_mlp, 16, 3), (16,), 3),
    "cnn-1d": (partial(signal_cnn, 3), (2, 16), 3),
}


# -- registry and documentation ----------------------------------------------------------------
def test_registry_lists_every_proxy_once_with_a_documented_formula() -> None:
    assert tuple(PROXIES) == PROXY_NAMES and len(PROXY_NAMES) == 15
    doc_lines = [line.strip() for line in _measures.__doc__.splitlines()]
    for name in PROXIES:
        spec = PROXIES.load(name)
        assert PROXIES[name].summary == spec.summary and PROXIES[name].extra == "torch"
        assert spec.name == name and spec.formula and spec.title
        assert any(line.startswith(f"- {name}:") for line in doc_lines), name
        core = getattr(_measures, spec.function)
        assert core.__doc__ and core.__doc__.strip(), name  # the deviations are documented
        entry = PREDICTORS[f"zc-{name}"]
        assert entry.load() is ZeroCostPredictor and dict(entry.params) == {"proxy": name}
        assert entry.summary == spec.summary
        pred = make_predictor(f"zc-{name}", batch_size=8)
        assert type(pred) is ZeroCostPredictor and pred.proxy == name and pred.batch_size == 8


def test_the_table_and_the_predictor_import_without_torch() -> None:
    code = (
        "import sys\n"
        "from nasperf.predictors import make_predictor\n"
        "from nasperf.predictors.zero_cost import PROXIES\n"
        "assert len(PROXIES) == 15 and make_predictor('zc-meco').proxy == 'meco'\n"
        "assert 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- hand-checked values on a one-layer linear classifier ---------------------------------------
@pytest.fixture
def linear() -> tuple[Any, Any, Any, np.ndarray, np.ndarray, np.ndarray]:
    torch.manual_seed(3)
    model = nn.Linear(3, 2, bias=False)
    x = torch.randn(6, 3)
    y = torch.tensor([0, 1, 1, 0, 1, 1])
    W = model.weight.detach().double().numpy()
    X = x.double().numpy()
    return model, x, y, W, X, y.numpy()


def _softmax(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _ce_grads(W: np.ndarray, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logits A = X·Wᵀ, dL/dA and dL/dW of the mean cross-entropy."""
    A = X @ W.T
    dA = (_softmax(A) - np.eye(W.shape[0])[Y]) / len(X)
    return A, dA


def test_weight_and_gradient_proxies_by_hand(linear: Any) -> None:
    model, x, y, W, X, Y = linear
    A, dA = _ce_grads(W, X, Y)
    dW = dA.T @ X
    got = compute_proxies(model, x, y, ["l2_norm", "params", "flops", "plain", "grad_norm", "snip"])
    assert got["l2_norm"] == pytest.approx(np.linalg.norm(W), rel=1e-6)
    assert got["params"] == pytest.approx(6 / 1e6)
    assert got["flops"] == pytest.approx(6 / 1e6)
    assert got["plain"] == pytest.approx(np.sum(W * dW), rel=1e-5, abs=1e-9)
    assert got["grad_norm"] == pytest.approx(np.linalg.norm(dW), rel=1e-5)
    assert got["snip"] == pytest.approx(np.sum(np.abs(W * dW)), rel=1e-5)


def test_fisher_by_hand_uses_suite_zero_broadcast(linear: Any) -> None:
    model, x, y, W, X, Y = linear
    A, dA = _ce_grads(W, X, Y)
    per_channel = 0.5 * np.mean((A * dA) ** 2, axis=0)
    assert compute_proxy("fisher", model, x, y) == pytest.approx(3 * per_channel.sum(), rel=1e-5)


def test_grasp_is_minus_theta_hessian_gradient(linear: Any) -> None:
    model, x, y, W, X, Y = linear
    w0 = model.weight.detach().double().clone()

    def loss(w: Any) -> Any:
        return nn.functional.cross_entropy(x.double() @ w.T, y)

    g = torch.autograd.functional.jacobian(loss, w0)
    _, hg = torch.autograd.functional.hvp(loss, w0, g)
    expected = float(-(w0 * hg).sum())
    assert compute_proxy("grasp", model, x, y) == pytest.approx(expected, rel=1e-4)


def test_jacov_of_a_linear_model_has_one_nonzero_eigenvalue(linear: Any) -> None:
    model, x, _, _, _, _ = linear
    n = len(x)  # identical Jacobians: a correlation matrix of ones, eigenvalues n and 0 (n-1 times)
    expected = -((n - 1) * (math.log(CORR_EPS) + 1 / CORR_EPS) + math.log(n) + 1 / n)
    assert compute_proxy("jacov", model, x) == pytest.approx(expected, rel=1e-6)


def test_epe_nas_of_identical_jacobians(linear: Any) -> None:
    model, x, y, *_ = linear
    counts = np.bincount(y.numpy())  # every class: an all-ones correlation matrix
    expected = float(np.sum(counts.astype(float) ** 2) * math.log(1 + CORR_EPS))
    assert compute_proxy("epe_nas", model, x, y) == pytest.approx(expected, rel=1e-6)
    y1 = torch.tensor([0, 1, 1, 1, 1, 1])  # a one-sample class adds log(1 + eps)
    expected1 = (1 + 25) * math.log(1 + CORR_EPS)
    assert compute_proxy("epe_nas", model, x, y1) == pytest.approx(expected1, rel=1e-6)


def test_zico_splits_the_batch_in_two_halves(linear: Any) -> None:
    model, x, y, W, X, Y = linear
    halves = []
    for part in (slice(0, 3), slice(3, 6)):
        _, dA = _ce_grads(W, X[part], Y[part])
        halves.append((dA.T @ X[part]).ravel())
    G = np.stack(halves)
    std = G.std(0)
    expected = math.log(np.sum(np.abs(G).mean(0)[std > 0] / std[std > 0]))
    assert compute_proxy("zico", model, x, y) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(InvalidDataError, match="at least 2"):
        compute_proxy("zico", model, x[:1], y[:1])
    assert math.isfinite(compute_proxy("zico", model, x[:5], y[:5]))  # halves of 2 and 3


def test_nwot_kernel_by_hand() -> None:
    model = nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    x = torch.tensor([[1.0, 2.0], [1.0, -2.0]])  # codes 111 and 100: Hamming distance 2
    # K = [[3, 1], [1, 3]] summed over the one ReLU: log det = log 8
    assert compute_proxy("nwot", model, x) == pytest.approx(math.log(8.0), rel=1e-9)


def test_nwot_identical_codes_give_a_singular_kernel() -> None:
    model = seeded(lambda: nn.Sequential(nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 3)))
    x = torch.randn(1, 16).repeat(4, 1)  # identical samples: identical codes, K of rank 1
    with pytest.raises(ProxyComputationError, match="nwot"):
        compute_proxy("nwot", model, x)


def test_nwot_needs_relu_modules() -> None:
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))
    with pytest.raises(ProxyComputationError, match="ReLU"):
        compute_proxy("nwot", model, torch.randn(4, 4))


def test_flops_and_params_of_a_cnn() -> None:
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(8, 4),
    )  # fmt: skip
    x = torch.randn(5, 3, 8, 8)
    # conv multiply-adds + one per output for the bias, ReLU per element, the global pool's
    # channels x (window + 1) per dimension (Suite-Zero's profiler), linear in x out
    expected = 8 * 8 * 8 * 3 * 9 + 8 * 8 * 8 + 8 * 8 * 8 + 8 * 9 * 9 + 8 * 4
    assert count_flops(model, x.shape[1:]) == pytest.approx(expected / 1e6)
    assert compute_proxy("flops", model, x) == pytest.approx(expected / 1e6)
    model[0].bias.requires_grad_(False)  # frozen parameters are not counted
    assert count_params(model) == 8 * 27 + 36
    assert compute_proxy("params", model, x) == pytest.approx((8 * 27 + 36) / 1e6)
    grouped = nn.Sequential(nn.Conv2d(4, 4, 3, groups=2), nn.Flatten(), nn.Linear(4, 2))
    assert count_flops(grouped, (4, 3, 3)) == pytest.approx((4 * 1 * 1 * 2 * 9 + 4 + 8) / 1e6)


def test_meco_by_hand_uses_the_first_sample_only() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(1, 3, 3), nn.Flatten(), nn.Linear(3 * 6, 2))
    x = torch.randn(4, 1, 8)
    with torch.no_grad():
        fea = model[0](x[:1])[0].double().numpy()
    expected = np.linalg.eigvalsh(np.corrcoef(fea))[0]  # only the conv output has positions
    assert compute_proxy("meco", model, x) == pytest.approx(expected, rel=1e-6, abs=1e-9)
    other = x.clone()
    other[1:] = torch.randn(3, 1, 8)
    assert compute_proxy("meco", model, other) == compute_proxy("meco", model, x)


def test_zen_without_batchnorm_is_the_log_perturbation_by_hand() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    x = torch.zeros(5, 4)  # zen uses only the shape of the inputs
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(7)  # the same draws in the same order as zen: weights, then inputs
        w1, w2 = torch.randn(8, 4), torch.randn(2, 8)
        a, e = torch.randn(5, 4), torch.randn(5, 4)
    del w2  # the pre-classifier features are the input of the last Linear layer
    f1, f2 = torch.relu(a @ w1.T), torch.relu((a + 0.01 * e) @ w1.T)
    expected = math.log(float((f1 - f2).abs().sum(1).mean()))
    assert compute_proxy("zen", model, x, seed=7) == pytest.approx(expected, rel=1e-5)


def test_zen_adds_the_log_batchnorm_scales() -> None:
    model = seeded(partial(small_cnn, 4))
    x, _ = batch((3, 8, 8), 4)
    value = compute_proxy("zen", model, x)
    assert math.isfinite(value)
    assert compute_proxy("zen", model, x, seed=1) != value  # Gaussian weights and inputs


# -- synflow ------------------------------------------------------------------------------------
def _chain(widths: list[int], scale: float | None = None, seed: int = 0) -> Any:
    torch.manual_seed(seed)
    layers = [nn.Linear(a, b, bias=False) for a, b in zip(widths, widths[1:], strict=False)]
    if scale is not None:
        with torch.no_grad():
            for layer in layers:
                layer.weight.copy_(scale * torch.sign(torch.randn_like(layer.weight)))
    return nn.Sequential(*layers)


def _chain_sum(model: Any) -> float:
    """R = 1ᵀ·|W_L|···|W_1|·1 in float64."""
    v = np.ones(model[0].in_features)
    for layer in model:
        v = np.abs(layer.weight.detach().double().numpy()) @ v
    return float(v.sum())


def test_synflow_of_a_linear_chain_is_depth_times_output() -> None:
    # for a bias-free chain every layer's Σ θ·∂R/∂θ equals R (R is linear in each layer)
    model = _chain([5, 7, 6, 3])
    x = torch.randn(4, 5)
    assert compute_proxy("synflow", model, x) == pytest.approx(3 * _chain_sum(model), rel=1e-9)


def test_synflow_in_float64_does_not_overflow_where_float32_would() -> None:
    model = _chain([16] * 41 + [2], scale=2.0)  # R = 2·16⁴¹·2⁴¹ ~ 1e62
    with torch.no_grad():
        absolute = copy.deepcopy(model)
        for p in absolute.parameters():
            p.abs_()
        assert torch.isinf(absolute(torch.ones(1, 16)).sum())  # float32 overflows
    value = compute_proxy("synflow", model, torch.randn(2, 16))
    expected = 41 * _chain_sum(model)
    assert 1e38 < expected < 1e300 and value == pytest.approx(expected, rel=1e-9)


def test_synflow_bypasses_batchnorm_and_ignores_the_data() -> None:
    plain_net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 36, 3))
    with_bn = nn.Sequential(plain_net[0], nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), plain_net[3])
    with torch.no_grad():
        with_bn[1].running_var.fill_(9.0)
        with_bn[1].weight.fill_(5.0)
    x = torch.randn(3, 3, 8, 8)
    value = compute_proxy("synflow", plain_net, x)
    assert compute_proxy("synflow", with_bn, x) == pytest.approx(value, rel=1e-12)
    assert compute_proxy("synflow", plain_net, torch.randn(7, 3, 8, 8)) == value


# -- invariants on several kinds of models ------------------------------------------------------
@pytest.mark.parametrize("kind", MODELS)
def test_every_proxy_on_non_nb201_models(kind: str) -> None:
    factory, shape, classes = MODELS[kind]
    model = seeded(factory)
    x, y = batch(shape, classes)
    values = compute_proxies(model, x, y)
    assert list(values) == list(PROXIES)
    assert all(isinstance(v, float) and math.isfinite(v) for v in values.values())
    assert values["params"] == count_params(model) / 1e6 and values["synflow"] > 0
    for name in ("synflow", "grasp", "jacov", "zen", "zico", "meco"):  # shared and own passes
        assert compute_proxy(name, model, x, y) == values[name]


def _snapshot(model: Any) -> tuple[Any, ...]:
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    flags = [(m.training, id(m)) for m in model.modules()]
    grads = [p.grad for p in model.parameters()]
    requires = [p.requires_grad for p in model.parameters()]
    return state, flags, grads, requires


@pytest.mark.parametrize("train", [True, False])
def test_the_callers_model_and_rng_are_unchanged(train: bool) -> None:
    model = seeded(partial(small_cnn, 4)).train(train)
    model[0].bias.requires_grad_(False)
    x, y = batch((3, 8, 8), 4)
    before = _snapshot(model)
    rng = torch.random.get_rng_state()
    compute_proxies(model, x, y)
    after = _snapshot(model)
    assert torch.equal(rng, torch.random.get_rng_state())
    assert before[1:] == after[1:]
    assert before[0].keys() == after[0].keys()
    assert all(torch.equal(before[0][k], after[0][k]) for k in before[0])


def test_deterministic_under_seed() -> None:
    model = seeded(partial(signal_cnn, 3))
    x, y = batch((2, 16), 3)
    a = compute_proxies(model, x, y, seed=5)
    b = compute_proxies(model, x, y, seed=5)
    assert a == b


def test_fisher_reads_the_layer_output_before_an_inplace_relu() -> None:
    x, y = batch((3, 8, 8), 4)
    a = compute_proxy("fisher", seeded(partial(small_cnn, 4, False)), x, y)
    b = compute_proxy("fisher", seeded(partial(small_cnn, 4, True)), x, y)
    assert a == pytest.approx(b, rel=1e-6) and a > 0


def live_torch_objects() -> tuple[int, int]:
    """How many modules and tensors are alive (after a collection)."""
    gc.collect()
    kinds = [type(o) for o in gc.get_objects()]  # type(), not isinstance: no attribute lookups
    return (
        sum(issubclass(k, nn.Module) for k in kinds),
        sum(issubclass(k, torch.Tensor) for k in kinds),
    )


def test_copies_and_graphs_are_freed() -> None:
    """The proxies work on copies of the model and build autograd graphs: none outlives the
    call (after a first call, so anything made once per process is counted as before)."""
    model = seeded(partial(small_cnn, 4))
    x, y = batch((3, 8, 8), 4)
    compute_proxies(model, x, y)
    compute_proxy("grasp", model, x, y)
    before = live_torch_objects()
    compute_proxies(model, x, y)
    compute_proxy("grasp", model, x, y)
    assert live_torch_objects() == before
    assert all(p.grad is None for p in model.parameters())  # the caller's model is untouched


# -- errors -------------------------------------------------------------------------------------
class FeatureMap(nn.Module):
    def forward(self, x: Any) -> Any:
        return x * 2.0


def test_model_without_classifier_output() -> None:
    x, y = batch((3, 4, 4), 2)
    with pytest.raises(InvalidDataError, match="classifier"):
        compute_proxy("snip", nn.Sequential(nn.Conv2d(3, 2, 1), FeatureMap()), x, y)
    with pytest.raises(InvalidDataError, match="classifier"):
        compute_proxy("params", nn.Sequential(nn.Flatten(), nn.Linear(48, 1)), x)
    with pytest.raises(InvalidDataError, match="nn.Module"):
        compute_proxy("params", lambda t: t, x)


def test_bad_batches() -> None:
    model = seeded(partial(small_cnn, 4))
    x, y = batch((3, 8, 8), 4)
    with pytest.raises(InvalidDataError, match="failed on inputs of shape"):
        compute_proxy("snip", model, torch.randn(8, 5, 8, 8), y)
    with pytest.raises(InvalidDataError, match=r"shape \(8,\)"):
        compute_proxy("snip", model, x, y[:5])
    with pytest.raises(InvalidDataError, match="integer class labels"):
        compute_proxy("snip", model, x, y.float())
    with pytest.raises(InvalidDataError, match=r"\[0, 4\)"):
        compute_proxy("snip", model, x, y + 1)
    with pytest.raises(InvalidDataError, match="floating-point"):
        compute_proxy("synflow", model, x.long())
    nan = x.clone()
    nan[2, 0, 0, 0] = float("nan")
    with pytest.raises(InvalidDataError, match="NaN"):
        compute_proxy("synflow", model, nan)
    with pytest.raises(InvalidDataError, match="needs integer class targets"):
        compute_proxy("snip", model, x)
    with pytest.raises(InvalidDataError, match="snip"):
        compute_proxies(model, x, names=["jacov", "snip"])
    assert set(compute_proxies(model, x, names=["jacov", "nwot", "zen"])) == {
        "jacov",
        "nwot",
        "zen",
    }


def test_unknown_proxy_name() -> None:
    model = seeded(partial(small_cnn, 4))
    x, y = batch((3, 8, 8), 4)
    with pytest.raises(UnknownNameError, match="unknown zero-cost proxy 'synfloww'.*synflow"):
        compute_proxy("synfloww", model, x, y)
    with pytest.raises(UnknownNameError):
        compute_proxies(model, x, y, names=["snip", "nope"])


def test_non_finite_values_raise() -> None:
    dead = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        dead[0].weight.zero_()
        dead[0].bias.fill_(-1.0)  # every ReLU is off: constant Jacobians, no perturbation
    x = torch.randn(6, 4)
    with pytest.raises(ProxyComputationError, match="jacov"):
        compute_proxy("jacov", dead, x)
    with pytest.raises(ProxyComputationError, match="nwot"):
        compute_proxy("nwot", dead, x)
    # the proxies with a value, and why the others have none
    values, errors = compute_proxies_or_errors(dead, x, None, ["params", "jacov", "nwot"], seed=3)
    assert values == {"params": compute_proxy("params", dead, x, seed=3)}
    assert set(errors) == {"jacov", "nwot"} and "jacov" in errors["jacov"]
    assert compute_proxies_or_errors(dead, x, None, []) == ({}, {})
    model = seeded(partial(small_cnn, 4))
    xb, yb = batch((3, 8, 8), 4)
    assert compute_proxies_or_errors(model, xb, yb) == (compute_proxies(model, xb, yb), {})


# -- the predictor ------------------------------------------------------------------------------
def _records(n: int = 3, with_batch: bool = True) -> list[Record]:
    out = []
    for i in range(n):
        x, y = batch((3, 8, 8), 4, seed=i)
        info: dict[str, Any] = {"model": partial(small_cnn, 4)}
        if with_batch:
            info["batch"] = (x, y)
        out.append(Record(arch=i, space="custom", info=info))
    return out


def test_predictor_matches_compute_proxy_and_seeds_factories() -> None:
    recs = _records()
    pred = ZeroCostPredictor(proxy="l2_norm", batch_size=4, random_state=2).fit([])
    got = pred.predict(recs)
    expected = [
        compute_proxy("l2_norm", seeded(partial(small_cnn, 4), 2), *r.info["batch"]) for r in recs
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    other = ZeroCostPredictor(proxy="l2_norm", random_state=3).fit([]).predict(recs)
    assert not np.allclose(got, other)  # another seed, other initial weights


def test_predictor_uses_the_first_batch_size_samples() -> None:
    model = seeded(partial(small_cnn, 4))
    x, y = batch((3, 8, 8), 4)
    rec = Record(arch="a", space="custom", info={"model": model, "batch": (x, y)})
    got = make_predictor("zc-snip", batch_size=4).fit([rec]).predict([rec])
    assert got[0] == compute_proxy("snip", model, x[:4], y[:4])


def test_predictor_errors() -> None:
    with pytest.raises(MissingRequirementError, match="batch"):
        make_predictor("zc-nwot").fit([]).predict(_records(2, with_batch=False))
    with pytest.raises(UnknownNameError, match="zero-cost proxy"):
        ZeroCostPredictor(proxy="nope").fit([])
    with pytest.raises(ConfigurationError, match="batch_size"):
        make_predictor("zc-snip", batch_size=0).fit([])
    bad = _records(1)
    bad[0].info["model"] = "resnet"
    with pytest.raises(InvalidDataError, match="torch.nn.Module"):
        make_predictor("zc-snip").fit([]).predict(bad)
    dead = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with torch.no_grad():
        dead[0].weight.zero_()
        dead[0].bias.fill_(-1.0)
    rec = Record(arch=0, space="custom", info={"model": dead, "batch": (torch.randn(4, 4), None)})
    with pytest.raises(ProxyComputationError):
        make_predictor("zc-jacov").fit([]).predict([rec])
