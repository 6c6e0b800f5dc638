"""The NAS-Bench-Graph space: 4 GNN layers wired by one of 9 link patterns.

An architecture has an input node 0 and op nodes 1..4; ``links[i]`` names the node that op node
``i + 1`` reads (``links[i]`` in ``0..i``), and ``ops[i]`` is its operation. NAS-Bench-Graph
stores one entry per isomorphism class: 26,206 architectures over the 9 ops of
``nas_bench_graph.gnn_list`` (``graph``), 2,021 over the 5 ops of ``gnn_list_proteins`` for the
proteins dataset (``graph-proteins``). The canonical form is the benchmark's representative
``(links, ops)``, with ``links`` one of the 9 patterns of ``nas_bench_graph.link_list``;
:meth:`GraphSpace.parse` maps any other wiring or op order to its representative with the
package's own canonicalisation (``Arch.valid_hash``).

The key of an architecture in the package's ``light/*.bench`` tables is its hash
(``Arch.hash_arch``): ``link_index * 10**4 + sum(gnn_list.index(ops[k]) * 10**(3 - k))``, in
base 10 = ``len(gnn_list) + 1`` and with ``gnn_list`` codes for the proteins space as well
(the proteins table is hashed with the default ``hash_arch``, not ``use_proteins=True``).

Encodings (ops one-hot over the space's op list, ``gnn_list`` or ``gnn_list_proteins`` order):

``onehot`` (45; proteins 29)
    One-hot of the link pattern (9, ``link_list`` order), then per op node 1..4 a one-hot op.
``adjacency`` (46; proteins 30)
    The 10 strictly-upper-triangular entries, row by row, of the 5x5 adjacency of input and op
    nodes (``A[links[i], i + 1] = 1``), then per op node a one-hot op.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from functools import cache

import numpy as np
from nas_bench_graph import light_read
from nas_bench_graph.architecture import Arch as _PackageArch
from nas_bench_graph.architecture import gnn_list, gnn_list_proteins, link_list

from ..exceptions import InvalidArchitectureError
from ._base import SearchSpace

__all__ = ["GraphSpace", "LINKS", "OPS", "PROTEINS_OPS", "NUM_LAYERS"]

#: the 9 canonical link patterns, in the package's (and the hash's) order
LINKS: tuple[tuple[int, ...], ...] = tuple(tuple(lk) for lk in link_list)
#: the 9 ops of the general space, in the package's order
OPS: tuple[str, ...] = tuple(gnn_list)
#: the 5 ops of the proteins space, in the package's order
PROTEINS_OPS: tuple[str, ...] = tuple(gnn_list_proteins)
#: op nodes per architecture
NUM_LAYERS = 4

_BASE = len(gnn_list) + 1  # the package's hash base (its default, non-proteins hash)
_LINK_FACTOR = _BASE**NUM_LAYERS
_UPPER = np.triu_indices(NUM_LAYERS + 1, k=1)
_STRING_RE = re.compile(r"\s*links\s*=\s*([^;]*);\s*ops\s*=\s*([^;]*?)\s*;?\s*")


@cache
def _bench_keys(bench: str) -> tuple[frozenset[int], tuple[int, ...]]:
    """The hashes stored in the package's ``light/<bench>.bench`` table (set, sorted tuple)."""
    keys = sorted(int(k) for k in light_read(bench))
    return frozenset(keys), tuple(keys)


def _is_int(x: object) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _code(links: tuple[int, ...], ops: tuple[str, ...]) -> int:
    """The package's hash of ``(links, ops)``; ``links`` must be one of :data:`LINKS`."""
    value = LINKS.index(links)
    for op in ops:
        value = value * _BASE + OPS.index(op)
    return value


