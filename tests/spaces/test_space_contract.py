"""The search-space contract, written once and run over every space (as Optuna tests its samplers).

Every space parses its accepted forms to one hashable canonical form, encodes it into 1-D
float64 arrays of a fixed length per encoding, samples reproducibly under a seed, and mutates to
a neighbour one change away. What only one space has (hand-worked encodings, index tables,
isomorphism, the error messages) is tested in that space's own file.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
from nas_bench_graph import light_read

from nasperf.exceptions import InvalidArchitectureError, UnknownNameError
from nasperf.spaces import SPACE_NAMES, SearchSpace, get_space
from nasperf.spaces.darts import DartsSpace
from nasperf.spaces.graph import GraphSpace
from nasperf.spaces.nb101 import NB101Space
from nasperf.spaces.nb201 import NB201Space


# -- what each space declares ------------------------------------------------------------------
def _nb201_forms(space: NB201Space, arch: Hashable) -> list[object]:
    t = space.to_tuple(arch)
    return [t, list(t), str(t), np.array(t), space.ops_of(arch), f"  {arch}\n"]


def _nb101_forms(space: NB101Space, arch: Hashable) -> list[object]:
    return [str(arch), list(arch), np.array(arch), space.spec(arch)]


def _darts_forms(space: DartsSpace, arch: Hashable) -> list[object]:
    nested = [[list(pair) for pair in cell] for cell in arch]
    return [space.to_string(arch), nested, space.to_genotype(arch)]


def _graph_forms(space: GraphSpace, arch: Hashable) -> list[object]:
    links, ops = arch
    h = space.to_hash(arch)
    text = f"links={','.join(map(str, links))};ops={','.join(ops)}"
    return [[list(links), list(ops)], {"links": list(links), "ops": list(ops)}, text, h, str(h),
            np.int64(h)]  # fmt: skip


def _ops_changed(space: NB201Space, a: Hashable, b: Hashable) -> int:
    return sum(x != y for x, y in zip(space.ops_of(a), space.ops_of(b), strict=True))


def _entries_changed(space: NB101Space, a: Hashable, b: Hashable) -> int:
    return sum(x != y for x, y in zip(a, b, strict=True))  # one edge flip or one op code


def _pair_entries_changed(space: DartsSpace, a: Hashable, b: Hashable) -> int:
    return sum(
        u != v
        for cell_a, cell_b in zip(a, b, strict=True)
        for pa, pb in zip(cell_a, cell_b, strict=True)
        for u, v in zip(pa, pb, strict=True)
    )


@cache
def _graph_keys(bench: str) -> frozenset[int]:
    return frozenset(int(k) for k in light_read(bench))


def _in_graph_bench(space: GraphSpace, arch: Hashable) -> bool:
    return space.to_hash(arch) in _graph_keys(space.bench_name)


@dataclass(frozen=True)
class Case:
    """One space as the contract sees it."""

    name: str  # in the registry
    cls: type[SearchSpace]
    encodings: dict[str, int]  # kind -> length, in the space's declared order
    default_encoding: str
    forms: Callable[..., list[object]]  # other accepted forms of a canonical architecture
    #: how many elements a neighbour changes (None: the space's canonicalisation may rewrite it)
    changes: Callable[..., int] | None
    n_neighbours: int | None = None  # the same for every architecture, where it is
    valid: Callable[..., bool] | None = None  # membership the space promises beyond parsing

    def __str__(self) -> str:
        return self.name


CASES = [
    Case("nb201", NB201Space, {"onehot": 30, "adjacency": 58, "path": 155, "seq": 35, "graph": 72},
         "onehot", _nb201_forms, _ops_changed, n_neighbours=24),
    Case("nb101", NB101Space, {"adjacency": 36, "path": 364, "seq": 27, "graph": 56}, "adjacency",
         _nb101_forms, _entries_changed, valid=NB101Space.is_valid),
    Case("darts", DartsSpace, {"adjacency": 192, "path": 11200, "seq": 32, "graph": 506},
         "adjacency", _darts_forms, _pair_entries_changed, n_neighbours=120),
    Case("graph", GraphSpace, {"onehot": 45, "adjacency": 46}, "onehot", _graph_forms, None,
         valid=_in_graph_bench),
    Case("graph-proteins", GraphSpace, {"onehot": 29, "adjacency": 30}, "onehot", _graph_forms,
         None, valid=_in_graph_bench),
]  # fmt: skip


@pytest.fixture(params=CASES, ids=str)
def case(request: pytest.FixtureRequest) -> Case:
    return request.param


@pytest.fixture
def space(case: Case) -> SearchSpace:
    return get_space(case.name)


def samples(space: SearchSpace, n: int, seed: int = 0) -> list[Hashable]:
    rng = np.random.default_rng(seed)
    return [space.sample(rng) for _ in range(n)]


# -- the registry -------------------------------------------------------------------------------
def test_every_registered_space_with_an_encoding_is_covered() -> None:
    searchable = {name for name in SPACE_NAMES if get_space(name).encodings}
    assert searchable == {c.name for c in CASES}


def test_registry_and_metadata(case: Case, space: SearchSpace) -> None:
    assert isinstance(space, case.cls) and isinstance(space, SearchSpace)
    assert space.name == case.name
    assert get_space(case.name) is space  # one shared, stateless instance
    assert space.encodings == tuple(case.encodings)
    assert space.default_encoding == case.default_encoding in space.encodings


# -- parsing ------------------------------------------------------------------------------------
def test_parse_is_idempotent_and_canonical(space: SearchSpace) -> None:
    for arch in samples(space, 20):
        assert hash(arch) == hash(space.parse(arch))
        assert space.parse(arch) == arch
        assert space.parse(space.parse(arch)) == arch


def test_every_accepted_form_parses_to_the_canonical_one(case: Case, space: SearchSpace) -> None:
    for arch in samples(space, 20, seed=1):
        for form in case.forms(space, arch):
            assert space.parse(form) == arch, form
            for kind in space.encodings:  # and encodes alike
                np.testing.assert_array_equal(space.encode(form, kind), space.encode(arch, kind))


@pytest.mark.parametrize("bad", [None, "garbage", object(), -1.5, {"no": "architecture"}])
def test_unreadable_input_raises_invalid_architecture(space: SearchSpace, bad: object) -> None:
    with pytest.raises(InvalidArchitectureError):
        space.parse(bad)
    with pytest.raises(InvalidArchitectureError):
        space.encode(bad, space.default_encoding)
    with pytest.raises(InvalidArchitectureError):
        space.neighbours(bad)


# -- encodings ----------------------------------------------------------------------------------
def test_encodings_have_a_fixed_length_and_dtype(case: Case, space: SearchSpace) -> None:
    archs = samples(space, 20, seed=2)
    for kind, length in case.encodings.items():
        codes = [space.encode(arch, kind) for arch in archs]
        for enc in codes:
            assert enc.shape == (length,) and enc.dtype == np.float64
            assert np.all(np.isfinite(enc))
        # the encoding tells different architectures apart (at least across 20 of them)
        assert len({enc.tobytes() for enc in codes}) > 1, kind


def test_encodings_are_deterministic_and_not_shared(space: SearchSpace) -> None:
    arch = samples(space, 1, seed=3)[0]
    for kind in space.encodings:
        first = space.encode(arch, kind)
        expected = first.copy()
        first[:] = -7.0  # a caller scribbling on its array changes nothing for the next one
        np.testing.assert_array_equal(space.encode(arch, kind), expected)


def test_unknown_encoding_names_the_known_ones(space: SearchSpace) -> None:
    arch = samples(space, 1)[0]
    with pytest.raises(UnknownNameError, match=space.encodings[0]):
        space.encode(arch, "no-such-encoding")


# -- sampling and mutation ----------------------------------------------------------------------
def test_sampling_is_seeded_varied_and_valid(case: Case, space: SearchSpace) -> None:
    assert samples(space, 5, seed=7) == samples(space, 5, seed=7)
    assert samples(space, 5, seed=7) != samples(space, 5, seed=8)
    draws = samples(space, 50, seed=4)
    assert len(set(draws)) >= 45
    for arch in draws:
        assert space.parse(arch) == arch
        assert case.valid is None or case.valid(space, arch)


def test_neighbours_are_distinct_valid_and_one_change_away(case: Case, space: SearchSpace) -> None:
    for arch in samples(space, 10, seed=5):
        nbrs = space.neighbours(arch)
        assert nbrs and len(nbrs) == len(set(nbrs)) and arch not in nbrs
        if case.n_neighbours is not None:
            assert len(nbrs) == case.n_neighbours
        for n in nbrs:
            assert space.parse(n) == n
            assert case.valid is None or case.valid(space, n)
            assert case.changes is None or case.changes(space, arch, n) == 1, n
        assert space.neighbours(space.parse(arch)) == nbrs  # a pure function of the arch


def test_mutation_is_a_seeded_neighbour(space: SearchSpace) -> None:
    rng = np.random.default_rng(6)
    for arch in samples(space, 10, seed=6):
        child = space.mutate(arch, rng)
        assert child != arch and child in space.neighbours(arch)
        twins = [space.mutate(arch, np.random.default_rng(11)) for _ in range(2)]
        assert twins[0] == twins[1]
    # over many draws, mutation reaches more than one neighbour
    arch = samples(space, 1, seed=6)[0]
    assert len({space.mutate(arch, rng) for _ in range(30)}) > 1


def test_a_custom_history_has_no_encodings_and_no_neighbourhood() -> None:
    custom = get_space("custom")
    assert custom.encodings == () and custom.parse(("any", 1)) == ("any", 1)
    with pytest.raises(InvalidArchitectureError, match="not hashable"):
        custom.parse(["a", "list"])
    rng = np.random.default_rng(0)
    for call in (lambda: custom.sample(rng), lambda: custom.mutate(1, rng),
                 lambda: custom.neighbours(1)):  # fmt: skip
        with pytest.raises(InvalidArchitectureError, match="custom search history"):
            call()
    with pytest.raises(UnknownNameError):
        custom.encode(1, "onehot")
