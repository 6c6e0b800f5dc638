"""Weight-sharing predictors: the supernet, the weights a cell inherits, single-path training,
determinism and the records they refuse."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasperf.benchmarks import live_benchmark_records  # noqa: E402
from nasperf.data import ArrayDataset  # noqa: E402
from nasperf.exceptions import InvalidDataError, MissingRequirementError  # noqa: E402
from nasperf.predictors import make_predictor  # noqa: E402
from nasperf.predictors.weight_sharing import (  # noqa: E402
    NB201Supernet,
    OneShotPredictor,
    RSWSPredictor,
    SuperCell,
    accuracy,
    path_of,
    recalibrate_bn,
    train_supernet,
)
from nasperf.records import Record  # noqa: E402
from nasperf.spaces import get_space  # noqa: E402
from nasperf.spaces.nb201 import OPS  # noqa: E402
from nasperf.training import TrainConfig, seeded  # noqa: E402

CELLS = [
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|avg_pool_3x3~1|none~2|",
    "|nor_conv_1x1~0|+|none~0|skip_connect~1|+|nor_conv_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|",
    "|avg_pool_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_1x1~0|none~1|skip_connect~2|",
]
#: a small run: one step per epoch on 16 training images
QUICK = TrainConfig(batch_size=16, epochs=1, lr=0.05)
SMALL = {"C": 2, "N": 1, "epochs": 1, "bn_batches": 1, "train_config": QUICK}


def blobs(seed: int = 0) -> ArrayDataset:
    """3 classes of 1x8x8 images: 16 training, 12 validation, 6 test."""
    rng = np.random.default_rng(seed)
    splits = {}
    for split, n in (("train", 16), ("val", 12), ("test", 6)):
        y = np.arange(n) % 3
        x = rng.normal(size=(n, 1, 8, 8)) + 1.5 * y[:, None, None, None]
        splits[f"x_{split}"] = x.astype(np.float32)
        splits[f"y_{split}"] = y
    return ArrayDataset(name="blobs", num_classes=3, **splits)


def records(data: ArrayDataset | None = None, archs: list[str] = CELLS) -> list[Record]:
    data = blobs() if data is None else data
    return [Record(arch=a, space="nb201", info={"data": data}) for a in archs]


def trained_supernet(C: int = 4, N: int = 2, sampling: str = "uniform") -> NB201Supernet:
    with seeded(0):
        net = NB201Supernet(C=C, N=N, in_channels=1, num_classes=3)
    train_supernet(net, blobs(), TrainConfig(batch_size=4, epochs=2, lr=0.05), sampling=sampling)
    return net


def op_state(supernet: NB201Supernet, cell: int, op: int, edge: int) -> dict[str, torch.Tensor]:
    module = supernet.cells[cell].choices[op].edges[edge]
    return {k: v.clone() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("arch", CELLS)
def test_inherited_weights_make_the_same_network(arch: str) -> None:
    supernet = trained_supernet().eval()
    net = supernet.extract(arch)
    path = path_of(arch)
    # the builder's own network, parameter by parameter and buffer by buffer
    built = get_space("nb201").build(arch, C=4, N=2, in_channels=1, num_classes=3)
    assert list(net.state_dict()) == list(built.state_dict())
    ops = get_space("nb201").ops_of(arch)
    for i, cell in enumerate(net.cells):
        source = supernet.cells[i]
        if not isinstance(source, SuperCell):  # a reduction block: shared by every cell
            for (a, x), (b, y) in zip(cell.state_dict().items(), source.state_dict().items(),
                                      strict=True):  # fmt: skip
                assert a == b and torch.equal(x, y)
            continue
        for k, edge in enumerate(cell.edges):
            assert OPS[path[k]] == ops[k]
            inherited = source.choices[path[k]].edges[k].state_dict()
            assert edge.state_dict().keys() == inherited.keys()
            for name, value in edge.state_dict().items():
                assert torch.equal(value, inherited[name]), (i, k, name)
    for name in ("stem", "lastact", "classifier"):
        for (a, x), (b, y) in zip(getattr(net, name).state_dict().items(),
                                  getattr(supernet, name).state_dict().items(), strict=True):
            assert a == b and torch.equal(x, y)  # fmt: skip
    # the running statistics were trained, so the copy is not of untouched defaults
    bn = supernet.stem[1]
    assert not torch.equal(bn.running_mean, torch.zeros_like(bn.running_mean))
    x = torch.from_numpy(blobs(1).x_val)
    with torch.no_grad():
        torch.testing.assert_close(net(x), supernet(x, path), rtol=1e-6, atol=1e-6)
    # a copy: changing the standalone network leaves the supernet alone
    with torch.no_grad():
        next(net.parameters()).add_(1.0)
    assert not torch.equal(next(net.parameters()), next(supernet.parameters()))


def test_single_path_training_updates_only_the_sampled_operations() -> None:
    with seeded(0):
        supernet = NB201Supernet(C=2, N=1, in_channels=1, num_classes=3)
    before = {(c, j, k): op_state(supernet, c, j, k)
              for c, m in enumerate(supernet.cells) if isinstance(m, SuperCell)
              for j in range(len(OPS)) for k in range(6)}  # fmt: skip
    stem = supernet.stem[0].weight.clone()
    run = train_supernet(supernet, blobs(), QUICK, sampling="uniform", seed=3)
    assert run.steps == 1 and len(run.paths) == 1
    path = run.paths[0]
    trainable = {OPS.index("nor_conv_1x1"), OPS.index("nor_conv_3x3")}
    assert trainable & set(path), "the test needs a path with a convolution"
    changed = same = 0
    for (c, j, k), state in before.items():
        after = op_state(supernet, c, j, k)
        moved = any(not torch.equal(state[n], after[n]) for n in state)
        if path[k] == j and j in trainable:
            assert moved, (c, OPS[j], k)  # weights stepped, BatchNorm statistics updated
            changed += 1
        else:
            assert not moved, (c, OPS[j], k)  # not run: no gradient, no decay, no statistics
            same += 1
    assert changed and same
    assert not torch.equal(stem, supernet.stem[0].weight)  # the shared stem learns every step


def test_all_operations_training_updates_every_operation() -> None:
    with seeded(0):
        supernet = NB201Supernet(C=2, N=1, in_channels=1, num_classes=3)
    conv = OPS.index("nor_conv_3x3")
    before = [op_state(supernet, 0, conv, k) for k in range(6)]
    run = train_supernet(supernet, blobs(), QUICK, sampling="all")
    assert run.paths == ()
    for k in range(6):
        after = op_state(supernet, 0, conv, k)
        assert any(not torch.equal(before[k][n], after[n]) for n in after)


@pytest.mark.parametrize("cls", [OneShotPredictor, RSWSPredictor])
def test_deterministic_under_random_state(cls: type) -> None:
    recs = records()
    a = cls(**SMALL, random_state=5).fit(recs)
    b = cls(**SMALL, random_state=5).fit(recs)
    for (n, x), (_, y) in zip(a.supernet_.state_dict().items(), b.supernet_.state_dict().items(),
                              strict=True):  # fmt: skip
        assert torch.equal(x, y), n
    np.testing.assert_array_equal(a.predict(recs), b.predict(recs))
    c = cls(**SMALL, random_state=6).fit(recs)
    w = "stem.0.weight"
    assert not torch.equal(a.supernet_.state_dict()[w], c.supernet_.state_dict()[w])
    assert a.supernet_time_ > 0 and len(a.supernet_losses_) == 1


def test_a_score_is_the_standalone_network_accuracy() -> None:
    """predict's score is the accuracy of the extracted network with BatchNorm recomputed on
    the first training batch (bn='recompute'), or kept as trained (bn='running')."""
    data = blobs()
    recs = records(data)
    pred = RSWSPredictor(**SMALL).fit(recs)
    x_train = torch.from_numpy(data.x_train)
    x_val, y_val = torch.from_numpy(data.x_val), torch.from_numpy(data.y_val)
    order = np.random.default_rng(0).permutation(len(data.y_train))
    expected = []
    for arch in CELLS:
        net = pred.supernet_.extract(arch)
        recalibrate_bn(net, x_train[torch.from_numpy(order)], QUICK.batch_size, 1)
        expected.append(accuracy(net, x_val, y_val, QUICK.eval_batch))
    np.testing.assert_allclose(pred.predict(recs), expected)
    pred.set_params(bn="running")  # scoring settings apply at predict: the same supernet
    running = [accuracy(pred.supernet_.extract(a), x_val, y_val, 64) for a in CELLS]
    np.testing.assert_allclose(pred.predict(recs), running)


def test_fitted_on_nothing_it_trains_on_the_first_records_scored() -> None:
    pred = OneShotPredictor(**SMALL).fit([])
    assert pred.supernet_ is None and pred.supernet_time_ is None
    y = pred.predict(records())
    assert y.shape == (3,) and pred.supernet_time_ > 0


@pytest.mark.parametrize("name", ["oneshot", "rs-ws"])
def test_refuses_other_spaces_and_records_without_data(name: str) -> None:
    pred = make_predictor(name, **SMALL)
    other = [Record(arch=0, space="custom", info={"data": blobs()})]
    with pytest.raises(MissingRequirementError, match="NB201 cells only"):
        pred.fit(other)
    bare = [Record(arch=CELLS[0], space="nb201")]
    with pytest.raises(MissingRequirementError, match="no live data"):
        pred.fit(bare)
    with pytest.raises(InvalidDataError, match="ArrayDataset"):
        pred.fit([Record(arch=CELLS[0], space="nb201", info={"data": np.zeros(3)})])
    mixed = records() + records(ArrayDataset(
        name="other", num_classes=3, **{f"{k}_{s}": getattr(blobs(), f"{k}_{s}")[:6]
                                         for k in "xy" for s in ("train", "val", "test")}))
    with pytest.raises(InvalidDataError, match="one dataset"):
        pred.fit(mixed)
    pred.fit(records())
    same_shape_other_data = [r for r in mixed if r.info["data"].name == "other"]
    with pytest.raises(InvalidDataError, match="the supernet was trained on"):
        pred.predict(same_shape_other_data)  # same channels and classes, another dataset
    with pytest.raises(MissingRequirementError, match="no live data"):
        pred.predict(records() + bare)
    with pytest.raises(MissingRequirementError, match="NB201 cells only"):
        pred.predict(other)


def test_live_benchmark_records_carry_the_benchmark_data_and_settings() -> None:
    recs, params = live_benchmark_records("nb201-digits")
    assert len(recs) == 300 and all(r.space == "nb201" for r in recs)
    data = recs[0].info["data"]
    assert all(r.info["data"] is data for r in recs)
    assert data.input_shape == (1, 8, 8) and len(data.y_train) == 500 and len(data.y_val) == 449
    assert params["C"] == 16 and params["N"] == 5
    assert params["train_config"].batch_size == 64 and params["train_config"].epochs == 30
    OneShotPredictor(**params)._validate_params()
