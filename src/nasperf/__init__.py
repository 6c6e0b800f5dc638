"""nasperf: performance prediction for neural architecture search and hyperparameter optimisation.

The top-level names are imported lazily, so ``import nasperf`` (and the CLI) start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__

_EXPORTS = {
    "Benchmark": "nasperf.benchmarks",
    "TabularBenchmark": "nasperf.benchmarks",
    "load_benchmark": "nasperf.benchmarks",
    "ProtocolConfig": "nasperf.evaluation",
    "evaluate_predictors": "nasperf.evaluation",
    "NasperfError": "nasperf.exceptions",
    "Predictor": "nasperf.predictors",
    "make_predictor": "nasperf.predictors",
    "Record": "nasperf.records",
}

__all__ = [
    "Benchmark",
    "TabularBenchmark",
    "load_benchmark",
    "ProtocolConfig",
    "evaluate_predictors",
    "NasperfError",
    "Predictor",
    "make_predictor",
    "Record",
    "__version__",
]

if TYPE_CHECKING:
    from .benchmarks import Benchmark, TabularBenchmark, load_benchmark
    from .evaluation import ProtocolConfig, evaluate_predictors
    from .exceptions import NasperfError
    from .predictors import Predictor, make_predictor
    from .records import Record


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nasperf' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
