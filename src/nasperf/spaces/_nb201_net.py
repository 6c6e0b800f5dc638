"""A PyTorch builder for NAS-Bench-201 networks (imported lazily; needs the ``torch`` extra).

The network is NAS-Bench-201's ``TinyNetwork`` (``infer`` variant):

* stem: 3x3 conv (no bias) from ``in_channels`` to ``C``, then BatchNorm;
* three stages of ``N`` cells with ``C``, ``2C`` and ``4C`` channels, separated by residual
  reduction blocks (ReLU-conv3x3 stride 2-BN, ReLU-conv3x3-BN; shortcut 2x2 average pool
  stride 2 then a 1x1 conv without bias; the pool rounds up so odd sizes work too);
* a cell of 4 nodes, node ``j`` the sum of the ops on its edges from nodes ``i < j``; ops
  ``none`` (zeros), ``skip_connect`` (identity), ``nor_conv_1x1`` / ``nor_conv_3x3``
  (ReLU-conv without bias-BN), ``avg_pool_3x3`` (stride 1, padding 1, padding excluded);
* head: BatchNorm, ReLU, global average pool, Linear.

Every BatchNorm is affine (learnable scale and shift) and tracks running statistics, as in
the benchmark; with these choices :func:`~nasperf.spaces._complexity.count_params` gives the
published parameter count of every one of the 15,625 cells for ``C=16, N=5``, 3 input
channels and 10 classes (``params_m``, kept to 6 significant digits, so exact below 10**6;
the exact NAS-Bench-Suite-Zero counts agree above it too), and
:func:`~nasperf.spaces._complexity.count_flops` on a 3x32x32 input gives the published
``sz_flops``. Ops on edges that cannot reach the output are built and counted too, as the
benchmark does.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "build_nb201_network",
    "NB201Network",
    "NB201Cell",
    "ResidualReduction",
    "ReLUConvBN",
    "Zero",
]

# edges (source, target) in cell-string order, as in nasperf.spaces.nb201.CELL_EDGES
_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
_N_NODES = 4


class Zero(nn.Module):
    """The ``none`` op: an all-zero tensor of the input's shape."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


class ReLUConvBN(nn.Sequential):
    """ReLU, conv without bias, affine BatchNorm."""

    def __init__(
        self, c_in: int, c_out: int, kernel_size: int, stride: int = 1, padding: int = 0
    ) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel_size, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(c_out, affine=True, track_running_stats=True),
        )


def _make_op(name: str, channels: int) -> nn.Module:
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1, 1, 0)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3, 1, 1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(f"unknown NB201 operation {name!r}")  # pragma: no cover - parse checks


class NB201Cell(nn.Module):
    """A NAS-Bench-201 cell: node ``j`` sums the ops on its edges from nodes ``i < j``."""

    def __init__(self, ops: list[str] | tuple[str, ...], channels: int) -> None:
        super().__init__()
        if len(ops) != len(_EDGES):
            raise ValueError(f"an NB201 cell has {len(_EDGES)} ops, got {len(ops)}")
        self.ops = tuple(ops)
        # edge k of cell-string order is edges[k]; keyed by position so the order is explicit
        self.edges = nn.ModuleList(_make_op(op, channels) for op in ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for target in range(1, _N_NODES):
            total = None
            for k, (source, dst) in enumerate(_EDGES):
                if dst != target:
                    continue
                out = self.edges[k](nodes[source])
                total = out if total is None else total + out
            nodes.append(total)
        return nodes[-1]


class ResidualReduction(nn.Module):
    """NB201's ResNet basic block with stride 2: halves the resolution, changes channels."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.downsample = nn.Sequential(
            # ceil_mode only matters for odd sizes, where it keeps the shortcut's size equal
            # to the strided conv's (ceil(n / 2)); on even sizes it is NB201's plain 2x2 pool
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0, ceil_mode=True),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class NB201Network(nn.Module):
    """A NAS-Bench-201 network; ``forward`` gives logits, ``forward_features`` the pooled
    pre-classifier vector (``4C`` features) and ``classifier`` is the final Linear."""

    def __init__(
        self,
        ops: list[str] | tuple[str, ...],
        C: int = 16,
        N: int = 5,
        in_channels: int = 3,
        num_classes: int = 10,
    ) -> None:
        super().__init__()
        if C < 1 or N < 0 or in_channels < 1 or num_classes < 1:
            raise ValueError(
                f"need C >= 1, N >= 0, in_channels >= 1, num_classes >= 1; got C={C}, N={N}, "
                f"in_channels={in_channels}, num_classes={num_classes}"
            )
        self.ops = tuple(ops)
        self.C, self.N = C, N
        self.num_features = 4 * C
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, C, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(C),
        )
        layers: list[nn.Module] = []
        channels = C
        for stage, width in enumerate((C, 2 * C, 4 * C)):
            if stage > 0:
                layers.append(ResidualReduction(channels, width))
                channels = width
            layers.extend(NB201Cell(self.ops, channels) for _ in range(N))
        self.cells = nn.ModuleList(layers)
        self.lastact = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Return the globally pooled features fed to :attr:`classifier`, shape (B, 4C)."""
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        x = self.global_pooling(self.lastact(x))
        return torch.flatten(x, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.forward_features(x))

    def tail_modules(self) -> list[str]:
        """Names of the network's tail: the last stage's N cells, the last activation and the
        classifier (FEAR's trainable part; with N=5 the paper's cells 13-17 of 17)."""
        last = len(self.cells)
        return [f"cells.{i}" for i in range(last - self.N, last)] + ["lastact", "classifier"]


def build_nb201_network(
    arch: object,
    C: int = 16,
    N: int = 5,
    in_channels: int = 3,
    num_classes: int = 10,
) -> NB201Network:
    """Build the NAS-Bench-201 network of ``arch`` (any form ``get_space("nb201")`` parses).

    Defaults are the benchmark's CIFAR-10 network (C=16, N=5, 3 input channels, 10 classes),
    whose parameter count equals the published one. Any input of size >= 8 (e.g. 1x28x28)
    works. Raises InvalidArchitectureError on a malformed ``arch``.
    """
    from . import get_space

    ops = get_space("nb201").ops_of(arch)
    return NB201Network(ops, C=C, N=N, in_channels=in_channels, num_classes=num_classes)
