"""Graph networks of the GCN and BONAS predictors (imports torch; dense batched adjacency).

Cells have at most a few dozen nodes, so graphs are batched as dense ``(B, n, n)`` adjacency
tensors padded to the largest graph of the batch, with one-hot node labels as features.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from ...spaces import CellGraph

__all__ = ["GraphBatch", "batch_graphs", "WenGCN", "BonasGCN", "train_graph_net", "run_graph_net"]


class GraphBatch:
    """Padded graphs: ``adj`` (B, n, n), one-hot ``x`` (B, n, L), node ``mask`` (B, n)."""

    def __init__(self, adj: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> None:
        self.adj, self.x, self.mask = adj, x, mask

    def __getitem__(self, idx: torch.Tensor) -> GraphBatch:
        return GraphBatch(self.adj[idx], self.x[idx], self.mask[idx])

    def __len__(self) -> int:
        return len(self.adj)


def batch_graphs(graphs: Sequence[CellGraph], num_labels: int) -> GraphBatch:
    """Pad ``graphs`` to the largest one and one-hot their labels."""
    n = max(g.num_nodes for g in graphs)
    adj = np.zeros((len(graphs), n, n), dtype=np.float32)
    x = np.zeros((len(graphs), n, num_labels), dtype=np.float32)
    mask = np.zeros((len(graphs), n), dtype=np.float32)
    for b, g in enumerate(graphs):
        k = g.num_nodes
        adj[b, :k, :k] = g.adjacency
        x[b, np.arange(k), g.labels] = 1.0
        mask[b, :k] = 1.0
    return GraphBatch(torch.from_numpy(adj), torch.from_numpy(x), torch.from_numpy(mask))


def _row_normalised(a: torch.Tensor) -> torch.Tensor:
    return a / a.sum(-1, keepdim=True).clamp_min(1e-12)


class _DirectedConv(nn.Module):
    """Wen et al.'s layer: ReLU of the mean of a forward and a backward propagation."""

    def __init__(self, d_in: int, d_out: int, dropout: float) -> None:
        super().__init__()
        self.w_fwd = nn.Parameter(torch.empty(d_in, d_out))
        self.w_bwd = nn.Parameter(torch.empty(d_in, d_out))
        nn.init.xavier_uniform_(self.w_fwd)
        nn.init.xavier_uniform_(self.w_bwd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, fwd: torch.Tensor, bwd: torch.Tensor) -> torch.Tensor:
        out = (F.relu(fwd @ (x @ self.w_fwd)) + F.relu(bwd @ (x @ self.w_bwd))) / 2
        return self.dropout(out)


class WenGCN(nn.Module):
    """The neural predictor of Wen et al. as White et al. ran it: directed graph convolutions
    over ``A + I`` (row-normalised, and its transpose), mean over the cell's nodes, two linear
    layers without bias."""

    def __init__(self, num_labels: int, hidden: int, layers: int, linear: int, dropout: float):
        super().__init__()
        sizes = [num_labels] + [hidden] * layers
        self.convs = nn.ModuleList(
            _DirectedConv(a, b, dropout) for a, b in zip(sizes, sizes[1:], strict=False)
        )
        self.fc1 = nn.Linear(hidden, linear, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.fc2 = nn.Linear(linear, 1, bias=False)

    def forward(self, g: GraphBatch) -> tuple[torch.Tensor, torch.Tensor]:
        fwd = _row_normalised(g.adj + torch.eye(g.adj.shape[-1]))
        bwd = _row_normalised(fwd.transpose(1, 2))  # as NASLib: the normalised matrix, transposed
        x = g.x
        for conv in self.convs:
            x = conv(x, fwd, bwd)
        pooled = (x * g.mask.unsqueeze(-1)).sum(1) / g.mask.sum(1, keepdim=True)
        emb = self.fc1(pooled)
        return self.fc2(self.dropout(emb)).squeeze(-1), emb


class _GraphConv(nn.Module):
    """Kipf and Welling's layer: ``A (X W) + b``."""

    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(d_in, d_out))
        self.bias = nn.Parameter(torch.empty(d_out))
        nn.init.uniform_(self.weight, -0.05, 0.05)
        nn.init.uniform_(self.bias, -1.0 / d_out**0.5, 1.0 / d_out**0.5)

    def forward(self, x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        return a @ (x @ self.weight) + self.bias


class BonasGCN(nn.Module):
    """BONAS's GCN: a global node fed by every node, graph convolutions with batch norm over
    the predecessors (self included, row-normalised); the global node's features are the
    architecture's embedding and a linear layer maps them to the score while training. Batch
    norm sees the real nodes only, so padding does not shift its statistics."""

    def __init__(self, num_labels: int, hidden: int, layers: int) -> None:
        super().__init__()
        sizes = [num_labels + 1] + [hidden] * layers
        self.convs = nn.ModuleList(_GraphConv(a, b) for a, b in zip(sizes, sizes[1:], strict=False))
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden) for _ in range(layers))
        self.fc = nn.Linear(hidden, 1)

    def forward(self, g: GraphBatch) -> tuple[torch.Tensor, torch.Tensor]:
        b, n, labels = g.x.shape
        adj = torch.zeros(b, n + 1, n + 1)
        adj[:, :n, :n] = g.adj
        adj[:, :n, n] = g.mask  # every node of the cell feeds the global node
        adj = adj + torch.eye(n + 1)
        a = _row_normalised(adj.transpose(1, 2))  # row i: node i's predecessors and itself
        x = torch.zeros(b, n + 1, labels + 1)
        x[:, :n, :labels] = g.x
        x[:, n, labels] = 1.0
        real = torch.cat([g.mask, torch.ones(b, 1)], dim=1).bool()
        for conv, norm in zip(self.convs, self.norms, strict=True):
            h = conv(x, a)
            x = torch.zeros_like(h)
            x[real] = F.relu(norm(h[real]))
        emb = x[:, n]
        return self.fc(emb).squeeze(-1), emb


def train_graph_net(
    model: nn.Module,
    graphs: GraphBatch,
    z: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    generator: torch.Generator,
) -> nn.Module:
    """Train ``model`` on ``z`` with Adam, MSE and a cosine-annealed rate; return it in eval mode.

    A batch of one graph is merged into the previous one (batch norm needs two)."""
    y = torch.as_tensor(z, dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    n = len(graphs)
    starts = list(range(0, n, batch_size))
    if len(starts) > 1 and n - starts[-1] < 2:
        starts.pop()
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for i, start in enumerate(starts):
            stop = starts[i + 1] if i + 1 < len(starts) else n
            idx = order[start:stop]
            pred, _ = model(graphs[idx])
            loss = F.mse_loss(pred, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    model.eval()
    return model


def run_graph_net(model: nn.Module, graphs: GraphBatch) -> tuple[np.ndarray, np.ndarray]:
    """The model's score and embedding of every graph (eval mode, no gradients)."""
    model.eval()
    with torch.no_grad():
        pred, emb = model(graphs)
    return pred.numpy().astype(np.float64), emb.numpy().astype(np.float64)
