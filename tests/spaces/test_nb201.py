"""The NAS-Bench-201 space: conversions, topology index, encodings, sampling and mutation."""

from __future__ import annotations

import csv
import gzip
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from helpers import needs_data
from nasperf.exceptions import InvalidArchitectureError, InvalidDataError
from nasperf.paths import data_dir
from nasperf.spaces.nb201 import NB201Space

TABLE = "nb201/nb201_cifar10.csv.gz"
# index 0 of NAS-Bench-201 (first row of the table)
INDEX0 = (
    "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|"
    "skip_connect~2|"
)
ALL_NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
ONE_SKIP = "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"


@pytest.fixture(scope="module")
def space() -> NB201Space:
    return NB201Space()


def test_all_archs_and_their_naslib_tuples(space: NB201Space) -> None:
    """Every cell once, and NASLib tuples in one-to-one correspondence with them (the forms
    each cell is accepted in are checked in test_space_contract.py)."""
    archs = space.all_archs()
    assert len(archs) == 15625 == len(set(archs))
    tuples = [space.to_tuple(a) for a in archs]
    assert len(set(tuples)) == 15625
    for arch, t in zip(archs, tuples, strict=True):
        assert space.from_tuple(t) == arch


def test_hand_worked_conversions(space: NB201Space) -> None:
    # NASLib op order: skip_connect, none, nor_conv_3x3, nor_conv_1x1, avg_pool_3x3
    # NASLib edge order: (1,2), (1,3), (1,4), (2,3), (2,4), (3,4)
    arch = space.parse("(4, 3, 3, 3, 2, 3)")
    assert arch == (
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_3x3~1|"
        "nor_conv_1x1~2|"
    )
    assert space.to_tuple(arch) == (4, 3, 3, 3, 2, 3)
    assert space.to_tuple("(0, 1, 2, 3, 4, 0)") == (0, 1, 2, 3, 4, 0)
    assert space.ops_of(space.from_tuple((0, 1, 2, 3, 4, 0))) == [
        "skip_connect",  # 0->1
        "none",  # 0->2
        "nor_conv_1x1",  # 1->2
        "nor_conv_3x3",  # 0->3
        "avg_pool_3x3",  # 1->3
        "skip_connect",  # 2->3
    ]
    assert space.parse("  " + INDEX0 + "\n") == INDEX0


@pytest.mark.parametrize(
    "bad",
    [
        "|nor_conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|",  # unknown op
        "|none~0|+|none~0|+|none~0|none~1|none~2|",  # missing edge
        "|none~0|+|none~0|none~1|+|none~0|none~1|",  # missing edge in the last node
        "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",  # wrong source node
        "|none~0|+|none~0|none~2|+|none~0|none~1|none~2|",  # wrong source node
        "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|x",  # trailing text
        "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|+|none~0|",  # extra node
        "|none0|+|none~0|none~1|+|none~0|none~1|none~2|",  # no '~'
        "|none~0|+|none~0|none~1|+|none~0|none~1|none~2",  # unclosed group
        "garbage",
        "",
        "(1, 2, 3)",
        "(0, 1, 2, 3, 4, 5)",
        "(0, 1, 2, 3, 4, -1)",
        "(0, 1, 2, 3, 4, 0",
        "(0, 1, 2, 3, 4, 'a')",
        "{'a': 1}",
        (0, 1, 2, 3, 4),
        (0, 1, 2, 3, 4, 1.0),
        (True, 0, 0, 0, 0, 0),
        ["none"] * 5,
        ["none"] * 5 + ["conv"],
        None,
        3,
        {"ops": [0] * 6},
        np.zeros((2, 3), dtype=int),
    ],
)
def test_malformed_inputs_raise(space: NB201Space, bad: object) -> None:
    with pytest.raises(InvalidArchitectureError, match="expected"):
        space.parse(bad)


