"""Architectures as graphs and as token sequences, for the predictors that learn a representation.

Spaces that offer them declare two encodings:

``graph`` (``n * n + n``)
    The op-on-node DAG of the cell, its ``n x n`` adjacency row by row (``A[i, j] = 1`` for an
    edge ``i -> j``; nodes in topological order, so the matrix is strictly upper-triangular),
    then one label id per node, an index into the space's ``graph_labels``; ``-1`` marks a padding
    node (no edges), for cells with fewer nodes than the space's maximum.
``seq``
    The NAO / SemiNAS token sequence: integer tokens ``1 .. seq_vocabulary - 1`` (0 is the
    decoder's start token and the padding of absent nodes).

:func:`decode_graph` turns a ``graph`` vector back into a :class:`CellGraph`, checking it, and
:func:`check_tokens` checks token sequences; both raise
:class:`~nasperf.exceptions.InvalidDataError` saying what is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..exceptions import InvalidDataError

__all__ = ["CellGraph", "graph_vector", "decode_graph", "check_tokens", "seq_from_graph"]


@dataclass(frozen=True)
class CellGraph:
    """A cell's DAG without padding: ``adjacency`` (n x n, 0/1, strictly upper-triangular) and
    ``labels`` (n label ids into the space's ``graph_labels``)."""

    adjacency: np.ndarray
    labels: np.ndarray

    @property
    def num_nodes(self) -> int:
        return len(self.labels)

    def edges(self) -> list[tuple[int, int]]:
        """The edges ``(i, j)`` of the DAG."""
        rows, cols = np.nonzero(self.adjacency)
        return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True)]


def graph_vector(adjacency: np.ndarray, labels: Sequence[int], size: int) -> np.ndarray:
    """The ``graph`` encoding of a DAG padded to ``size`` nodes (padding label -1)."""
    n = len(labels)
    if n > size:
        raise InvalidDataError(f"a graph of {n} nodes does not fit the space's {size}")
    adj = np.zeros((size, size))
    adj[:n, :n] = adjacency
    ids = np.full(size, -1.0)
    ids[:n] = labels
    return np.concatenate([adj.reshape(-1), ids])


def decode_graph(vector: np.ndarray, num_labels: int, what: str = "graph") -> CellGraph:
    """Read a ``graph`` encoding back, dropping padding nodes, and check it.

    Raises InvalidDataError when the length is not ``n * n + n``, the adjacency is not 0/1 or
    not strictly upper-triangular (a self-loop or a backward edge), a label id lies outside
    ``0 .. num_labels - 1`` (or -1 for padding), or a padding node has edges.
    """
    vector = np.asarray(vector, dtype=np.float64).reshape(-1)
    n = int(round((-1 + math.sqrt(1 + 4 * len(vector))) / 2))
    if n < 1 or n * n + n != len(vector):
        raise InvalidDataError(
            f"{what}: a graph encoding holds n*n adjacency entries and n labels; "
            f"{len(vector)} values fit no n"
        )
    adj, ids = vector[: n * n].reshape(n, n), vector[n * n :]
    if not np.all((adj == 0) | (adj == 1)):
        raise InvalidDataError(f"{what}: the adjacency matrix must hold only 0 and 1")
    if np.any(np.tril(adj)):
        i, j = (int(v[0]) for v in np.nonzero(np.tril(adj)))
        raise InvalidDataError(
            f"{what}: edge {i} -> {j} is not forward; the adjacency of a DAG in topological "
            "order is strictly upper-triangular"
        )
    if not np.all(ids == np.round(ids)) or np.any(ids < -1) or np.any(ids >= num_labels):
        raise InvalidDataError(
            f"{what}: node labels must be ids 0..{num_labels - 1} (or -1 for padding), got "
            f"{sorted(set(ids.tolist()))}"
        )
    keep = ids >= 0
    if np.any(adj[~keep]) or np.any(adj[:, ~keep]):
        raise InvalidDataError(f"{what}: a padding node (label -1) has edges")
    return CellGraph(adj[np.ix_(keep, keep)].astype(np.int64), ids[keep].astype(np.int64))


def check_tokens(tokens: np.ndarray, vocabulary: int, max_length: int, what: str) -> np.ndarray:
    """Return ``tokens`` (a 2-D array, one sequence a row) as int64, or raise InvalidDataError
    when a row is longer than ``max_length`` or a token lies outside ``0 .. vocabulary - 1``."""
    tokens = np.asarray(tokens, dtype=np.float64)
    if tokens.ndim != 2:
        raise InvalidDataError(f"{what}: expected one token sequence per record")
    if tokens.shape[1] > max_length:
        raise InvalidDataError(
            f"{what}: sequences of {tokens.shape[1]} tokens are longer than the model's maximum "
            f"of {max_length} (it was fitted on another space's sequences?)"
        )
    bad = (tokens != np.round(tokens)) | (tokens < 0) | (tokens >= vocabulary)
    if np.any(bad):
        row, col = (int(v[0]) for v in np.nonzero(bad))
        raise InvalidDataError(
            f"{what}: token {tokens[row, col]:g} at position {col} of sequence {row} is outside "
            f"the vocabulary 0..{vocabulary - 1}"
        )
    return tokens.astype(np.int64)


def seq_from_graph(adjacency: np.ndarray, op_tokens: Sequence[int], max_nodes: int) -> np.ndarray:
    """NASLib's SemiNAS sequence of an op-on-node DAG: for each node ``j = 1 .. max_nodes - 1``,
    the tokens ``A[i, j] + 1`` of its possible inputs ``i < j``, then its op token; nodes past
    the graph's own are written as zeros."""
    n = len(op_tokens)
    out: list[int] = []
    for col in range(1, max_nodes):
        if col >= n:
            out.extend([0] * (col + 1))
            continue
        out.extend(int(adjacency[row, col]) + 1 for row in range(col))
        out.append(int(op_tokens[col]))
    return np.asarray(out, dtype=np.float64)
