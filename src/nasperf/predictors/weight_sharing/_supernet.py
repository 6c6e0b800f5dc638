"""The NB201 supernet: every edge of every cell holds all five candidate operations.

:class:`NB201Supernet` has the macro-structure of nasperf's NB201 network
(:class:`~nasperf.spaces.nb201.NB201Network`: stem, three stages of ``N`` cells with
``C``, ``2C`` and ``4C`` channels, residual reductions, last BatchNorm-ReLU, pooling, linear
classifier) and the same modules: its stem, reductions and head are built by that class, and
operation ``j`` of edge ``k`` of a cell is edge ``k`` of an :class:`NB201Cell` whose six edges
all hold ``OPS[j]``. A cell of the space is one *path*: one operation index per edge.

``supernet(x, path)`` runs only ``path``'s operations (single path); ``supernet(x)`` (path None)
runs all five operations of every edge and sums them (the one-shot model of NASLib's
``OneShotNASOptimizer``). :meth:`NB201Supernet.extract` copies the weights a cell inherits into
a standalone network built by nasperf's own NB201 builder, which then computes exactly what the
supernet computes on that path.

:func:`train_supernet` trains it by uniform single-path sampling (each step draws one operation
per edge uniformly at random, only that path runs and gets gradients, so SGD and Adam leave the
other operations' weights, momenta and BatchNorm statistics untouched) or, with
``sampling="all"``, with every operation active in every step.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...data import ArrayDataset
from ...exceptions import ConfigurationError
from ...spaces import get_space
from ...spaces.nb201 import CELL_EDGES, OPS, NB201Cell, NB201Network
from ...training import TrainConfig, evaluate_batches, learning_rate, make_optimizer, seeded

__all__ = [
    "NB201Supernet",
    "SuperCell",
    "SupernetTraining",
    "SAMPLINGS",
    "path_of",
    "train_supernet",
    "recalibrate_bn",
    "accuracy",
]

logger = logging.getLogger(__name__)

#: how :func:`train_supernet` picks the operations of a step: one uniformly drawn path, or all
SAMPLINGS = ("uniform", "all")
_N_NODES = 4

Path = tuple[int, ...]


def path_of(arch: object) -> Path:
    """The operation index (into :data:`~nasperf.spaces.nb201.OPS`) of each edge of ``arch``,
    in cell-string edge order; InvalidArchitectureError if ``arch`` is no NB201 cell."""
    return tuple(OPS.index(op) for op in get_space("nb201").ops_of(arch))


class SuperCell(nn.Module):
    """An NB201 cell whose every edge holds all five operations.

    ``choices[j].edges[k]`` is operation ``OPS[j]`` on edge ``k``: ``choices[j]`` is an
    :class:`NB201Cell` with ``OPS[j]`` on all six edges, so each operation is the very module
    nasperf's builder makes for it.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.choices = nn.ModuleList(NB201Cell((op,) * len(CELL_EDGES), channels) for op in OPS)

    def _edge(self, k: int, x: torch.Tensor, path: Path | None) -> torch.Tensor:
        if path is not None:
            return self.choices[path[k]].edges[k](x)
        total = self.choices[0].edges[k](x)
        for choice in self.choices[1:]:
            total = total + choice.edges[k](x)
        return total

    def forward(self, x: torch.Tensor, path: Path | None = None) -> torch.Tensor:
        """Node ``j`` sums its edges from nodes ``i < j`` (the same order as NB201Cell); each
        edge runs ``path``'s operation, or all five summed when ``path`` is None."""
        nodes = [x]
        for target in range(1, _N_NODES):
            total = None
            for k, (source, dst) in enumerate(CELL_EDGES):
                if dst != target:
                    continue
                out = self._edge(k, nodes[source], path)
                total = out if total is None else total + out
            nodes.append(total)
        return nodes[-1]


class NB201Supernet(nn.Module):
    """NB201's network with a :class:`SuperCell` in place of every cell.

    ``forward(x, path)`` runs the cell ``path`` (a tuple of six operation indices, see
    :func:`path_of`); ``path=None`` runs every operation of every edge, summed.
    """

    def __init__(
        self, C: int = 16, N: int = 5, in_channels: int = 3, num_classes: int = 10
    ) -> None:
        super().__init__()
        # the macro-structure and its modules come from nasperf's own network
        template = NB201Network(
            ("none",) * len(CELL_EDGES), C=C, N=N, in_channels=in_channels,
            num_classes=num_classes,
        )  # fmt: skip
        self.C, self.N = C, N
        self.in_channels, self.num_classes = in_channels, num_classes
        self.stem = template.stem
        widths = [w for stage, w in enumerate((C, 2 * C, 4 * C)) for _ in range(N + (stage > 0))]
        self.cells = nn.ModuleList(
            SuperCell(width) if isinstance(module, NB201Cell) else module
            for module, width in zip(template.cells, widths, strict=True)
        )
        self.lastact = template.lastact
        self.global_pooling = template.global_pooling
        self.classifier = template.classifier

    def forward(self, x: torch.Tensor, path: Path | None = None) -> torch.Tensor:
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x, path) if isinstance(cell, SuperCell) else cell(x)
        x = torch.flatten(self.global_pooling(self.lastact(x)), 1)
        return self.classifier(x)

    def inherited_state(self, arch: object) -> dict[str, torch.Tensor]:
        """The state (parameters and buffers) that cell ``arch`` inherits, under the names of
        its standalone :class:`NB201Network` (copies, not views of the supernet's tensors)."""
        path = path_of(arch)
        state: dict[str, torch.Tensor] = {}
        for name, value in self.state_dict().items():
            parts = name.split(".")
            if parts[0] == "cells" and parts[2] == "choices":
                # cells.I.choices.J.edges.K.rest -> cells.I.edges.K.rest, kept if J is K's op
                if path[int(parts[5])] != int(parts[3]):
                    continue
                name = ".".join(parts[:2] + parts[4:])
            state[name] = value.detach().clone()
        return state

    def extract(self, arch: object) -> NB201Network:
        """A standalone network of ``arch``, built by nasperf's NB201 builder, holding the
        weights and BatchNorm statistics it inherits from the supernet (on the supernet's
        device, in eval mode); it computes what ``self(x, path_of(arch))`` does."""
        device = next(self.parameters()).device
        with seeded(0):  # its own initial weights are overwritten: keep the caller's RNG
            net = get_space("nb201").build(
                arch, C=self.C, N=self.N, in_channels=self.in_channels,
                num_classes=self.num_classes,
            )  # fmt: skip
        net.to(device).load_state_dict(self.inherited_state(arch), strict=True)
        return net.eval()


