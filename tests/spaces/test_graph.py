"""The NAS-Bench-Graph space against the tables shipped in the nas_bench_graph package."""

from __future__ import annotations

import itertools
from pathlib import Path

import nas_bench_graph
import numpy as np
import pytest
from nas_bench_graph import light_read
from nas_bench_graph.architecture import Arch

from nasperf.exceptions import InvalidArchitectureError
from nasperf.spaces import get_space
from nasperf.spaces.graph import LINKS, OPS, PROTEINS_OPS, GraphSpace

BENCH_DIR = Path(nas_bench_graph.__file__).parent / "light"
GENERAL_BENCHES = sorted(p.stem for p in BENCH_DIR.glob("*.bench") if p.stem != "proteins")


@pytest.fixture(scope="module")
def space() -> GraphSpace:
    return GraphSpace()


@pytest.fixture(scope="module")
def proteins() -> GraphSpace:
    return GraphSpace(proteins=True)


def test_op_and_link_tables() -> None:
    general, prot = get_space("graph"), get_space("graph-proteins")
    assert general.ops == OPS and len(OPS) == 9
    assert prot.ops == PROTEINS_OPS and len(PROTEINS_OPS) == 5
    assert len(LINKS) == 9


@pytest.mark.parametrize("proteins_space", [False, True])
def test_hash_round_trip_on_every_key(proteins_space: bool) -> None:
    space = GraphSpace(proteins=proteins_space)
    bench = "proteins" if proteins_space else "cora"
    keys = list(light_read(bench))
    assert len(keys) == (2021 if proteins_space else 26206)
    for key in keys:
        links, ops = space.from_hash(key)
        assert space.to_hash((links, ops)) == key
        assert Arch(list(links), list(ops)).hash_arch() == key  # the package's own hash
        assert space.parse((links, ops)) == (links, ops)
    assert [space.to_hash(a) for a in space.all_archs()] == sorted(keys)


def test_every_general_bench_has_the_same_keys(space: GraphSpace) -> None:
    assert len(GENERAL_BENCHES) == 8
    expected = {space.to_hash(a) for a in space.all_archs()}
    for bench in GENERAL_BENCHES:
        assert set(light_read(bench)) == expected, bench


def test_any_wiring_maps_to_a_benchmark_architecture(proteins: GraphSpace) -> None:
    keys = set(light_read("proteins"))
    for links in itertools.product(range(1), range(2), range(3), range(4)):
        for ops in itertools.product(PROTEINS_OPS, repeat=4):
            if set(ops) == {"skip"}:
                continue
            arch = proteins.parse((links, ops))
            assert proteins.to_hash(arch) in keys
            assert sorted(arch[1]) == sorted(ops)  # the same layers, rewired


def test_parse_forms(space: GraphSpace) -> None:
    arch = space.parse(((0, 1, 2, 3), ("gcn", "gat", "sage", "fc")))
    assert arch == ((0, 1, 2, 3), ("gcn", "gat", "sage", "fc"))
    assert space.parse({"links": [0, 1, 2, 3], "ops": ["gcn", "gat", "sage", "fc"]}) == arch
    assert space.parse("links=0,1,2,3;ops=gcn,gat,sage,fc") == arch
    assert space.parse(" links = 0, 1, 2, 3 ; ops = gcn, gat, sage, fc ") == arch
    h = space.to_hash(arch)
    assert h == 8 * 10**4 + 1 * 1000 + 0 * 100 + 4 * 10 + 7
    assert space.parse(h) == arch and space.parse(str(h)) == arch
    assert space.parse(np.int64(h)) == arch
    # a skip inside a chain is moved to the front by the package's canonical form
    assert space.parse("links=0,1,2,3;ops=gcn,gat,skip,fc") == (
        (0, 1, 2, 3),
        ("skip", "gcn", "gat", "fc"),
    )
    # a wiring outside the 9 patterns is rewritten onto one of them
    links, _ = space.parse(((0, 0, 0, 2), ("gcn", "gat", "sage", "fc")))
    assert links in LINKS


@pytest.mark.parametrize(
    "bad, match",
    [
        (((0, 1, 2, 3), ("gcn", "gat", "sage", "conv")), "unknown op 'conv'"),
        (((0, 1, 2, 3), ("gcn", "gat", "sage")), "4 op names"),
        (((0, 1, 2), ("gcn", "gat", "sage", "fc")), "4 ints"),
        (((0, 2, 2, 3), ("gcn", "gat", "sage", "fc")), "links\\[1\\] = 2"),
        (((1, 1, 2, 3), ("gcn", "gat", "sage", "fc")), "links\\[0\\] = 1"),
        (((0, 1, 2, 3), ("skip",) * 4), "only skip"),
        (((0, 1, 2, 3.0), ("gcn",) * 4), "4 ints"),
        (((0, 1, 2, 3), "gcn"), "sequence of 4 op names"),
        ({"links": [0, 1, 2, 3]}, "'links' and 'ops'"),
        ("links=0,1,x,3;ops=gcn,gat,sage,fc", "not comma-separated ints"),
        ("garbage", "cannot read"),
        (210, "not an architecture of NAS-Bench-Graph"),  # gat, gin, gcn, gat: unsorted
        (-1, "outside"),
        (10**5, "outside"),
        (9_0000, "outside"),
        (1.5, "cannot read"),
        (None, "cannot read"),
    ],
)
def test_malformed_inputs_raise(space: GraphSpace, bad: object, match: str) -> None:
    with pytest.raises(InvalidArchitectureError, match=match):
        space.parse(bad)


def test_proteins_space_rejects_other_ops(proteins: GraphSpace) -> None:
    with pytest.raises(InvalidArchitectureError, match="unknown op 'gat'"):
        proteins.parse(((0, 1, 2, 3), ("gat", "gcn", "gcn", "gcn")))
    with pytest.raises(InvalidArchitectureError, match="no op of this space"):
        proteins.from_hash(80000)  # gat (code 0) is not a proteins op


def test_encodings(space: GraphSpace) -> None:
    arch = ((0, 0, 1, 3), ("gat", "gcn", "sage", "skip"))
    arch = space.parse(arch)
    onehot = space.encode(arch, "onehot")
    assert onehot.shape == (45,)
    assert onehot[:9].tolist() == [1.0 if lk == arch[0] else 0.0 for lk in LINKS]
    ops = onehot[9:].reshape(4, 9)
    assert [OPS[i] for i in ops.argmax(axis=1)] == list(arch[1]) and ops.sum() == 4
    adj = space.encode(((0, 0, 1, 3), ("gat", "gcn", "sage", "fc")), "adjacency")
    assert adj.shape == (46,)
    matrix = np.zeros((5, 5))
    for i, src in enumerate((0, 0, 1, 3)):
        matrix[src, i + 1] = 1
    np.testing.assert_array_equal(adj[:10], matrix[np.triu_indices(5, k=1)])