def test_error_messages_say_what_is_wrong(space: NB201Space) -> None:
    with pytest.raises(InvalidArchitectureError, match="unknown NB201 operation 'conv'"):
        space.parse("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    with pytest.raises(InvalidArchitectureError, match="must list 2"):
        space.parse("|none~0|+|none~0|+|none~0|none~1|none~2|")
    with pytest.raises(InvalidArchitectureError, match="must come from node 1"):
        space.parse("|none~0|+|none~0|none~2|+|none~0|none~1|none~2|")
    with pytest.raises(InvalidArchitectureError, match="outside 0..4"):
        space.parse((0, 0, 0, 0, 0, 7))
    with pytest.raises(InvalidArchitectureError, match="cell string, not a NASLib tuple"):
        space.from_tuple(INDEX0)


@needs_data(TABLE)
def test_index_round_trip_all_cells(space: NB201Space) -> None:
    assert space.from_index(0) == INDEX0
    seen = set()
    for i in range(15625):
        arch = space.from_index(i)
        assert space.to_index(arch) == i
        seen.add(arch)
    assert seen == set(space.all_archs())
    assert space.to_index(space.to_tuple(INDEX0)) == 0
    assert space.from_index(np.int64(0)) == INDEX0


@needs_data(TABLE)
@pytest.mark.parametrize("bad", [-1, 15625, 1.0, "0", True, None])
def test_bad_index_raises(space: NB201Space, bad: object) -> None:
    with pytest.raises(InvalidArchitectureError, match="0..15624"):
        space.from_index(bad)


@needs_data(TABLE)
def test_index_matches_the_table_file(space: NB201Space) -> None:
    with gzip.open(data_dir() / TABLE, "rt", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows[::97]:
        assert space.from_index(int(row["index"])) == row["arch_str"]


@needs_data("suite_zero/zc_nasbench201.json")
@needs_data(TABLE)
def test_naslib_tuples_agree_with_the_table(space: NB201Space) -> None:
    """Suite-Zero keys are NASLib tuples; their accuracies match the cell strings of the table."""
    root = data_dir()
    zc = json.loads((root / "suite_zero/zc_nasbench201.json").read_text())
    zc = zc["nasbench201"]["cifar10"]
    with gzip.open(root / TABLE, "rt", newline="") as handle:
        acc = {row["arch_str"]: float(row["val_acc_200ep"]) for row in csv.DictReader(handle)}
    for key, values in zc.items():
        arch = space.parse(key)
        assert str(space.to_tuple(arch)) == key
        assert acc[arch] == pytest.approx(values["val_accuracy"])


def test_index_table_can_be_provided(space: NB201Space) -> None:
    archs = space.all_archs()
    mapping = {i: archs[-1 - i] for i in range(10)}
    custom = NB201Space(index_table=mapping)
    assert custom.from_index(0) == archs[-1]
    assert custom.to_index(archs[-3]) == 2
    assert custom.to_index(space.to_tuple(archs[-4])) == 3
    with pytest.raises(InvalidArchitectureError, match="no NB201 index"):
        custom.to_index(archs[0])
    with pytest.raises(InvalidArchitectureError, match="not in the index table"):
        custom.from_index(10)
    custom.set_index_table({5: space.to_tuple(archs[0])})
    assert custom.from_index(5) == archs[0]
    with pytest.raises(InvalidDataError, match="two indices"):
        custom.set_index_table({0: archs[0], 1: archs[0]})
    with pytest.raises(InvalidDataError, match="index 0"):
        custom.set_index_table({0: "bad"})
    with pytest.raises(InvalidDataError, match="not an integer"):
        custom.set_index_table({"0": archs[0]})


def test_missing_table_raises_data_not_found(tmp_path) -> None:  # noqa: ANN001
    """In a fresh process (the table is read once per process): unset, then a directory
    without the table. The error names the variable and, where set, the missing file."""
    code = (
        "import os, sys\n"
        "from nasperf.exceptions import DataNotFoundError\n"
        "from nasperf.spaces.nb201 import NB201Space\n"
        "try:\n"
        f"    NB201Space().to_index({INDEX0!r})\n"
        "except DataNotFoundError as exc:\n"
        "    print(exc)\n"
        "else:\n"
        "    sys.exit('no DataNotFoundError')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NASPERF_DATA"}
    unset = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert unset.returncode == 0, unset.stderr
    assert "NASPERF_DATA variable is not set" in unset.stdout
    env["NASPERF_DATA"] = str(tmp_path)
    empty = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert empty.returncode == 0, empty.stderr
    assert str(tmp_path / TABLE) in empty.stdout and "not found" in empty.stdout


def test_onehot_and_adjacency_layout(space: NB201Space) -> None:
    t = (0, 1, 2, 3, 4, 0)
    onehot = space.encode(t, "onehot")
    expected = np.zeros(30)
    for k, code in enumerate(t):
        expected[5 * k + code] = 1
    np.testing.assert_array_equal(onehot, expected)
    adj = space.encode(t, "adjacency")
    np.testing.assert_array_equal(adj[28:], onehot)
    # 8-node DAG of NASLib: input -> edges (1,2),(1,3),(1,4); (1,2) -> (2,3),(2,4); ...
    matrix = np.zeros((8, 8))
    for i, j in [(0, 1), (0, 2), (0, 3), (1, 4), (1, 5), (2, 6), (3, 7), (4, 6), (5, 7), (6, 7)]:
        matrix[i, j] = 1
    np.testing.assert_array_equal(adj[:28], matrix[np.triu_indices(8, k=1)])


def test_path_encoding_hand_cases(space: NB201Space) -> None:
    assert not space.encode(ALL_NONE, "path").any()
    # a single skip path input -> output: length 1, NASLib code 0
    assert np.flatnonzero(space.encode(ONE_SKIP, "path")).tolist() == [0]
    # 0->1->2->3 all nor_conv_3x3 (code 2), everything else none: one length-3 path
    chain = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|nor_conv_3x3~2|"
    assert np.flatnonzero(space.encode(chain, "path")).tolist() == [30 + 2 * 25 + 2 * 5 + 2]
    # 0->2 nor_conv_1x1 (3) then 2->3 avg_pool (4): one length-2 path
    two = "|none~0|+|nor_conv_1x1~0|none~1|+|none~0|none~1|avg_pool_3x3~2|"
    assert np.flatnonzero(space.encode(two, "path")).tolist() == [5 + 3 * 5 + 4]
    # all skip: 4 paths of skips, lengths 1, 2 (twice) and 3
    all_skip = space.from_tuple((0,) * 6)
    assert np.flatnonzero(space.encode(all_skip, "path")).tolist() == [0, 5, 30]


def test_seq_encoding_matches_seminas_layout(space: NB201Space) -> None:
    seq = space.encode((0,) * 6, "seq")
    expected = [2, 3, 2, 1, 3, 2, 1, 1, 3, 1, 2, 1, 1, 3, 1, 2, 1, 1, 1, 3]
    expected += [1, 1, 2, 1, 2, 1, 3, 1, 1, 1, 2, 1, 2, 2, 8]
    assert seq.tolist() == expected
    seq = space.encode((4, 3, 2, 1, 0, 4), "seq")
    op_positions = [1, 4, 8, 13, 19, 26]
    assert seq[op_positions].tolist() == [7, 6, 5, 4, 3, 7]
    rng = np.random.default_rng(1)
    for _ in range(50):
        tokens = space.encode(space.sample(rng), "seq")
        assert tokens.min() >= 1 and tokens.max() <= 8


def test_connectivity(space: NB201Space) -> None:
    assert not space.is_valid_connected(ALL_NONE)
    assert space.is_valid_connected(ONE_SKIP)
    two_hops = "|skip_connect~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|"
    assert space.is_valid_connected(two_hops)
    broken = "|none~0|+|none~0|skip_connect~1|+|none~0|nor_conv_3x3~1|skip_connect~2|"
    assert not space.is_valid_connected(broken)
    for arch in space.all_archs()[:500]:
        assert space.is_valid_connected(arch) == bool(space.encode(arch, "path").any())
