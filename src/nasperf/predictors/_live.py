"""What the live-model predictors (zero-cost proxies, training-based estimators) share."""

from __future__ import annotations

from typing import Any

from ..exceptions import InvalidDataError, require
from ..records import Record

__all__ = ["live_model_of"]


def live_model_of(record: Record, seed: int) -> Any:
    """The ``torch.nn.Module`` of ``record.info["model"]``: the module itself, or what a
    zero-argument factory builds under ``seed`` (so its initial weights are reproducible)."""
    torch = require("torch", "torch")
    from ..training import seeded

    model = record.info["model"]
    if isinstance(model, torch.nn.Module):
        return model
    if not callable(model):
        raise InvalidDataError(
            f"record {record.arch!r}: info['model'] must be a torch.nn.Module or a "
            f"zero-argument callable returning one, got {type(model).__name__}"
        )
    with seeded(int(seed)):
        model = model()
    if not isinstance(model, torch.nn.Module):
        raise InvalidDataError(
            f"record {record.arch!r}: info['model']() returned {type(model).__name__}, "
            "not a torch.nn.Module"
        )
    return model
