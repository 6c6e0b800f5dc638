"""The NAS-Bench-201 cell space: 6 edges, 5 operations, 15,625 cells.

Nodes of the cell are numbered 0 (input) to 3 (output) as in the NB201 cell string; NASLib
numbers the same nodes 1..4. The canonical form of an architecture is its cell string, with
edges listed by target node::

    |op(0->1)~0|+|op(0->2)~0|op(1->2)~1|+|op(0->3)~0|op(1->3)~1|op(2->3)~2|

Encodings (op codes are NASLib's indices, see :data:`NASLIB_OPS`; edges are in NASLib's
order, see :data:`NASLIB_EDGES`):

``onehot`` (30)
    6 edges x 5 ops one-hot, edge-major; identical to NASLib's ``adjacency_one_hot``.
``adjacency`` (58)
    The 8-node op-on-node DAG (node 0 input, nodes 1..6 the edges in NASLib order, node 7
    output; node ``a`` feeds node ``b`` when edge ``a`` ends where edge ``b`` starts): its 28
    strictly-upper-triangular entries row by row ((0,1), (0,2), ..., (6,7)), then the 30 one-hot
    op entries of the ``onehot`` encoding. The DAG is the same for every cell.
``path`` (155)
    BANANAS path encoding: an indicator per op sequence of length 1 (5 slots), 2 (25) and 3
    (125), set when a path from input to output carries that sequence. A sequence
    ``(c1, ..., cL)`` sits at ``offset(L) + sum(c_k * 5 ** (L - k))`` with offsets 0, 5, 30.
    Paths through a ``none`` edge carry nothing and are dropped, so an all-``none`` cell
    encodes as zeros.
``seq`` (35)
    The NAO / SemiNAS token sequence NASLib feeds its seminas predictor (vocabulary of 9): for
    each node ``j = 1..7`` of the 8-node DAG, the tokens ``A[i, j] + 1`` for ``i < j`` (1: no
    edge, 2: edge), then the node's token: ``code + 3`` for op nodes (3..7) and 8 for the
    output.
``graph`` (72)
    The same 8-node DAG as a graph (see :mod:`nasperf.spaces.structure`): the 8x8 adjacency,
    then the node labels, ids into :attr:`NB201Space.graph_labels` (``input``, ``output``, then
    the ops in NB201's order).
"""

from __future__ import annotations

import csv
import gzip
import itertools
import re
from collections.abc import Hashable, Mapping, Sequence
from functools import cache, lru_cache

import numpy as np

from ..exceptions import InvalidArchitectureError, InvalidDataError
from ..paths import find_data_file
from ._base import SearchSpace, literal_sequence
from .structure import graph_vector, seq_from_graph

__all__ = [
    "NB201Space",
    "OPS",
    "NASLIB_OPS",
    "CELL_EDGES",
    "NASLIB_EDGES",
    "NUM_ARCHS",
    "INDEX_TABLE_FILE",
]

#: the PyTorch modules of the network (``NB201Cell``, ``NB201Network``), imported on first use
#: (they need torch)
_TORCH_NAMES = ("NB201Cell", "NB201Network")


