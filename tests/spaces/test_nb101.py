"""The NAS-Bench-101 space on NASLib / Suite-Zero keys."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers import needs_data
from nasperf.exceptions import InvalidArchitectureError
from nasperf.paths import data_dir
from nasperf.spaces.nb101 import NB101Space

ZC = "suite_zero/zc_nasbench101.json"
# the first cell of NAS-Bench-101 and its published module hash
OFFICIAL_SPEC = {
    "matrix": [
        [0, 1, 0, 0, 1, 1, 0],
        [0, 0, 1, 0, 0, 0, 0],
        [0, 0, 0, 1, 0, 0, 1],
        [0, 0, 0, 0, 0, 1, 0],
        [0, 0, 0, 0, 0, 1, 0],
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0],
    ],
    "ops": [
        "input",
        "conv3x3-bn-relu",
        "maxpool3x3",
        "conv3x3-bn-relu",
        "conv3x3-bn-relu",
        "conv1x1-bn-relu",
        "output",
    ],
}
OFFICIAL_HASH = "00005c142e6f48ac74fdcf73e3439874"


def key_of(edges: list[tuple[int, int]], middle: list[int]) -> tuple[int, ...]:
    matrix = np.zeros((7, 7), dtype=int)
    for i, j in edges:
        matrix[i, j] = 1
    return (*matrix.reshape(-1).tolist(), 0, *middle, 1)


# input -> 1 (conv3x3) -> output; nodes 2..5 dangling (2 -> 3 is an edge off every path)
CHAIN = key_of([(0, 1), (1, 6), (2, 3)], [4, 2, 2, 3, 3])


@pytest.fixture(scope="module")
def space() -> NB101Space:
    return NB101Space()


@pytest.fixture(scope="module")
def zc_keys() -> list[str]:
    data = json.loads((data_dir() / ZC).read_text())
    return list(data["nasbench101"]["cifar10"])


def test_the_official_spec_and_its_key(space: NB101Space) -> None:
    key = space.parse(OFFICIAL_SPEC)
    assert len(key) == 56 and key[49:] == (0, 4, 2, 4, 4, 3, 1)
    assert space.spec(key) == OFFICIAL_SPEC
    assert space.parse(space.spec(key)) == key
    codes = dict(OFFICIAL_SPEC, ops=[0, 4, 2, 4, 4, 3, 1])
    assert space.parse(codes) == key


def test_fingerprint_matches_nasbench101(space: NB101Space) -> None:
    assert space.fingerprint(OFFICIAL_SPEC) == OFFICIAL_HASH
    # relabelling the middle nodes (an isomorphic cell) keeps the hash
    perm = [0, 1, 2, 4, 3, 5, 6]  # swap nodes 3 and 4 (both fed by earlier nodes only)
    matrix = np.asarray(OFFICIAL_SPEC["matrix"])[np.ix_(perm, perm)]
    ops = [OFFICIAL_SPEC["ops"][p] for p in perm]
    assert np.all(np.tril(matrix) == 0)
    assert space.fingerprint({"matrix": matrix, "ops": ops}) == OFFICIAL_HASH
    # changing an op changes it
    other = dict(OFFICIAL_SPEC, ops=["input", *["conv1x1-bn-relu"] * 5, "output"])
    assert space.fingerprint(other) != OFFICIAL_HASH


def test_pruning(space: NB101Space) -> None:
    pruned = space.pruned_spec(CHAIN)
    assert pruned == {
        "matrix": [[0, 1, 0], [0, 0, 1], [0, 0, 0]],
        "ops": ["input", "conv3x3-bn-relu", "output"],
    }
    # dangling nodes do not change the encodings
    bare = key_of([(0, 1), (1, 6)], [4, 3, 3, 3, 3])
    for kind in space.encodings:
        np.testing.assert_array_equal(space.encode(CHAIN, kind), space.encode(bare, kind))
    assert space.fingerprint(CHAIN) == space.fingerprint(bare)


def test_encodings_hand_cases(space: NB101Space) -> None:
    adj = space.encode(CHAIN, "adjacency")
    assert adj.shape == (36,)
    upper = np.zeros((7, 7))
    upper[0, 1] = upper[1, 6] = 1
    np.testing.assert_array_equal(adj[:21], upper[np.triu_indices(7, k=1)])
    ops = np.zeros((5, 3))
    ops[0, 2] = 1  # node 1: conv3x3 (code 4 -> column 2); nodes 2..5 pruned -> zeros
    np.testing.assert_array_equal(adj[21:], ops.reshape(-1))
    path = space.encode(CHAIN, "path")
    assert path.shape == (364,)
    assert np.flatnonzero(path).tolist() == [1 + 2]  # one length-1 path through conv3x3
    direct = key_of([(0, 6), (2, 3)], [2, 2, 2, 2, 2])
    assert np.flatnonzero(space.encode(direct, "path")).tolist() == [0]
    # input -> 1 (maxpool) -> 2 (conv1x1) -> output and input -> output
    two = key_of([(0, 1), (1, 2), (2, 6), (0, 6)], [2, 3, 4, 4, 4])
    assert np.flatnonzero(space.encode(two, "path")).tolist() == [0, 4 + 0 * 3 + 1]


@pytest.mark.parametrize(
    "bad, match",
    [
        (CHAIN[:-1], "56 ints"),
        ((*CHAIN[:49], 0, 4, 2, 2, 3, 5, 1), "op codes 2, 3 or 4"),
        ((*CHAIN[:49], 1, 4, 2, 2, 3, 3, 0), "start with 0"),
        (key_of([(0, 1), (1, 6), (3, 2)], [4, 2, 2, 3, 3]), "strictly upper-triangular"),
        ((2, *CHAIN[1:]), "0 or 1"),
        (key_of([(0, 1), (2, 6)], [4, 2, 2, 3, 3]), "not reachable"),
        (
            key_of(
                [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (1, 6), (2, 6), (3, 6), (4, 6), (5, 6)],
                [4, 4, 4, 4, 4],
            ),
            "at most 9",
        ),
        ((*CHAIN[:55], 1.5), "not an integer"),
        ("garbage", "cannot read"),
        ("(0, 1", "cannot read"),
        ("{'matrix': 1}", "cannot read"),
        ("[1, 2]", "56 ints"),
        ({"matrix": [[0]]}, "'matrix' and 'ops'"),
        ({"matrix": [[0]], "ops": []}, "shape"),
        (dict(OFFICIAL_SPEC, ops=OFFICIAL_SPEC["ops"][:6]), "7 op names"),
        (dict(OFFICIAL_SPEC, ops=["input", "conv5x5", *OFFICIAL_SPEC["ops"][2:]]), "unknown"),
        (None, "cannot read"),
        (42, "cannot read"),
    ],
)
def test_malformed_inputs_raise(space: NB101Space, bad: object, match: str) -> None:
    with pytest.raises(InvalidArchitectureError, match=match):
        space.parse(bad)
    assert not space.is_valid(bad)


@needs_data(ZC)
def test_suite_zero_keys(space: NB101Space, zc_keys: list[str]) -> None:
    assert len(zc_keys) == 500
    for text in zc_keys:
        key = space.parse(text)
        assert str(key) == text
        assert space.encode(key, "adjacency").shape == (36,)
        path = space.encode(key, "path")
        assert path.shape == (364,) and path.sum() >= 1


def test_neighbours_are_distinct_networks(space: NB101Space) -> None:
    """Beyond the contract (test_space_contract.py): one key per distinct network, none
    isomorphic to the cell itself, so a mutation always changes the network."""
    rng = np.random.default_rng(2)
    for key in [space.sample(rng) for _ in range(30)]:
        fp = space.fingerprint(key)
        fps = [space.fingerprint(n) for n in space.neighbours(key)]
        assert fps and len(set(fps)) == len(fps) and fp not in fps
        assert space.fingerprint(space.mutate(key, rng)) != fp
    # a cell with dangling nodes: changes that only touch them are not neighbours
    assert all(space.fingerprint(n) != space.fingerprint(CHAIN) for n in space.neighbours(CHAIN))
