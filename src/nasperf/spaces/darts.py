"""The DARTS cell space (NAS-Bench-301), written in NASLib's compact form.

An architecture is a normal and a reduction cell. Each cell has inputs 0 (c_{k-2}) and 1
(c_{k-1}) and four intermediate nodes 2..5, whose outputs are concatenated. Intermediate node
``i`` (0-based, node ``2 + i``) has two incoming edges, slots ``2i`` and ``2i + 1``; each is an
``(input, op)`` pair with two distinct inputs among the ``2 + i`` earlier nodes and ``op`` an
index into :data:`OPS` (NASLib's list; DARTS' ``none`` op never appears in a genotype).

The canonical form is the compact tuple ``((8 pairs of the normal cell), (8 pairs of the
reduction cell))`` exactly as written in NAS-Bench-Suite-Zero keys; the order of a node's two
edges is kept (swapping them gives the same network: :meth:`DartsSpace.normalize` sorts them).

Encodings (computed on the normalized form, so swapping a node's two edges changes nothing):

``adjacency`` (192)
    For the normal then the reduction cell, for each of the 8 edge slots: a one-hot of the op
    (7, :data:`OPS` order) followed by a one-hot of the input node (5, nodes 0..4); 96 per cell.
``path`` (11200)
    BANANAS path encoding: for each cell and each cell input (normal/c_{k-2}, normal/c_{k-1},
    reduce/c_{k-2}, reduce/c_{k-1}, blocks of 2800), an indicator per op sequence of length 1
    (7 slots), 2 (49), 3 (343) and 4 (2401) carried by a path from that input to any
    intermediate node. A sequence ``(c1, ..., cL)`` sits at ``offset(L) + sum(c_k * 7 ** (L -
    k))`` with offsets 0, 7, 56, 399 inside its block.
``seq`` (32)
    NAO's string of a cell (Luo et al. 2018): for each intermediate node its two edges as
    (input, op) token pairs, normal cell then reduction cell; input node ``i`` is token
    ``1 + i`` (1..5) and op ``o`` token ``6 + o`` (6..12), vocabulary of 13.
``graph`` (506)
    Both cells as one op-on-node DAG of 22 nodes (see :mod:`nasperf.spaces.structure`): per
    cell its two inputs, its 8 edges as op nodes (an edge from intermediate node ``m`` is fed
    by both op nodes of ``m``) and its output, fed by all 8; labels are ids into
    :attr:`DartsSpace.graph_labels`, which name the cell, so a normal and a reduction op differ.
"""

from __future__ import annotations

import ast
from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from ..exceptions import InvalidArchitectureError
from ._base import SearchSpace
from .structure import graph_vector

__all__ = ["DartsSpace", "OPS", "NUM_NODES", "NUM_EDGES", "Cell", "Arch"]

#: op names by index, NASLib's order (nasbench301 ``OPS``)
OPS = (
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
#: intermediate nodes per cell
NUM_NODES = 4
#: edges per cell (two per intermediate node)
NUM_EDGES = 2 * NUM_NODES

_N_OPS = len(OPS)
_N_INPUTS = NUM_NODES + 1  # nodes that can feed an edge: 0..4
_CELL_NAMES = ("normal", "reduce")
_PATH_OFFSETS = (0, 0, _N_OPS, _N_OPS + _N_OPS**2, _N_OPS + _N_OPS**2 + _N_OPS**3)
_PATH_BLOCK = sum(_N_OPS**k for k in range(1, NUM_NODES + 1))
_EXPECTED = (
    "expected a DARTS compact genotype: two cells (normal, reduction), each 8 (input, op) pairs "
    "where pairs 2i and 2i+1 feed intermediate node i (i = 0..3) from two distinct nodes among "
    "0..i+1 and op is 0..6 (max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, "
    "sep_conv_5x5, dil_conv_3x3, dil_conv_5x5); e.g. "
    "'[[(0, 4), (1, 3), (0, 2), (2, 3), (2, 3), (0, 3), (2, 6), (3, 5)], [...8 pairs]]', or a "
    "genotype dict {'normal': [(op_name, input), ...], 'reduce': [...]}"
)

#: one cell: ``NUM_EDGES`` (input node, op index) pairs
Cell = tuple[tuple[int, int], ...]
#: an architecture: the normal cell and the reduction cell
Arch = tuple[Cell, Cell]


def _bad(message: str) -> InvalidArchitectureError:
    return InvalidArchitectureError(f"{message}; {_EXPECTED}")


def _is_int(x: object) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _check_cell(cell: object, which: str) -> Cell:
    if isinstance(cell, (str, bytes)) or not isinstance(cell, Sequence | np.ndarray):
        raise _bad(f"the {which} cell must be a sequence of 8 (input, op) pairs, got {cell!r}")
    if len(cell) != NUM_EDGES:
        raise _bad(f"the {which} cell has {len(cell)} (input, op) pairs, but needs {NUM_EDGES}")
    pairs: list[tuple[int, int]] = []
    for slot, pair in enumerate(cell):
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence | np.ndarray):
            raise _bad(f"edge {slot} of the {which} cell is {pair!r}, not an (input, op) pair")
        if len(pair) != 2 or not all(_is_int(x) for x in pair):
            raise _bad(f"edge {slot} of the {which} cell is {pair!r}, not a pair of two ints")
        source, op = int(pair[0]), int(pair[1])
        node = slot // 2
        if not 0 <= source < node + 2:
            raise _bad(
                f"edge {slot} of the {which} cell comes from node {source}, but intermediate "
                f"node {node} can only take inputs from nodes 0..{node + 1}"
            )
        if not 0 <= op < _N_OPS:
            raise _bad(f"edge {slot} of the {which} cell has op index {op}, outside 0..6")
        pairs.append((source, op))
    for node in range(NUM_NODES):
        if pairs[2 * node][0] == pairs[2 * node + 1][0]:
            raise _bad(
                f"both edges of intermediate node {node} of the {which} cell come from node "
                f"{pairs[2 * node][0]}; a node's two inputs must be distinct"
            )
    return tuple(pairs)


