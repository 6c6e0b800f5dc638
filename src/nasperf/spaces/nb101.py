"""The NAS-Bench-101 cell space, written as NASLib / NAS-Bench-Suite-Zero keys.

A cell is a DAG of 7 nodes (0 input, 6 output, 1..5 operations) with at most 9 edges. The
canonical form is NASLib's key: a tuple of 56 ints, the 7x7 adjacency matrix row by row
(``A[i, j] = 1`` for an edge ``i -> j``, strictly upper-triangular) followed by the 7 op codes
of :data:`OPS` (0 input, 1 output, 2 maxpool3x3, 3 conv1x1-bn-relu, 4 conv3x3-bn-relu).

Like NASLib's keys, a cell may contain *dangling* nodes, which lie on no input-to-output path
and which NAS-Bench-101 prunes away before it builds (or looks up) the network. Validity is
judged on the pruned cell: the output must be reachable from the input and the pruned cell
must have at most 9 edges. :meth:`NB101Space.fingerprint` gives NAS-Bench-101's
isomorphism-invariant module hash, so keys that denote the same network can be recognised.

Encodings (computed on the pruned cell, so keys that differ only in dangling nodes agree):

``adjacency`` (36)
    The 21 strictly-upper-triangular entries of the 7x7 matrix, row by row ((0,1), (0,2), ...,
    (5,6)), with edges of pruned nodes removed; then for nodes 1..5 a one-hot of the op over
    (maxpool3x3, conv1x1-bn-relu, conv3x3-bn-relu), all zeros for a pruned node.
``path`` (364)
    Indicator per op sequence of every input-to-output path: the sequence of its middle ops
    (length 0..5, ops coded 0 maxpool3x3, 1 conv1x1, 2 conv3x3) sits at
    ``offset(L) + sum(c_k * 3 ** (L - k))`` with offsets 0, 1, 4, 13, 40, 121 for L = 0..5.
``seq`` (27)
    NASLib's SemiNAS sequence of the pruned cell (vocabulary of 7): for each node ``j = 1..6``
    the tokens ``A[i, j] + 1`` for ``i < j`` (1: no edge, 2: edge), then the node's op token
    (3 maxpool3x3, 4 conv1x1, 5 conv3x3, 6 output); nodes past the pruned cell's are zeros.
``graph`` (56)
    The pruned cell as a graph (see :mod:`nasperf.spaces.structure`): its adjacency padded to
    7x7, then the node labels, ids into :data:`OPS` (-1 for padding).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from ..exceptions import InvalidArchitectureError
from ._base import SearchSpace, literal_sequence
from .structure import graph_vector, seq_from_graph

__all__ = ["NB101Space", "OPS", "MIDDLE_OPS", "NUM_NODES", "MAX_EDGES"]

#: op names by NASLib op code
OPS = ("input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")
#: the ops a middle node may carry, in code order (codes 2, 3, 4)
MIDDLE_OPS = OPS[2:]
#: nodes of a cell, input and output included
NUM_NODES = 7
#: most edges a (pruned) cell may have
MAX_EDGES = 9

_N = NUM_NODES
_KEY_LENGTH = _N * _N + _N
_UPPER = np.triu_indices(_N, k=1)
_N_MID_OPS = len(MIDDLE_OPS)
_PATH_OFFSETS = tuple(sum(_N_MID_OPS**k for k in range(length)) for length in range(_N - 1))
_PATH_LENGTH = sum(_N_MID_OPS**k for k in range(_N - 1))
# NAS-Bench-101 labels nodes by their index in this list when it hashes a module
_NB101_LABEL_OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
_EXPECTED = (
    "expected an NB101 key: 56 ints (the 7x7 adjacency matrix row by row, then 7 op codes "
    "0 input, 1 output, 2 maxpool3x3, 3 conv1x1-bn-relu, 4 conv3x3-bn-relu), its string form "
    "'(0, 1, ...)', or a spec dict {'matrix': 7x7 0/1 matrix, 'ops': 7 op names}"
)


def _bad(message: str) -> InvalidArchitectureError:
    return InvalidArchitectureError(f"{message}; {_EXPECTED}")


def _is_int(x: object) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _key_from_spec(spec: Mapping[object, object]) -> tuple[int, ...]:
    if "matrix" not in spec or "ops" not in spec:
        raise _bad(f"a spec dict needs the keys 'matrix' and 'ops', got {sorted(map(str, spec))}")
    try:
        matrix = np.asarray(spec["matrix"])
    except (ValueError, TypeError) as exc:
        raise _bad(f"spec matrix {spec['matrix']!r} is not a 7x7 matrix") from exc
    if matrix.shape != (_N, _N):
        raise _bad(f"spec matrix has shape {matrix.shape}, but NB101 keys use 7x7 matrices")
    ops = spec["ops"]
    if isinstance(ops, str) or not isinstance(ops, Sequence) or len(ops) != _N:
        raise _bad(f"spec ops must be a list of 7 op names, got {ops!r}")
    codes: list[object] = []
    for op in ops:
        if isinstance(op, str):
            if op not in OPS:
                raise _bad(f"unknown NB101 op {op!r} (known: {', '.join(OPS)})")
            codes.append(OPS.index(op))
        else:
            codes.append(op)
    return (*matrix.reshape(-1).tolist(), *codes)


def _raw_key(arch: object) -> Sequence[object]:
    if isinstance(arch, str):
        text = arch.strip()
        if text[:1] not in ("(", "["):
            raise _bad(f"cannot read {arch!r} as an NB101 key")
        return literal_sequence(arch, text, "an NB101 key (a sequence of ints)", _bad)
    if isinstance(arch, Mapping):
        return _key_from_spec(arch)
    if isinstance(arch, np.ndarray):
        if arch.ndim != 1:
            raise _bad(f"an NB101 key array must be 1-D, got shape {arch.shape}")
        return arch.tolist()
    if isinstance(arch, (tuple, list)):
        return arch
    raise _bad(f"cannot read an NB101 architecture from a {type(arch).__name__} ({arch!r})")


def _live_nodes(matrix: np.ndarray) -> np.ndarray:
    """Boolean mask of nodes on some input-to-output path (input and output always kept)."""
    forward = np.zeros(_N, dtype=bool)
    forward[0] = True
    for j in range(1, _N):
        forward[j] = bool(np.any(matrix[:j, j] & forward[:j]))
    backward = np.zeros(_N, dtype=bool)
    backward[_N - 1] = True
    for i in range(_N - 2, -1, -1):
        backward[i] = bool(np.any(matrix[i, i + 1 :] & backward[i + 1 :]))
    live = forward & backward
    live[0] = live[_N - 1] = True
    return live


def _split(key: tuple[int, ...]) -> tuple[np.ndarray, tuple[int, ...]]:
    matrix = np.asarray(key[: _N * _N], dtype=np.int64).reshape(_N, _N)
    return matrix, key[_N * _N :]


def _pruned_in_place(key: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Return the matrix with edges of dangling nodes removed, and the live-node mask."""
    matrix, _ = _split(key)
    live = _live_nodes(matrix)
    return matrix * np.outer(live, live), live


