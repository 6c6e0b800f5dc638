"""The NAS-Bench-201 PyTorch builder and the parameter / FLOP counters."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import numpy as np
import pytest

from helpers import needs_data
from nasperf.exceptions import InvalidArchitectureError
from nasperf.paths import data_dir
from nasperf.spaces import get_space

torch = pytest.importorskip("torch")
nn = torch.nn

from nasperf.spaces._complexity import count_flops, count_params  # noqa: E402
from nasperf.spaces._nb201_net import NB201Cell, build_nb201_network  # noqa: E402

TABLE = "nb201/nb201_cifar10.csv.gz"
SUITE_ZERO = "suite_zero/zc_nasbench201.json"
ARCH = "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|"
ALL_NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
# parameters of the C=16, N=5 network without any conv op in its cells (stem, reduction
# blocks, head): published params_m 0.073306
BASE_PARAMS = 73_306


def _table():
    import pandas as pd

    return pd.read_csv(data_dir() / TABLE)


def _six_digits(count: int) -> float:
    """``count`` in millions as the table stores it: 6 significant digits (exact below 1M)."""
    return float(f"{count / 1e6:.6g}")


def _sample_rows(table, n: int, seed: int, column: str | None = None):
    rows = table if column is None else table[table[column].notna()]
    picks = np.random.default_rng(seed).choice(len(rows), size=n, replace=False)
    return rows.iloc[np.sort(picks)]


# -- the network -----------------------------------------------------------------------------


def test_forward_shapes_cifar() -> None:
    net = build_nb201_network(ARCH)
    x = torch.randn(2, 3, 32, 32)
    logits = net(x)
    assert logits.shape == (2, 10)
    features = net.forward_features(x)
    assert features.shape == (2, 64)
    assert isinstance(net.classifier, nn.Linear)
    assert (net.classifier.in_features, net.classifier.out_features) == (64, 10)
    net.eval()
    with torch.no_grad():
        assert torch.allclose(net.classifier(net.forward_features(x)), net(x))


def test_forward_shapes_mnist_and_small_inputs() -> None:
    net = build_nb201_network(ARCH, C=8, N=2, in_channels=1, num_classes=7)
    assert net(torch.randn(3, 1, 28, 28)).shape == (3, 7)
    assert net.forward_features(torch.randn(3, 1, 28, 28)).shape == (3, 32)
    assert net(torch.randn(2, 1, 8, 8)).shape == (2, 7)
    assert net(torch.randn(2, 1, 9, 13)).shape == (2, 7)


def test_all_none_cell_runs() -> None:
    net = build_nb201_network(ALL_NONE)
    out = net(torch.randn(2, 3, 32, 32))
    assert out.shape == (2, 10) and torch.isfinite(out).all()
    out.sum().backward()  # gradients reach the stem through the reduction blocks
    assert net.stem[0].weight.grad is not None
    assert count_params(net) == BASE_PARAMS


def test_space_build_accepts_every_form() -> None:
    space = get_space("nb201")
    net = space.build(ARCH, in_channels=1)
    assert net.ops == tuple(space.ops_of(ARCH))
    assert space.build(space.to_tuple(ARCH)).ops == net.ops
    assert build_nb201_network(space.ops_of(ARCH)).ops == net.ops
    with pytest.raises(InvalidArchitectureError):
        build_nb201_network("|nor_conv_3x3~0|+|bogus~0|none~1|+|none~0|none~1|none~2|")


def test_cell_wiring_follows_cell_string_edge_order() -> None:
    x = torch.randn(2, 4, 6, 6)
    ops = ["none"] * 6
    with torch.no_grad():
        # all skip: node1 = x, node2 = x + x, node3 = x + x + 2x
        assert torch.allclose(NB201Cell(["skip_connect"] * 6, 4)(x), 4 * x)
        # position 3 is the edge 0 -> 3
        only_03 = NB201Cell([*ops[:3], "avg_pool_3x3", *ops[4:]], 4)
        pooled = nn.functional.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
        assert torch.allclose(only_03(x), pooled)
        # position 5 is the edge 2 -> 3; node 2 is zero when its edges are none
        assert torch.equal(NB201Cell([*ops[:5], "skip_connect"], 4)(x), torch.zeros_like(x))
        # 0 -> 1 -> 2 -> 3 chain of skips is the identity
        chain = ["skip_connect", "none", "skip_connect", "none", "none", "skip_connect"]
        assert torch.allclose(NB201Cell(chain, 4)(x), x)


def test_param_count_formula() -> None:
    # each conv op adds, per cell, conv weights + affine BN: 5 cells at each of 16, 32, 64 ch
    conv3 = 5 * sum(9 * c * c + 2 * c for c in (16, 32, 64))
    conv1 = 5 * sum(c * c + 2 * c for c in (16, 32, 64))
    arch = "|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|none~2|"
    assert count_params(build_nb201_network(arch)) == BASE_PARAMS + conv3 + 2 * conv1


def test_importing_spaces_does_not_import_torch() -> None:
    code = (
        "import sys, nasperf, nasperf.spaces\n"
        "from nasperf.spaces import get_space\n"
        "get_space('nb201').parse('|none~0|+|none~0|none~1|+|none~0|none~1|none~2|')\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the counters ----------------------------------------------------------------------------


def test_count_params_only_trainable() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2, bias=False))
    assert count_params(model) == 4 * 3 + 3 + 3 * 2
    model[0].weight.requires_grad_(False)
    assert count_params(model) == 3 + 3 * 2


def test_count_flops_conv_and_linear_by_hand() -> None:
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.Flatten(), nn.Linear(4 * 5 * 5, 3))
    # conv: 3*3*2 multiply-adds per output, 4*5*5 outputs, + 1 per output for the bias;
    # linear: 100*3 multiply-adds, bias not counted
    expected = 9 * 2 * 4 * 25 + 4 * 25 + 100 * 3
    assert count_flops(model, (2, 5, 5)) == pytest.approx(expected / 1e6, abs=1e-12)
    no_bias = nn.Sequential(nn.Conv2d(2, 4, 3, stride=2, bias=False, groups=2))
    # output 4x2x2; each output reads 3*3*(2/2) inputs
    assert count_flops(no_bias, (2, 5, 5)) == pytest.approx(9 * 1 * 4 * 4 / 1e6, abs=1e-12)


def test_count_flops_bn_relu_pool_by_hand() -> None:
    model = nn.Sequential(
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
        nn.BatchNorm2d(4, affine=False),
        nn.AvgPool2d(2, stride=2),
        nn.AdaptiveAvgPool2d(1),
    )
    n = 4 * 8 * 8
    # affine BN 2/element, ReLU 1, pool k*k per output, plain BN 1, 2x2 pool 4 per output
    # (4x4x4 outputs), global pool of 4x4: channels * (4 + 1) * (4 + 1)
    expected = 2 * n + n + 9 * n + n + 4 * 64 + 4 * 5 * 5
    model.train()
    assert count_flops(model, (4, 8, 8)) == pytest.approx(expected / 1e6, abs=1e-12)
    assert model.training  # mode restored
    assert all(not m._forward_hooks for m in model.modules())  # hooks removed


def test_count_flops_zero_and_identity_are_free() -> None:
    skip = build_nb201_network(
        "|skip_connect~0|+|skip_connect~0|none~1|+|none~0|skip_connect~1|skip_connect~2|"
    )
    none = build_nb201_network(ALL_NONE)
    assert count_flops(skip, (3, 32, 32)) == count_flops(none, (3, 32, 32))
    assert count_flops(none, (3, 32, 32)) == pytest.approx(7.943872, abs=1e-9)


# -- against the published numbers -----------------------------------------------------------


@needs_data(TABLE)
def test_params_match_published_on_sample() -> None:
    rows = _sample_rows(_table(), 500, seed=0)
    for arch, published in zip(rows["arch_str"], rows["params_m"], strict=True):
        assert _six_digits(count_params(build_nb201_network(arch))) == published, arch


@needs_data(TABLE)
def test_flops_match_published_sz_flops_on_sample() -> None:
    rows = _sample_rows(_table(), 100, seed=1, column="sz_flops")
    for arch, published in zip(rows["arch_str"], rows["sz_flops"], strict=True):
        flops = count_flops(build_nb201_network(arch), (3, 32, 32))
        # the table keeps 6 significant digits
        assert _six_digits(round(flops * 1e6)) == published, (arch, flops, published)


@needs_data(SUITE_ZERO)
def test_flops_and_params_match_suite_zero_exactly_on_sample() -> None:
    path = data_dir() / SUITE_ZERO
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        records = json.load(handle)["nasbench201"]["cifar10"]
    keys = sorted(records)
    picks = np.random.default_rng(2).choice(len(keys), size=60, replace=False)
    for key in (keys[i] for i in picks):
        net = build_nb201_network(key)  # a NASLib tuple written as a string
        assert count_flops(net, (3, 32, 32)) == pytest.approx(records[key]["flops"], abs=5e-7)
        assert count_params(net) == round(records[key]["params"] * 1e6)


@pytest.mark.slow
@needs_data(TABLE)
def test_params_match_published_for_all_cells() -> None:
    table = _table()
    assert len(table) == 15_625
    mismatches = [
        arch
        for arch, published in zip(table["arch_str"], table["params_m"], strict=True)
        if _six_digits(count_params(build_nb201_network(arch))) != published
    ]
    assert not mismatches, f"{len(mismatches)} cells differ, e.g. {mismatches[:3]}"
