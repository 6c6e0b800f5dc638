"""The DARTS (NAS-Bench-301) space on NASLib compact genotypes."""

from __future__ import annotations

import json
from collections import namedtuple

import numpy as np
import pytest

from helpers import needs_data
from nasperf.exceptions import InvalidArchitectureError
from nasperf.paths import data_dir
from nasperf.spaces.darts import OPS, DartsSpace

ZC = "suite_zero/zc_nasbench301.json"
KEY = (
    "[[(0, 4), (1, 3), (0, 2), (2, 3), (2, 3), (0, 3), (2, 6), (3, 5)], "
    "[(0, 3), (1, 3), (1, 1), (0, 5), (2, 3), (0, 2), (4, 4), (3, 1)]]"
)
# every node reads both cell inputs: only length-1 paths
FLAT = ((0, 0), (1, 1), (0, 2), (1, 3), (0, 4), (1, 5), (0, 6), (1, 0))


@pytest.fixture(scope="module")
def space() -> DartsSpace:
    return DartsSpace()


def test_op_table_follows_naslib() -> None:
    assert OPS[0] == "max_pool_3x3" and OPS[6] == "dil_conv_5x5" and len(OPS) == 7


def test_compact_key_and_genotypes(space: DartsSpace) -> None:
    arch = space.parse(KEY)
    assert arch[0][:2] == ((0, 4), (1, 3)) and len(arch[1]) == 8
    assert space.to_string(arch) == KEY
    genotype = space.to_genotype(arch)
    assert genotype["normal"][0] == ("sep_conv_5x5", 0)
    assert space.parse(genotype) == arch
    Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")
    g = Genotype(genotype["normal"], [2, 3, 4, 5], genotype["reduce"], [2, 3, 4, 5])
    assert space.parse(g) == arch


def test_normalize_and_swap_invariance(space: DartsSpace) -> None:
    arch = space.parse(KEY)
    swapped = list(map(list, arch))
    swapped[0][4], swapped[0][5] = swapped[0][5], swapped[0][4]  # node 2's two edges
    swapped_arch = space.parse(swapped)
    assert swapped_arch != arch
    assert space.normalize(swapped_arch) == space.normalize(arch)
    for kind in space.encodings:
        np.testing.assert_array_equal(space.encode(arch, kind), space.encode(swapped_arch, kind))


def test_encoding_layouts(space: DartsSpace) -> None:
    arch = (FLAT, FLAT)
    adj = space.encode(arch, "adjacency")
    assert adj.shape == (192,)
    slots = adj.reshape(2, 8, 12)
    assert (slots[:, :, :7].sum(axis=2) == 1).all() and (slots[:, :, 7:].sum(axis=2) == 1).all()
    assert slots[0, 0, 0] == 1 and slots[0, 0, 7 + 0] == 1  # (input 0, max_pool)
    assert slots[0, 1, 1] == 1 and slots[0, 1, 7 + 1] == 1  # (input 1, avg_pool)
    path = space.encode(arch, "path")
    assert path.shape == (11200,)
    expected = [0, 2, 4, 6] + [2800 + i for i in (0, 1, 3, 5)]
    expected += [5600 + i for i in expected]
    assert np.flatnonzero(path).tolist() == expected


def test_path_encoding_chain(space: DartsSpace) -> None:
    # node 0: (c_{k-2}, skip), (c_{k-1}, skip); node 1: (node 2, sep3), (c_{k-2}, sep3)
    normal = ((0, 2), (1, 2), (2, 3), (0, 3), (0, 0), (1, 0), (0, 0), (1, 0))
    path = space.encode((normal, FLAT), "path")
    normal_part = np.flatnonzero(path[:5600]).tolist()
    # from input 0: [skip] (2), [skip, sep3] (7 + 2*7 + 3 = 24), [sep3] (3), [max_pool] (0)
    # from input 1: [skip], [skip, sep3], [max_pool]
    assert normal_part == [0, 2, 3, 24, 2800, 2802, 2824]


@pytest.mark.parametrize(
    "bad, match",
    [
        ("[[(0, 4)]]", "2 cells"),
        (((FLAT[:7]), FLAT), "7 \\(input, op\\) pairs"),
        ((((2, 0), *FLAT[1:]), FLAT), "nodes 0..1"),
        ((FLAT, (*FLAT[:6], (5, 0), (1, 0))), "nodes 0..4"),
        ((((0, 0), (0, 1), *FLAT[2:]), FLAT), "distinct"),
        ((((0, 7), *FLAT[1:]), FLAT), "outside 0..6"),
        ((((0, -1), *FLAT[1:]), FLAT), "outside 0..6"),
        ((((0, 1.0), *FLAT[1:]), FLAT), "pair of two ints"),
        ((((0,), *FLAT[1:]), FLAT), "pair of two ints"),
        (((("a", 1), *FLAT[1:]), FLAT), "pair of two ints"),
        ((FLAT, FLAT, FLAT), "2 cells"),
        (("abc", FLAT), "normal cell"),
        ({"normal": [("conv_9x9", 0)] * 8, "reduce": []}, "unknown DARTS op"),
        ({"normal": []}, "'normal' and 'reduce'"),
        ("garbage", "cannot read"),
        ("[[(0, 4), (1, 3)", "cannot read"),
        (None, "cannot read"),
        (3, "cannot read"),
    ],
)
def test_malformed_inputs_raise(space: DartsSpace, bad: object, match: str) -> None:
    with pytest.raises(InvalidArchitectureError, match=match):
        space.parse(bad)


@needs_data(ZC)
def test_suite_zero_keys(space: DartsSpace) -> None:
    data = json.loads((data_dir() / ZC).read_text())["nasbench301"]["cifar10"]
    assert len(data) == 500
    for text in data:
        arch = space.parse(text)
        assert space.to_string(arch) == text
        assert space.encode(arch, "adjacency").sum() == 32


def test_mutation_changes_the_normalized_cell(space: DartsSpace) -> None:
    """Beyond the contract (test_space_contract.py): a neighbour is never the same cell with a
    node's two edges swapped, so mutation always changes the network."""
    rng = np.random.default_rng(8)
    for arch in [space.sample(rng) for _ in range(30)]:
        assert all(space.normalize(n) != space.normalize(arch) for n in space.neighbours(arch))