def _from_genotype_cell(cell: object, which: str) -> list[tuple[int, int]]:
    if isinstance(cell, (str, bytes)) or not isinstance(cell, Sequence):
        raise _bad(f"genotype cell {which!r} must be a list of (op_name, input) pairs")
    pairs: list[tuple[int, int]] = []
    for slot, item in enumerate(cell):
        if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 2:
            raise _bad(f"genotype edge {slot} of cell {which!r} is {item!r}, not (op_name, input)")
        name, source = item
        if name not in OPS:
            raise _bad(f"unknown DARTS op {name!r} in cell {which!r} (known: {', '.join(OPS)})")
        if not _is_int(source):
            raise _bad(f"genotype edge {slot} of cell {which!r} has input {source!r}, not an int")
        pairs.append((int(source), OPS.index(name)))
    return pairs


def _coerce(arch: object) -> object:
    """Turn strings, genotype dicts and genotype objects into nested pairs (not validated)."""
    if isinstance(arch, str):
        text = arch.strip()
        if text[:1] not in ("(", "["):
            raise _bad(f"cannot read {arch!r} as a DARTS genotype")
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
            raise _bad(f"cannot read {arch!r} as a DARTS genotype") from exc
    if isinstance(arch, Mapping):
        if "normal" not in arch or "reduce" not in arch:
            raise _bad(f"a genotype dict needs the keys 'normal' and 'reduce', got {list(arch)}")
        return tuple(_from_genotype_cell(arch[c], c) for c in _CELL_NAMES)
    if hasattr(arch, "normal") and hasattr(arch, "reduce"):  # a DARTS Genotype namedtuple
        return tuple(_from_genotype_cell(getattr(arch, c), c) for c in _CELL_NAMES)
    return arch


def _canonical(arch: object) -> Arch:
    value = _coerce(arch)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
        raise _bad(f"cannot read a DARTS genotype from a {type(value).__name__} ({value!r})")
    if len(value) != 2:
        raise _bad(f"a DARTS genotype has 2 cells (normal, reduction), got {len(value)}")
    return (_check_cell(value[0], "normal"), _check_cell(value[1], "reduction"))


def _normalize_cell(cell: Cell) -> Cell:
    out: list[tuple[int, int]] = []
    for node in range(NUM_NODES):
        out.extend(sorted(cell[2 * node : 2 * node + 2]))
    return tuple(out)