def _problem(key: tuple[int, ...]) -> str | None:
    """Return why a well-formed 56-int key is not a valid NB101 cell, or None."""
    matrix, codes = _split(key)
    if codes[0] != 0 or codes[-1] != 1:
        return f"op codes must start with 0 (input) and end with 1 (output), got {list(codes)}"
    bad_ops = [c for c in codes[1:-1] if c not in (2, 3, 4)]
    if bad_ops:
        return f"middle nodes 1..5 must have op codes 2, 3 or 4, got {list(codes[1:-1])}"
    if np.any((matrix != 0) & (matrix != 1)):
        return "adjacency entries must be 0 or 1"
    lower = np.argwhere(np.tril(matrix) != 0)
    if len(lower):
        i, j = lower[0]
        return (
            f"the adjacency must be strictly upper-triangular (edges run from a lower to a "
            f"higher node), but it has an entry at row {i}, column {j}"
        )
    live = _live_nodes(matrix)
    if not _reaches_output(matrix):
        return "the output node is not reachable from the input node"
    edges = int((matrix * np.outer(live, live)).sum())
    if edges > MAX_EDGES:
        return (
            f"the cell has {edges} edges after pruning dangling nodes; "
            f"NAS-Bench-101 allows at most {MAX_EDGES}"
        )
    return None