class GraphSpace(SearchSpace):
    """NAS-Bench-Graph architectures; ``proteins=True`` gives the 5-op proteins space."""

    name = "graph"
    encodings = ("onehot", "adjacency")
    default_encoding = "onehot"

    def __init__(self, proteins: bool = False) -> None:
        self.proteins = bool(proteins)
        self.name = "graph-proteins" if self.proteins else "graph"  # type: ignore[misc]
        #: the ops of this space, in one-hot order
        self.ops: tuple[str, ...] = PROTEINS_OPS if self.proteins else OPS
        #: the package table whose keys are this space's architectures
        self.bench_name = "proteins" if self.proteins else "cora"
        self._expected = (
            "expected a NAS-Bench-Graph architecture: (links, ops) with 4 links, links[i] in "
            f"0..i, and 4 ops from {', '.join(self.ops)} (not all skip); as a tuple, a dict "
            "{'links': [...], 'ops': [...]}, a string 'links=0,1,2,3;ops=gcn,gat,skip,fc', or a "
            "benchmark hash (int)"
        )

    def _bad(self, message: str) -> InvalidArchitectureError:
        return InvalidArchitectureError(f"{message}; {self._expected}")

    # -- hashes ----------------------------------------------------------------------------

    def _keys(self) -> frozenset[int]:
        return _bench_keys(self.bench_name)[0]

    def to_hash(self, arch: object) -> int:
        """Return the package's hash of ``arch``: its key in the ``light/*.bench`` tables."""
        return _code(*self.parse(arch))

    def from_hash(self, h: object) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """Decode a benchmark hash into ``(links, ops)``; it must be a key of the benchmark."""
        if not _is_int(h):
            raise self._bad(f"a NAS-Bench-Graph hash must be an integer, got {h!r}")
        value = int(h)
        if not 0 <= value < len(LINKS) * _LINK_FACTOR:
            raise self._bad(f"hash {value} is outside 0..{len(LINKS) * _LINK_FACTOR - 1}")
        digits = []
        rest = value
        for _ in range(NUM_LAYERS):
            rest, digit = divmod(rest, _BASE)
            digits.append(digit)
        ops: list[str] = []
        for digit in reversed(digits):
            if digit >= len(OPS) or OPS[digit] not in self.ops:
                raise self._bad(f"hash {value} has op digit {digit}, which is no op of this space")
            ops.append(OPS[digit])
        if value not in self._keys():
            raise self._bad(
                f"hash {value} is not an architecture of NAS-Bench-Graph ({self.bench_name} "
                "table); the benchmark keeps one representative per isomorphism class"
            )
        return LINKS[rest], tuple(ops)

    def all_archs(self) -> list[tuple[tuple[int, ...], tuple[str, ...]]]:
        """Return every architecture of the benchmark, in increasing hash order."""
        return [self.from_hash(h) for h in _bench_keys(self.bench_name)[1]]

    # -- parsing ---------------------------------------------------------------------------

    def _from_string(self, text: str) -> tuple[object, object]:
        match = _STRING_RE.fullmatch(text)
        if match is None:
            raise self._bad(f"cannot read {text!r} as a NAS-Bench-Graph architecture")
        raw_links = [x.strip() for x in match.group(1).split(",")]
        if not all(re.fullmatch(r"\d+", x) for x in raw_links):
            raise self._bad(f"links {match.group(1)!r} in {text!r} are not comma-separated ints")
        return [int(x) for x in raw_links], [x.strip() for x in match.group(2).split(",")]

    def _split(self, arch: object) -> tuple[object, object]:
        if isinstance(arch, str):
            text = arch.strip()
            if text.isdigit():
                return self.from_hash(int(text))
            return self._from_string(arch)
        if isinstance(arch, Mapping):
            if "links" not in arch or "ops" not in arch:
                raise self._bad(f"a dict needs the keys 'links' and 'ops', got {list(arch)}")
            return arch["links"], arch["ops"]
        if isinstance(arch, (tuple, list)) and len(arch) == 2:
            return arch[0], arch[1]
        raise self._bad(f"cannot read a NAS-Bench-Graph architecture from {arch!r}")

    def parse(self, arch: object) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """Return the benchmark's representative ``(links, ops)`` of ``arch``."""
        if _is_int(arch):
            return self.from_hash(arch)
        raw_links, raw_ops = self._split(arch)
        if isinstance(raw_links, (str, bytes)) or not isinstance(raw_links, Sequence | np.ndarray):
            raise self._bad(f"links must be a sequence of 4 ints, got {raw_links!r}")
        if isinstance(raw_ops, (str, bytes)) or not isinstance(raw_ops, Sequence | np.ndarray):
            raise self._bad(f"ops must be a sequence of 4 op names, got {raw_ops!r}")
        links = self._check_links(raw_links)
        ops = self._check_ops(raw_ops)
        if links in LINKS and _code(links, ops) in self._keys():
            return links, ops
        return self.from_hash(_PackageArch(list(links), list(ops)).valid_hash())

    def _check_links(self, raw_links: Sequence | np.ndarray) -> tuple[int, ...]:
        """The links as ints, each op node reading an earlier node."""
        if len(raw_links) != NUM_LAYERS or not all(_is_int(x) for x in raw_links):
            raise self._bad(f"links must be 4 ints, got {list(raw_links)!r}")
        links = tuple(int(x) for x in raw_links)
        for i, source in enumerate(links):
            if not 0 <= source <= i:
                raise self._bad(
                    f"links[{i}] = {source}, but op node {i + 1} can only read nodes 0..{i}"
                )
        return links

    def _check_ops(self, raw_ops: Sequence | np.ndarray) -> tuple[str, ...]:
        """The op names, all of this space and not all ``skip``."""
        if len(raw_ops) != NUM_LAYERS:
            raise self._bad(f"ops must be 4 op names, got {len(raw_ops)}: {list(raw_ops)!r}")
        for op in raw_ops:
            if op not in self.ops:
                raise self._bad(f"unknown op {op!r} for space {self.name!r}")
        ops = tuple(str(op) for op in raw_ops)
        if all(op == "skip" for op in ops):
            raise self._bad("an architecture of only skip ops is not part of NAS-Bench-Graph")
        return ops

    # -- encodings -------------------------------------------------------------------------

    def _op_onehot(self, ops: tuple[str, ...]) -> np.ndarray:
        out = np.zeros((NUM_LAYERS, len(self.ops)))
        for i, op in enumerate(ops):
            out[i, self.ops.index(op)] = 1.0
        return out.reshape(-1)

    def _encode_onehot(self, arch: tuple[tuple[int, ...], tuple[str, ...]]) -> np.ndarray:
        links, ops = arch
        link = np.zeros(len(LINKS))
        link[LINKS.index(links)] = 1.0
        return np.concatenate([link, self._op_onehot(ops)])

    def _encode_adjacency(self, arch: tuple[tuple[int, ...], tuple[str, ...]]) -> np.ndarray:
        links, ops = arch
        adj = np.zeros((NUM_LAYERS + 1, NUM_LAYERS + 1))
        for i, source in enumerate(links):
            adj[source, i + 1] = 1.0
        return np.concatenate([adj[_UPPER], self._op_onehot(ops)])

    # -- search ----------------------------------------------------------------------------

    def sample(self, rng: np.random.Generator) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """Draw one of the benchmark's architectures uniformly."""
        keys = _bench_keys(self.bench_name)[1]
        return self.from_hash(keys[int(rng.integers(len(keys)))])

    def neighbours(self, arch: object) -> list[Hashable]:
        """Return the distinct architectures one op change or one link change away.

        Candidates change one op node's op, or rewire one op node to another earlier node;
        each is mapped to its benchmark representative, and ``arch`` itself is left out.
        """
        links, ops = self.parse(arch)
        candidates: list[tuple[tuple[int, ...], tuple[str, ...]]] = []
        for i in range(NUM_LAYERS):
            for op in self.ops:
                if op != ops[i]:
                    candidates.append((links, (*ops[:i], op, *ops[i + 1 :])))
        for i in range(NUM_LAYERS):
            for source in range(i + 1):
                if source != links[i]:
                    candidates.append(((*links[:i], source, *links[i + 1 :]), ops))
        seen = {(links, ops)}
        result: list[Hashable] = []
        for cand_links, cand_ops in candidates:
            if all(op == "skip" for op in cand_ops):
                continue
            canonical = self.parse((cand_links, cand_ops))
            if canonical not in seen:
                seen.add(canonical)
                result.append(canonical)
        return result

    def mutate(
        self, arch: object, rng: np.random.Generator
    ) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """Return a uniformly chosen element of :meth:`neighbours`."""
        options = self.neighbours(arch)
        return options[int(rng.integers(len(options)))]  # type: ignore[return-value]
