"""nasperf: performance prediction for neural architecture search and hyperparameter optimisation."""

from .benchmarks import Benchmark, TabularBenchmark, load_benchmark
from .evaluation import ProtocolConfig, evaluate_predictors
from .exceptions import NasperfError
from .predictors import Predictor, make_predictor
from .records import Record

__version__ = "0.1.0"

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