def _reaches_output(matrix: np.ndarray) -> bool:
    forward = np.zeros(_N, dtype=bool)
    forward[0] = True
    for j in range(1, _N):
        forward[j] = bool(np.any(matrix[:j, j] & forward[:j]))
    return bool(forward[_N - 1])


def _check(raw: Sequence[object]) -> tuple[int, ...]:
    if len(raw) != _KEY_LENGTH:
        raise _bad(f"an NB101 key has {_KEY_LENGTH} ints, got {len(raw)}")
    for k, x in enumerate(raw):
        if not _is_int(x):
            raise _bad(f"entry {k} of the NB101 key is {x!r}, not an integer")
    key = tuple(int(x) for x in raw)
    problem = _problem(key)
    if problem is not None:
        raise _bad(f"invalid NB101 cell {key}: {problem}")
    return key


def _module_hash(matrix: np.ndarray, labels: list[int]) -> str:
    """NAS-Bench-101's iterated-neighbourhood md5 hash of a labelled DAG."""
    n = len(labels)
    in_deg = matrix.sum(axis=0).tolist()
    out_deg = matrix.sum(axis=1).tolist()
    hashes = [
        hashlib.md5(str((out_deg[v], in_deg[v], labels[v])).encode("utf-8")).hexdigest()
        for v in range(n)
    ]
    for _ in range(n):
        hashes = [
            hashlib.md5(
                (
                    "".join(sorted(hashes[w] for w in range(n) if matrix[w, v]))
                    + "|"
                    + "".join(sorted(hashes[w] for w in range(n) if matrix[v, w]))
                    + "|"
                    + hashes[v]
                ).encode("utf-8")
            ).hexdigest()
            for v in range(n)
        ]
    return hashlib.md5(str(sorted(hashes)).encode("utf-8")).hexdigest()