class DartsSpace(SearchSpace):
    """DARTS / NAS-Bench-301 genotypes in NASLib's compact form."""

    name = "darts"
    encodings = ("adjacency", "path", "seq", "graph")
    default_encoding = "adjacency"
    #: node labels of the ``graph`` encoding: per cell, its two inputs, the ops and the output
    graph_labels = tuple(
        f"{cell}:{name}"
        for cell in _CELL_NAMES
        for name in ("c_k-2", "c_k-1", *OPS, "output")
    )
    #: tokens of the ``seq`` encoding are 0 .. seq_vocabulary - 1
    seq_vocabulary = 1 + _N_INPUTS + _N_OPS

    # -- conversions -----------------------------------------------------------------------

    def parse(self, arch: object) -> Arch:
        """Return the compact tuple of ``arch`` (compact pairs, their string, or a genotype)."""
        return _canonical(arch)

    def normalize(self, arch: object) -> Arch:
        """Return ``arch`` with each node's two edges sorted; equal for equal networks."""
        normal, reduce = self.parse(arch)
        return (_normalize_cell(normal), _normalize_cell(reduce))

    def to_genotype(self, arch: object) -> dict[str, list[tuple[str, int]]]:
        """Return the DARTS genotype form ``{'normal': [(op_name, input), ...], 'reduce': ...}``."""
        normal, reduce = self.parse(arch)
        return {
            name: [(OPS[op], source) for source, op in cell]
            for name, cell in zip(_CELL_NAMES, (normal, reduce), strict=True)
        }

    def to_string(self, arch: object) -> str:
        """Return the NAS-Bench-Suite-Zero key string of ``arch``."""
        return str([list(cell) for cell in self.parse(arch)])

    # -- encodings -------------------------------------------------------------------------

    def _encode_adjacency(self, arch: Arch) -> np.ndarray:
        width = _N_OPS + _N_INPUTS
        out = np.zeros((2, NUM_EDGES, width))
        for c, cell in enumerate(self.normalize(arch)):
            for slot, (source, op) in enumerate(cell):
                out[c, slot, op] = 1.0
                out[c, slot, _N_OPS + source] = 1.0
        return out.reshape(-1)

    def _encode_seq(self, arch: Arch) -> np.ndarray:
        tokens = [
            token
            for cell in self.normalize(arch)
            for source, op in cell
            for token in (1 + source, 1 + _N_INPUTS + op)
        ]
        return np.asarray(tokens, dtype=np.float64)

    def _encode_graph(self, arch: Arch) -> np.ndarray:
        per_cell = 2 + NUM_EDGES + 1
        n = 2 * per_cell
        adj = np.zeros((n, n), dtype=np.int64)
        labels: list[int] = []
        for c, cell in enumerate(self.normalize(arch)):
            base, first_label = c * per_cell, c * (_N_OPS + 3)
            labels += [first_label, first_label + 1]
            for slot, (source, op) in enumerate(cell):
                node = base + 2 + slot
                feeders = [source] if source < 2 else [2 + 2 * (source - 2), 3 + 2 * (source - 2)]
                for f in feeders:
                    adj[base + f, node] = 1
                adj[node, base + per_cell - 1] = 1
                labels.append(first_label + 2 + op)
            labels.append(first_label + 2 + _N_OPS)
        return graph_vector(adj, labels, n)

    def _encode_path(self, arch: Arch) -> np.ndarray:
        out = np.zeros(4 * _PATH_BLOCK)
        for c, cell in enumerate(arch):
            # paths[n]: (cell input, length, value) of every path ending at intermediate node n
            paths: list[list[tuple[int, int, int]]] = [[] for _ in range(NUM_NODES)]
            for slot, (source, op) in enumerate(cell):
                node = slot // 2
                if source < 2:
                    paths[node].append((source, 1, op))
                else:
                    for start, length, value in paths[source - 2]:
                        paths[node].append((start, length + 1, value * _N_OPS + op))
            for ending in paths:
                for start, length, value in ending:
                    block = 2 * c + start
                    out[block * _PATH_BLOCK + _PATH_OFFSETS[length] + value] = 1.0
        return out

    # -- search ----------------------------------------------------------------------------

    def sample(self, rng: np.random.Generator) -> Arch:
        """Draw each node's two distinct inputs and each edge's op uniformly."""
        cells: list[Cell] = []
        for _ in range(2):
            pairs: list[tuple[int, int]] = []
            for node in range(NUM_NODES):
                sources = rng.choice(node + 2, size=2, replace=False)
                ops = rng.integers(0, _N_OPS, size=2)
                pairs.extend((int(s), int(o)) for s, o in zip(sources, ops, strict=True))
            cells.append(tuple(pairs))
        return (cells[0], cells[1])

    def neighbours(self, arch: object) -> list[Hashable]:
        """Return every genotype one op change or one input change away (120 in all).

        Per cell: each of the 8 edges' op changed to one of the 6 others (48), and each edge
        rerouted to another earlier node that its node does not already use (12).
        """
        canonical = self.parse(arch)
        result: list[Hashable] = []
        for c in range(2):
            cell = canonical[c]
            for slot, (source, op) in enumerate(cell):
                node = slot // 2
                partner = cell[slot ^ 1][0]
                changes = [(source, o) for o in range(_N_OPS) if o != op]
                changes += [(s, op) for s in range(node + 2) if s not in (source, partner)]
                for pair in changes:
                    new_cell = (*cell[:slot], pair, *cell[slot + 1 :])
                    result.append((new_cell, canonical[1]) if c == 0 else (canonical[0], new_cell))
        return result

    def mutate(self, arch: object, rng: np.random.Generator) -> Arch:
        """Return a uniformly chosen element of :meth:`neighbours`."""
        options = self.neighbours(arch)
        return options[int(rng.integers(len(options)))]  # type: ignore[return-value]