def __getattr__(name: str) -> object:
    if name in _TORCH_NAMES:
        from . import _nb201_net

        return getattr(_nb201_net, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: operation names in the order of NB201's own op list
OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
#: operation names in NASLib's order: a NASLib tuple holds indices into this list
NASLIB_OPS = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
#: edges (source, target), nodes 0..3, in the order the cell string lists them
CELL_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
#: the same edges in NASLib's order ((1,2), (1,3), (1,4), (2,3), (2,4), (3,4) in its numbering)
NASLIB_EDGES = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
#: number of cells in the space
NUM_ARCHS = len(OPS) ** len(CELL_EDGES)
#: the table that maps NB201 topology indices to cell strings (relative to ``NASPERF_DATA``)
INDEX_TABLE_FILE = "nb201/nb201_cifar10.csv.gz"
_INDEX_TABLE_SOURCE = "NAS-Bench-201 (Dong and Yang, ICLR 2020)"

_N_OPS = len(OPS)
_N_EDGES = len(CELL_EDGES)
_OUTPUT = 3
_EXAMPLE = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|none~1|none~2|"
_EXPECTED = (
    f"expected an NB201 cell string like {_EXAMPLE!r}, a NASLib tuple of 6 op indices "
    "(0..4, NASLib op order skip_connect, none, nor_conv_3x3, nor_conv_1x1, avg_pool_3x3) "
    "or its string form like '(4, 3, 3, 3, 2, 3)', or a list of 6 op names in cell-string order"
)
# position in cell-string order of the k-th NASLib edge
_NASLIB_TO_CELL = tuple(CELL_EDGES.index(e) for e in NASLIB_EDGES)
_CODE_OF = {name: NASLIB_OPS.index(name) for name in OPS}  # op name -> NASLib code
_OP_RE = "([^|~+]*)"
_CELL_RE = re.compile(
    rf"\|{_OP_RE}~0\|\+\|{_OP_RE}~0\|{_OP_RE}~1\|\+\|{_OP_RE}~0\|{_OP_RE}~1\|{_OP_RE}~2\|"
)


def _cell_string(ops: Sequence[str]) -> str:
    """Write 6 op names (cell-string edge order) as the canonical cell string."""
    a, b, c, d, e, f = ops
    return f"|{a}~0|+|{b}~0|{c}~1|+|{d}~0|{e}~1|{f}~2|"


def _bad(message: str) -> InvalidArchitectureError:
    return InvalidArchitectureError(f"{message}; {_EXPECTED}")


def _check_op(name: str, where: str) -> str:
    if name not in OPS:
        raise _bad(f"unknown NB201 operation {name!r} {where} (known: {', '.join(OPS)})")
    return name


@lru_cache(maxsize=1 << 16)
def _ops_from_cell_string(text: str) -> tuple[str, ...]:
    """Return the 6 op names of a cell string, or raise with the first problem found."""
    match = _CELL_RE.fullmatch(text.strip())
    if match is not None:
        return tuple(_check_op(op, f"in cell string {text!r}") for op in match.groups())
    # diagnose the malformed string
    groups = text.strip().split("+")
    if len(groups) != 3:
        raise _bad(
            f"cell string {text!r} has {len(groups)} node group(s) separated by '+', "
            "but an NB201 cell has 3 (the incoming edges of nodes 1, 2 and 3)"
        )
    for target, group in enumerate(groups, start=1):
        if len(group) < 2 or not group.startswith("|") or not group.endswith("|"):
            raise _bad(f"node group {group!r} of cell string {text!r} is not enclosed in '|'")
        entries = group[1:-1].split("|")
        if len(entries) != target:
            raise _bad(
                f"node {target} in cell string {text!r} lists {len(entries)} incoming edge(s) "
                f"but must list {target} (from nodes 0..{target - 1})"
            )
        for source, entry in enumerate(entries):
            op, sep, index = entry.partition("~")
            if not sep:
                raise _bad(f"edge {entry!r} in cell string {text!r} is not of the form 'op~node'")
            if index != str(source):
                raise _bad(
                    f"edge {entry!r} into node {target} in cell string {text!r} names source "
                    f"node {index!r}; edge {source + 1} of that group must come from node {source}"
                )
            _check_op(op, f"in cell string {text!r}")
    raise _bad(f"cannot read cell string {text!r}")  # pragma: no cover - all cases caught above


def _ops_from_codes(codes: Sequence[object]) -> tuple[str, ...]:
    """Convert a NASLib 6-tuple of op indices to op names in cell-string order."""
    if len(codes) != _N_EDGES:
        raise _bad(f"a NASLib NB201 tuple has 6 op indices, got {len(codes)}: {codes!r}")
    names = [""] * _N_EDGES
    for k, code in enumerate(codes):
        if isinstance(code, (bool, np.bool_)) or not isinstance(code, (int, np.integer)):
            raise _bad(f"NASLib op index {code!r} at position {k} is not an integer")
        if not 0 <= int(code) < _N_OPS:
            raise _bad(f"NASLib op index {code!r} at position {k} is outside 0..4")
        names[_NASLIB_TO_CELL[k]] = NASLIB_OPS[int(code)]
    return tuple(names)


def _ops_of(arch: object) -> tuple[str, ...]:
    """Return the 6 op names (cell-string order) of any accepted form of an architecture."""
    if isinstance(arch, str):
        text = arch.strip()
        if "|" in text or "~" in text:
            return _ops_from_cell_string(arch)
        if text and text[0] in "([":
            return _ops_from_codes(literal_sequence(arch, text, "a tuple of op indices", _bad))
        raise _bad(f"cannot read {arch!r} as an NB201 architecture")
    if isinstance(arch, np.ndarray):
        if arch.ndim != 1:
            raise _bad(f"an array of op indices must be 1-D, got shape {arch.shape}")
        arch = arch.tolist()
    if isinstance(arch, (tuple, list)):
        if len(arch) == _N_EDGES and all(isinstance(x, str) for x in arch):
            return tuple(_check_op(x, f"at position {k}") for k, x in enumerate(arch))
        return _ops_from_codes(arch)
    raise _bad(f"cannot read an NB201 architecture from a {type(arch).__name__} ({arch!r})")


def _line_graph() -> np.ndarray:
    """The 8x8 adjacency of the op-on-node DAG (input, 6 edges in NASLib order, output)."""
    adj = np.zeros((_N_EDGES + 2, _N_EDGES + 2), dtype=np.int64)
    for k, (src, dst) in enumerate(NASLIB_EDGES):
        if src == 0:
            adj[0, k + 1] = 1
        if dst == _OUTPUT:
            adj[k + 1, _N_EDGES + 1] = 1
        for m, (src2, _) in enumerate(NASLIB_EDGES):
            if src2 == dst:
                adj[k + 1, m + 1] = 1
    return adj


def _cell_paths() -> tuple[tuple[int, ...], ...]:
    """All input-to-output paths, as tuples of cell-string edge positions."""
    paths: list[tuple[int, ...]] = []

    def walk(node: int, path: tuple[int, ...]) -> None:
        if node == _OUTPUT:
            paths.append(path)
            return
        for pos, (src, dst) in enumerate(CELL_EDGES):
            if src == node:
                walk(dst, (*path, pos))

    walk(0, ())
    return tuple(sorted(paths, key=lambda p: (len(p), p)))


_ADJ = _line_graph()
_ADJ_UPPER = _ADJ[np.triu_indices(_N_EDGES + 2, k=1)].astype(float)
_PATHS = _cell_paths()
_PATH_OFFSETS = (0, 0, _N_OPS, _N_OPS + _N_OPS**2)  # indexed by path length 1..3
_PATH_LENGTH = _N_OPS + _N_OPS**2 + _N_OPS**3


@cache
def _file_index_table() -> tuple[dict[str, int], dict[int, str]]:
    """Load the NB201 index table from ``$NASPERF_DATA`` once."""
    path = find_data_file(INDEX_TABLE_FILE, _INDEX_TABLE_SOURCE)
    mapping: dict[int, str] = {}
    with gzip.open(path, "rt", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"index", "arch_str"} - set(reader.fieldnames or ())
        if missing:
            raise InvalidDataError(
                f"{path} lacks the column(s) {sorted(missing)}; it needs 'index' and 'arch_str'"
            )
        for row in reader:
            try:
                index = int(row["index"])
            except ValueError as exc:
                raise InvalidDataError(f"{path}: index {row['index']!r} is not an integer") from exc
            mapping[index] = row["arch_str"]
    return _build_table(mapping, str(path))


def _build_table(
    mapping: Mapping[int, object], origin: str
) -> tuple[dict[str, int], dict[int, str]]:
    """Validate an index -> architecture mapping; return (arch -> index, index -> arch)."""
    by_index: dict[int, str] = {}
    by_arch: dict[str, int] = {}
    for index, arch in mapping.items():
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise InvalidDataError(f"{origin}: NB201 index {index!r} is not an integer")
        try:
            canonical = _cell_string(_ops_of(arch))
        except InvalidArchitectureError as exc:
            raise InvalidDataError(f"{origin}: entry for index {index}: {exc}") from exc
        if canonical in by_arch:
            raise InvalidDataError(
                f"{origin}: cell {canonical} has two indices, {by_arch[canonical]} and {index}"
            )
        by_index[int(index)] = canonical
        by_arch[canonical] = int(index)
    return by_arch, by_index


class NB201Space(SearchSpace):
    """NAS-Bench-201: a 4-node cell whose 6 edges each carry one of 5 operations.

    ``index_table`` (index -> architecture in any accepted form) overrides the topology-index
    table that is otherwise read lazily from ``$NASPERF_DATA/nb201/nb201_cifar10.csv.gz``.
    """

    name = "nb201"
    encodings = ("onehot", "adjacency", "path", "seq", "graph")
    default_encoding = "onehot"
    #: node labels of the ``graph`` encoding
    graph_labels = ("input", "output", *OPS)
    #: tokens of the ``seq`` encoding are 0 .. seq_vocabulary - 1
    seq_vocabulary = 9

    def __init__(self, index_table: Mapping[int, object] | None = None) -> None:
        self._table: tuple[dict[str, int], dict[int, str]] | None = None
        if index_table is not None:
            self.set_index_table(index_table)

    # -- conversions -----------------------------------------------------------------------

    def parse(self, arch: object) -> str:
        """Return the canonical cell string of ``arch`` (cell string, NASLib tuple or op list)."""
        return _cell_string(_ops_of(arch))

    def ops_of(self, arch: object) -> list[str]:
        """Return the 6 op names of ``arch`` in cell-string edge order (:data:`CELL_EDGES`)."""
        return list(_ops_of(arch))

    def build(self, arch: object, **kwargs: object):  # noqa: ANN201 - a torch.nn.Module
        """Build the PyTorch network of ``arch`` (needs the ``torch`` extra).

        ``kwargs`` (``C``, ``N``, ``in_channels``, ``num_classes``) go to
        :func:`nasperf.spaces._nb201_net.build_nb201_network`; the defaults give the
        benchmark's CIFAR-10 network, whose parameter count equals the published one.
        """
        from ..exceptions import require

        require("torch", "torch")
        from ._nb201_net import build_nb201_network

        return build_nb201_network(arch, **kwargs)

    def to_tuple(self, arch: object) -> tuple[int, ...]:
        """Return NASLib's 6-tuple of op indices (NASLib edge and op order)."""
        ops = _ops_of(arch)
        return tuple(_CODE_OF[ops[pos]] for pos in _NASLIB_TO_CELL)

    def from_tuple(self, t: object) -> str:
        """Return the cell string of a NASLib 6-tuple (or its string form)."""
        if isinstance(t, str):
            if "|" in t or "~" in t:
                raise _bad(f"{t!r} is a cell string, not a NASLib tuple")
            return self.parse(t)
        if isinstance(t, np.ndarray):
            t = t.tolist()
        if not isinstance(t, (tuple, list)):
            raise _bad(f"a NASLib tuple must be a tuple or list of 6 ints, got {t!r}")
        return _cell_string(_ops_from_codes(t))

    def all_archs(self) -> list[str]:
        """Return all 15,625 cell strings (ops varied in :data:`OPS` order, last edge fastest)."""
        return [_cell_string(ops) for ops in itertools.product(OPS, repeat=_N_EDGES)]

    # -- topology index --------------------------------------------------------------------

    def set_index_table(self, mapping: Mapping[int, object] | None) -> None:
        """Use ``mapping`` (NB201 index -> architecture) for :meth:`to_index`/:meth:`from_index`.

        ``None`` goes back to the table file. Raises InvalidDataError on a malformed mapping.
        """
        self._table = None if mapping is None else _build_table(mapping, "NB201 index table")

    def _index_table(self) -> tuple[dict[str, int], dict[int, str]]:
        return self._table if self._table is not None else _file_index_table()

    def to_index(self, arch: object) -> int:
        """Return the NAS-Bench-201 topology index of ``arch`` (from the index table)."""
        canonical = self.parse(arch)
        by_arch, _ = self._index_table()
        try:
            return by_arch[canonical]
        except KeyError:
            raise InvalidArchitectureError(
                f"cell {canonical} has no NB201 index in the index table ({len(by_arch)} entries)"
            ) from None

    def from_index(self, i: object) -> str:
        """Return the cell string of NAS-Bench-201 topology index ``i``."""
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise InvalidArchitectureError(
                f"an NB201 index must be an integer in 0..{NUM_ARCHS - 1}, got {i!r}"
            )
        _, by_index = self._index_table()
        try:
            return by_index[int(i)]
        except KeyError:
            raise InvalidArchitectureError(
                f"NB201 index {i} is not in the index table; expected an integer in "
                f"0..{NUM_ARCHS - 1}"
            ) from None

    # -- properties ------------------------------------------------------------------------

    def is_valid_connected(self, arch: object) -> bool:
        """Return False when every input-to-output path crosses a ``none`` edge."""
        ops = _ops_of(arch)
        return any(all(ops[pos] != "none" for pos in path) for path in _PATHS)

    # -- encodings -------------------------------------------------------------------------

    def _encode_onehot(self, arch: str) -> np.ndarray:
        out = np.zeros(_N_EDGES * _N_OPS)
        for k, code in enumerate(self.to_tuple(arch)):
            out[k * _N_OPS + code] = 1.0
        return out

    def _encode_adjacency(self, arch: str) -> np.ndarray:
        return np.concatenate([_ADJ_UPPER, self._encode_onehot(arch)])

    def _encode_path(self, arch: str) -> np.ndarray:
        ops = _ops_of(arch)
        out = np.zeros(_PATH_LENGTH)
        for path in _PATHS:
            names = [ops[pos] for pos in path]
            if "none" in names:
                continue
            value = 0
            for name in names:
                value = value * _N_OPS + _CODE_OF[name]
            out[_PATH_OFFSETS[len(path)] + value] = 1.0
        return out

    def _encode_seq(self, arch: str) -> np.ndarray:
        # op tokens: input 0 (never written), op nodes code + 3 (3..7), output 8
        tokens = [0, *(code + 3 for code in self.to_tuple(arch)), _N_EDGES + 2]
        return seq_from_graph(_ADJ, tokens, _N_EDGES + 2)

    def _encode_graph(self, arch: str) -> np.ndarray:
        labels = [0, *(2 + OPS.index(NASLIB_OPS[c]) for c in self.to_tuple(arch)), 1]
        return graph_vector(_ADJ, labels, _N_EDGES + 2)

    # -- search ----------------------------------------------------------------------------

    def sample(self, rng: np.random.Generator) -> str:
        """Draw one of the 15,625 cells uniformly."""
        codes = rng.integers(0, _N_OPS, size=_N_EDGES)
        return _cell_string([OPS[int(c)] for c in codes])

    def mutate(self, arch: object, rng: np.random.Generator) -> str:
        """Change the op of one random edge to a different random op."""
        ops = list(_ops_of(arch))
        pos = int(rng.integers(_N_EDGES))
        others = [op for op in OPS if op != ops[pos]]
        ops[pos] = others[int(rng.integers(len(others)))]
        return _cell_string(ops)

    def neighbours(self, arch: object) -> list[Hashable]:
        """Return the 24 cells that differ from ``arch`` on exactly one edge."""
        ops = _ops_of(arch)
        result: list[Hashable] = []
        for pos in range(_N_EDGES):
            for op in OPS:
                if op != ops[pos]:
                    result.append(_cell_string([*ops[:pos], op, *ops[pos + 1 :]]))
        return result