class NB101Space(SearchSpace):
    """NAS-Bench-101 cells as NASLib / NAS-Bench-Suite-Zero 56-int keys."""

    name = "nb101"
    encodings = ("adjacency", "path", "seq", "graph")
    default_encoding = "adjacency"
    #: node labels of the ``graph`` encoding
    graph_labels = OPS
    #: tokens of the ``seq`` encoding are 0 .. seq_vocabulary - 1
    seq_vocabulary = 7

    # -- conversions -----------------------------------------------------------------------

    def parse(self, arch: object) -> tuple[int, ...]:
        """Return the 56-int key of ``arch`` (a key, its string form, or a spec dict)."""
        if (
            isinstance(arch, tuple)
            and len(arch) == _KEY_LENGTH
            and all(type(x) is int for x in arch)
        ):
            problem = _problem(arch)
            if problem is not None:
                raise _bad(f"invalid NB101 cell {arch}: {problem}")
            return arch
        return _check(_raw_key(arch))

    def is_valid(self, arch: object) -> bool:
        """Return True when ``arch`` parses as a valid NB101 cell."""
        try:
            self.parse(arch)
        except InvalidArchitectureError:
            return False
        return True

    def spec(self, arch: object) -> dict[str, list]:
        """Return ``{'matrix': 7x7 list, 'ops': 7 op names}`` of the (unpruned) cell."""
        matrix, codes = _split(self.parse(arch))
        return {"matrix": matrix.tolist(), "ops": [OPS[c] for c in codes]}

    def pruned_spec(self, arch: object) -> dict[str, list]:
        """Return the spec with dangling nodes removed, as NAS-Bench-101 builds the network."""
        matrix, codes = self._pruned(self.parse(arch))
        return {"matrix": matrix.tolist(), "ops": [OPS[c] for c in codes]}

    def fingerprint(self, arch: object) -> str:
        """Return NAS-Bench-101's module hash: equal for cells that build the same network."""
        spec = self.pruned_spec(arch)
        matrix = np.asarray(spec["matrix"], dtype=np.int64)
        ops = spec["ops"]
        labels = [-1, *(_NB101_LABEL_OPS.index(op) for op in ops[1:-1]), -2]
        return _module_hash(matrix, labels)

    # -- encodings -------------------------------------------------------------------------

    def _encode_adjacency(self, arch: tuple[int, ...]) -> np.ndarray:
        matrix, live = _pruned_in_place(arch)
        codes = arch[_N * _N :]
        ops = np.zeros((_N - 2, _N_MID_OPS))
        for node in range(1, _N - 1):
            if live[node]:
                ops[node - 1, codes[node] - 2] = 1.0
        return np.concatenate([matrix[_UPPER].astype(float), ops.reshape(-1)])

    def _pruned(self, arch: tuple[int, ...]) -> tuple[np.ndarray, list[int]]:
        """The matrix and op codes of the cell's live nodes (a parsed key)."""
        matrix, codes = _split(arch)
        live = np.flatnonzero(_live_nodes(matrix))
        return matrix[np.ix_(live, live)], [codes[i] for i in live]

    def _encode_seq(self, arch: tuple[int, ...]) -> np.ndarray:
        matrix, codes = self._pruned(arch)
        # op tokens: input 0 (never written), middle ops 3..5, output 6
        tokens = [0, *(c + 1 for c in codes[1:-1]), 6]
        return seq_from_graph(matrix, tokens, _N)

    def _encode_graph(self, arch: tuple[int, ...]) -> np.ndarray:
        matrix, codes = self._pruned(arch)
        return graph_vector(matrix, codes, _N)

    def _encode_path(self, arch: tuple[int, ...]) -> np.ndarray:
        matrix, _ = _pruned_in_place(arch)
        codes = arch[_N * _N :]
        out = np.zeros(_PATH_LENGTH)

        def walk(node: int, length: int, value: int) -> None:
            for nxt in np.flatnonzero(matrix[node]):
                if nxt == _N - 1:
                    out[_PATH_OFFSETS[length] + value] = 1.0
                else:
                    walk(int(nxt), length + 1, value * _N_MID_OPS + codes[nxt] - 2)

        walk(0, 0, 0)
        return out

    # -- search ----------------------------------------------------------------------------

    def sample(self, rng: np.random.Generator, max_tries: int = 100_000) -> tuple[int, ...]:
        """Draw a valid cell by rejection: random upper-triangular matrix and random ops.

        Uniform over valid (matrix, ops) draws, as NASLib samples, not over distinct networks:
        a network with many isomorphic matrices is drawn more often.
        """
        for _ in range(max_tries):
            matrix = np.triu(rng.integers(0, 2, size=(_N, _N)), k=1)
            middle = rng.integers(2, 5, size=_N - 2)
            key = (*matrix.reshape(-1).tolist(), 0, *middle.tolist(), 1)
            if _problem(key) is None:
                return key
        raise InvalidArchitectureError(  # pragma: no cover - acceptance rate is far above 1e-5
            f"no valid NB101 cell found in {max_tries} random draws"
        )

    def _single_changes(self, key: tuple[int, ...]) -> list[tuple[int, ...]]:
        """Every valid key one edge flip or one op change away from ``key``."""
        out: list[tuple[int, ...]] = []
        for i, j in zip(*_UPPER, strict=True):
            changed = list(key)
            changed[i * _N + j] = 1 - changed[i * _N + j]
            out.append(tuple(changed))
        for node in range(1, _N - 1):
            for code in (2, 3, 4):
                if code != key[_N * _N + node]:
                    changed = list(key)
                    changed[_N * _N + node] = code
                    out.append(tuple(changed))
        return [k for k in out if _problem(k) is None]

    def neighbours(self, arch: object) -> list[Hashable]:
        """Return the valid cells one edge flip or op change away that build a different network.

        Changes that only touch dangling nodes, and changes that give a network isomorphic to
        one already listed, are left out (one key per distinct network).
        """
        key = self.parse(arch)
        seen = {self.fingerprint(key)}
        result: list[Hashable] = []
        for candidate in self._single_changes(key):
            fp = self.fingerprint(candidate)
            if fp not in seen:
                seen.add(fp)
                result.append(candidate)
        return result

    def mutate(self, arch: object, rng: np.random.Generator) -> tuple[int, ...]:
        """Return a uniformly chosen element of :meth:`neighbours` (a different network)."""
        options = self.neighbours(arch)
        if not options:  # pragma: no cover - every valid cell has neighbours
            raise InvalidArchitectureError(f"NB101 cell {arch!r} has no valid neighbour")
        return options[int(rng.integers(len(options)))]  # type: ignore[return-value]
