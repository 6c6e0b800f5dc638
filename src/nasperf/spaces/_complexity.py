"""Parameter and FLOP counts of any ``torch.nn.Module`` (hook-based, no third-party counter).

Imported lazily (needs the ``torch`` extra); nothing imports this module when
:mod:`nasperf.spaces` is imported.

FLOP convention of :func:`count_flops`
--------------------------------------
The one NAS-Bench-Suite-Zero used for its ``flops`` proxy (NASLib's zero-cost ``flops``, i.e.
``tensorwatch.ModelStats(...).Flops / 1e6``, a torchstat derivative, on one sample). It is
reproduced exactly, quirks included, so that the NAS-Bench-201 networks of
:mod:`nasperf.spaces._nb201_net` give the published ``sz_flops`` values. Per call of a leaf
module, for a batch of one:

* ``ConvNd``: one per multiply-add, ``prod(kernel) * in_channels / groups * out_channels *
  prod(output spatial size)``, plus ``out_channels * prod(output spatial size)`` if it has a
  bias;
* ``Linear``: ``input.numel() * out_features`` (the bias is not counted);
* ``BatchNormNd``: ``input.numel()``, doubled when the layer is affine;
* ``ReLU``, ``ReLU6``, ``PReLU``, ``ELU``, ``LeakyReLU``: ``input.numel()``;
* ``AvgPoolNd`` / ``MaxPoolNd``: ``output.numel() * prod(kernel_size)``;
* ``AdaptiveAvgPoolNd`` / ``AdaptiveMaxPoolNd``: for every output position,
  ``channels * prod(window + 1)`` over its pooling window sizes (torchstat's off-by-one, kept
  on purpose: a global pool of a 64x8x8 map counts 64 * 9 * 9 = 5,184);
* ``Upsample``: ``output.numel()``;
* anything else (tensor additions, identities, the ``none`` op, flatten, ...): nothing.

A module called several times in a forward pass is counted at every call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["count_params", "count_flops", "module_flops"]

_ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.PReLU, nn.ELU, nn.LeakyReLU)
_POOLS = (
    nn.AvgPool1d,
    nn.AvgPool2d,
    nn.AvgPool3d,
    nn.MaxPool1d,
    nn.MaxPool2d,
    nn.MaxPool3d,
)
_ADAPTIVE_POOLS = (
    nn.AdaptiveAvgPool1d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveAvgPool3d,
    nn.AdaptiveMaxPool1d,
    nn.AdaptiveMaxPool2d,
    nn.AdaptiveMaxPool3d,
)


def count_params(model: nn.Module) -> int:
    """Return the number of trainable parameters (``requires_grad``) of ``model``."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def _as_tuple(value: int | Sequence[int], n: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    return tuple(int(v) for v in value)


def _adaptive_pool_flops(inp: torch.Tensor, out: torch.Tensor) -> int:
    """torchstat's count: per output position, channels * prod(window size + 1)."""
    n_spatial = out.dim() - 2
    total = inp.shape[0] * inp.shape[1]
    for d in range(n_spatial):
        size_in, size_out = int(inp.shape[2 + d]), int(out.shape[2 + d])
        total *= sum(
            math.ceil((i + 1) * size_in / size_out) - math.floor(i * size_in / size_out) + 1
            for i in range(size_out)
        )
    return int(total)


def module_flops(module: nn.Module, inp: torch.Tensor, out: torch.Tensor) -> int:
    """FLOPs of one call of leaf ``module`` on ``inp`` giving ``out`` (see the module doc)."""
    if isinstance(module, nn.modules.conv._ConvNd):
        spatial = math.prod(out.shape[2:])
        batch = out.shape[0]
        per_position = (
            math.prod(module.kernel_size) * module.in_channels // module.groups
        ) * module.out_channels
        flops = per_position * spatial * batch
        if module.bias is not None:
            flops += module.out_channels * spatial * batch
        return int(flops)
    if isinstance(module, nn.Linear):
        return int(inp.numel() * module.out_features)
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return int(inp.numel() * (2 if module.affine else 1))
    if isinstance(module, _ACTIVATIONS):
        return int(inp.numel())
    if isinstance(module, _POOLS):
        kernel = _as_tuple(module.kernel_size, out.dim() - 2)
        return int(out.numel() * math.prod(kernel))
    if isinstance(module, _ADAPTIVE_POOLS):
        return _adaptive_pool_flops(inp, out)
    if isinstance(module, nn.Upsample):
        return int(out.numel())
    return 0


def _first_tensor(value: object) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for item in value:
            found = _first_tensor(item)
            if found is not None:
                return found
    return None


def count_flops(model: nn.Module, input_shape: Sequence[int]) -> float:
    """Return the FLOPs, in millions, of one forward pass of ``model`` on one sample.

    ``input_shape`` is the shape of one sample without the batch dimension, e.g.
    ``(3, 32, 32)``; the model runs once, in eval mode and without gradients, on a batch of
    one all-zero sample (its training mode is restored afterwards). The convention (conv and
    linear multiply-adds, BatchNorm, ReLU and pooling counted as in NAS-Bench-Suite-Zero's
    ``flops``) is described in the module docstring.
    """
    shape = tuple(int(s) for s in input_shape)
    if not shape or any(s < 1 for s in shape):
        raise ValueError(f"input_shape must be a non-empty shape of positive sizes, got {shape}")
    first = next(model.parameters(), None)
    device = first.device if first is not None else torch.device("cpu")
    dtype = first.dtype if first is not None and first.is_floating_point() else torch.float32
    total = 0

    def hook(module: nn.Module, inputs: tuple[object, ...], output: object) -> None:
        nonlocal total
        inp, out = _first_tensor(inputs), _first_tensor(output)
        if inp is not None and out is not None:
            total += module_flops(module, inp, out)

    handles = [
        m.register_forward_hook(hook) for m in model.modules() if next(m.children(), None) is None
    ]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1, *shape), device=device, dtype=dtype))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return total / 1e6