@dataclass(frozen=True)
class SupernetTraining:
    """What :func:`train_supernet` did: wall seconds, the mean training loss of each epoch,
    the optimizer steps and the path of each step (empty when every operation was trained)."""

    seconds: float
    losses: tuple[float, ...]
    steps: int
    paths: tuple[Path, ...]


def train_supernet(
    supernet: NB201Supernet,
    data: ArrayDataset,
    config: TrainConfig,
    *,
    sampling: str = "uniform",
    seed: int = 0,
) -> SupernetTraining:
    """Train ``supernet`` on the training split of ``data`` for ``config.epochs`` epochs.

    Each epoch visits the split once in an order drawn from ``seed`` (batches of
    ``config.batch_size``), with ``config``'s optimizer, learning-rate schedule, weight decay,
    label smoothing and gradient clipping. ``sampling="uniform"`` draws one operation per edge
    uniformly for each step (from ``seed``'s own stream) and runs only that path;
    ``sampling="all"`` runs every operation. Gradients are reset to None each step, so the
    optimizer skips the operations a step did not run. A non-finite epoch loss raises
    ConfigurationError.
    """
    if sampling not in SAMPLINGS:
        raise ConfigurationError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    start = time.perf_counter()
    device = next(supernet.parameters()).device
    x = torch.from_numpy(data.x_train).to(device)
    y = torch.from_numpy(data.y_train).to(device)
    order = torch.Generator().manual_seed(int(seed))
    paths_rng = np.random.default_rng([int(seed), 1])
    optimizer = make_optimizer(supernet, config)
    bs, n = config.batch_size, len(y)
    steps = -(-n // bs)
    losses: list[float] = []
    paths: list[Path] = []
    supernet.train()
    for epoch in range(config.epochs):
        perm = torch.randperm(n, generator=order).to(device)
        total = torch.zeros((), device=device)
        for step in range(steps):
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(config, epoch, step, steps)
            path = None
            if sampling == "uniform":
                path = tuple(int(i) for i in paths_rng.integers(0, len(OPS), len(CELL_EDGES)))
                paths.append(path)
            idx = perm[step * bs : (step + 1) * bs]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            loss = F.cross_entropy(supernet(xb, path), yb, label_smoothing=config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip is not None:
                nn.utils.clip_grad_norm_(supernet.parameters(), config.grad_clip)
            optimizer.step()
            total += loss.detach() * len(idx)
        mean = total.item() / n
        if not math.isfinite(mean):
            raise ConfigurationError(
                f"the supernet's training loss became non-finite in epoch {epoch + 1}; "
                "lower the learning rate or set grad_clip in train_config"
            )
        losses.append(mean)
        logger.debug("supernet epoch %d/%d: loss %.4f", epoch + 1, config.epochs, mean)
    supernet.eval()
    return SupernetTraining(time.perf_counter() - start, tuple(losses), steps * config.epochs,
                            tuple(paths))  # fmt: skip


@torch.no_grad()
def recalibrate_bn(net: nn.Module, x: torch.Tensor, batch_size: int, batches: int) -> None:
    """Recompute every BatchNorm's running statistics of ``net`` from scratch: their plain
    average over the first ``batches`` batches of ``x`` (forwarded in train mode, without
    gradients). Leaves ``net`` in eval mode."""
    norms = [
        m for m in net.modules() if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d | nn.BatchNorm3d)
    ]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches
    net.train()
    try:
        for start in range(0, min(len(x), batches * batch_size), batch_size):
            net(x[start : start + batch_size])
    finally:
        for m, momentum in zip(norms, momenta, strict=True):
            m.momentum = momentum
        net.eval()


def accuracy(net: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> float:
    """Top-1 accuracy (percent) of ``net`` on ``(x, y)`` in eval mode (the Trainer's
    evaluation; an empty split scores 0)."""
    if len(y) == 0:
        return 0.0
    return evaluate_batches(net, x, y, batch_size)[1]
