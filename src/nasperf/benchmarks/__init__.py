"""Tabular benchmarks behind one :class:`Benchmark` interface, looked up by short name."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import ConfigurationError, UnknownNameError
from ..paths import DATA_ENV, data_dir
from ..registry import Registry
from ._names import GRAPH_DATASETS

if TYPE_CHECKING:  # pragma: no cover
    from ..records import Record
    from ._base import Benchmark

#: where each public name of the subpackage lives: imported on first access, so the registry
#: and ``nasperf benchmarks`` cost no pandas, scipy or scikit-learn
_LAZY: dict[str, str] = {
    **dict.fromkeys(("Benchmark", "TabularBenchmark"), "_base"),
    **dict.fromkeys(
        (
            "CurveCounts",
            "CurveRuns",
            "CurvesBenchmark",
            "load_curves",
            "on_target_curve",
            "read_curves",
            "write_curves",
        ),
        "_curves",
    ),
    **dict.fromkeys(
        (
            "CELLS_FILE",
            "LIVE_CURVES",
            "SEEDS_FILE",
            "LiveBenchmarkRun",
            "add_seeds",
            "load_live_benchmark",
            "make_benchmark",
            "read_live_config",
            "replicate_seed",
        ),
        "_live",
    ),
    **dict.fromkeys(
        (
            "load_csv",
            "load_nas_bench_graph",
            "load_nb201_curves",
            "load_nb201_table",
            "load_suite_zero",
            "with_scores",
        ),
        "_loaders",
    ),
    **dict.fromkeys(
        ("IncompleteTableError", "ProxyTableConfig", "compute_proxy_table", "read_proxy_table"),
        "_proxy_table",
    ),
    **dict.fromkeys(
        ("LiveBenchmarkConfig", "build_cell", "cell_data", "cell_seed", "select_cells"), "cells"
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


def _call(module: str, function: str, *args: Any, **kwargs: Any) -> Any:
    """``module.function(*args, **kwargs)``, importing the module (of this package) first."""
    return getattr(importlib.import_module(f".{module}", __name__), function)(*args, **kwargs)


__all__ = [
    "live_benchmark_records",
    "Benchmark",
    "TabularBenchmark",
    "benchmark_status",
    "BENCHMARKS",
    "benchmark_names",
    "load_benchmark",
    "load_csv",
    "load_curves",
    "read_curves",
    "on_target_curve",
    "write_curves",
    "CurvesBenchmark",
    "CurveRuns",
    "CurveCounts",
    "load_nb201_table",
    "load_nb201_curves",
    "load_suite_zero",
    "load_nas_bench_graph",
    "with_scores",
    "LiveBenchmarkConfig",
    "LiveBenchmarkRun",
    "CELLS_FILE",
    "LIVE_CURVES",
    "make_benchmark",
    "load_live_benchmark",
    "read_live_config",
    "live_benchmark_dir",
    "select_cells",
    "ProxyTableConfig",
    "IncompleteTableError",
    "compute_proxy_table",
    "read_proxy_table",
    "cell_seed",
    "add_seeds",
    "replicate_seed",
    "SEEDS_FILE",
    "cell_data",
    "build_cell",
]


def live_benchmark_dir(name: str | Path) -> Path:
    """The directory of a live benchmark: one shipped inside the package, by name
    (``nb201-digits``), or any other directory made by ``nasperf make-benchmark``."""
    shipped = Path(__file__).parent / "_shipped" / str(name)
    return shipped if str(name) in _SHIPPED else Path(name)


def live_benchmark_records(name: str) -> tuple[list[Record], dict[str, Any]]:
    """The records of the live benchmark ``name`` (``nb201-digits``, ``nb201-mnist`` or a
    directory made by ``nasperf make-benchmark``), each carrying the benchmark's dataset (the
    same splits) in ``info["data"]``, and the predictor parameters of how its cells were made:
    ``{"C": ..., "N": ..., "train_config": ...}``. The records are copies; their target is the
    benchmark's (``final_val_acc``)."""
    from ._live import load_live_benchmark, read_live_config
    from .cells import cell_data

    path = live_benchmark_dir(name)
    config = read_live_config(path)
    bench = load_live_benchmark(path)
    data = cell_data(config)
    records = [replace(r, info={**r.info, "data": data}) for r in bench.records()]
    return records, {"C": config.C, "N": config.N, "train_config": config.train}


def _shipped(name: str) -> Benchmark:
    """A benchmark made with ``nasperf make-benchmark`` and shipped inside the package."""
    from ._live import load_live_benchmark

    bench = load_live_benchmark(live_benchmark_dir(name))
    bench.name = name
    return bench


_SHIPPED = ("nb201-digits", "nb201-mnist")


#: the named benchmarks: a loader, a summary, the data file read from NASPERF_DATA (None:
#: data shipped in nasperf or in an installed package) and the number of candidates it holds
#: (listed without loading it; ``nasperf benchmarks --count`` counts, and a test checks)
BENCHMARKS = Registry(
    "benchmark", patterns=("nb201-DATASET", "nb201:PATH", "live:DIR", "csv:PATH", "curves:PATH")
)
BENCHMARKS.add(
    "nb201-digits",
    lambda: _shipped("nb201-digits"),
    "300 NB201 cells trained 30 epochs on scikit-learn digits by nasperf (shipped), "
    "with curves, 15 zero-cost proxies and 3 seeds of the top 30 (val_acc_mean)",
    data_file=None,
    candidates=300,
)
BENCHMARKS.add(
    "nb201-mnist",
    lambda: _shipped("nb201-mnist"),
    "200 NB201 cells (C=8, N=1) trained 15 epochs on real MNIST digits by nasperf (shipped), "
    "with curves, 15 zero-cost proxies and 3 seeds of the top 30 (val_acc_mean)",
    data_file=None,
    candidates=200,
)
BENCHMARKS.add(
    "nb201-cifar10",
    partial(_call, "_loaders", "load_nb201_table", dataset="cifar10"),
    "NAS-Bench-201 CIFAR-10, all 15,625 cells, proxies and hardware costs",
    data_file="nb201/nb201_cifar10.csv.gz",
    candidates=15_625,
)
BENCHMARKS.add(
    "nb201-cifar10-curves",
    partial(_call, "_loaders", "load_nb201_curves"),
    "NAS-Bench-201 CIFAR-10, 200 cells with full 200-epoch curves",
    data_file="nb201/nb201_cifar10_curves.json.gz",
    candidates=200,
)
for _s in ("nb101", "nb201", "nb301"):
    BENCHMARKS.add(
        f"suite-zero-{_s}",
        partial(_call, "_loaders", "load_suite_zero", _s),
        f"NAS-Bench-Suite-Zero {_s.upper()} CIFAR-10 with 13 zero-cost proxies",
        data_file=f"suite_zero/zc_nasbench{_s[2:]}.json",
        candidates=491 if _s == "nb201" else 500,
    )
for _d in GRAPH_DATASETS:
    BENCHMARKS.add(
        f"nbgraph-{_d}",
        partial(_call, "_loaders", "load_nas_bench_graph", _d),
        f"NAS-Bench-Graph {_d} (from the installed nas-bench-graph package)",
        data_file=None,
        candidates=2_021 if _d == "proteins" else 26_206,
    )


def benchmark_names() -> list[str]:
    """Names accepted by :func:`load_benchmark`, plus the path forms."""
    return BENCHMARKS.choices()


def load_benchmark(
    name: str,
    target: str | None = None,
    features: Sequence[str] | None = None,
    id_column: str | None = None,
    space: str = "custom",
    **curve_options: Any,
) -> Benchmark:
    """Load the benchmark called ``name``.

    Besides the fixed names: ``nb201-DATASET`` reads ``nb201/nb201_DATASET.csv.gz`` from
    ``NASPERF_DATA``; ``nb201:PATH`` reads any file in that schema; ``live:DIR`` reads a benchmark
    made by ``nasperf make-benchmark``; ``csv:PATH`` reads a user's own results, which needs
    ``target`` (the column to predict); ``curves:PATH`` reads a user's own learning curves
    (:func:`load_curves`; ``curve_options``: its ``curve``, ``minimize``, ``run_column``,
    ``epoch_column`` and ``full``, with ``target``, ``features`` and ``space``).
    """
    if name.startswith("curves:"):
        return _load_curves(name[7:], target, features, id_column, space, curve_options)
    if curve_options:
        raise ConfigurationError(
            f"{', '.join(sorted(curve_options))} only apply to curves: benchmarks, not {name!r}"
        )
    if name.startswith("csv:"):
        if not target:
            raise ConfigurationError(
                "a csv: benchmark needs --target COLUMN (the metric to predict)"
            )
        from ._loaders import load_csv

        return load_csv(name[4:], target, features=features, id_column=id_column, space=space)
    from ._loaders import load_nb201_table

    if name.startswith("nb201:"):
        loader: Callable[[], Benchmark] = lambda: load_nb201_table(Path(name[6:]))  # noqa: E731
    elif name.startswith("live:"):
        from ._live import load_live_benchmark

        loader = lambda: load_live_benchmark(Path(name[5:]))  # noqa: E731
    elif name in BENCHMARKS:
        loader = BENCHMARKS[name].load()
    elif name.startswith("nb201-") and len(name) > len("nb201-"):  # nb201-imagenet16-120 too
        loader = lambda: load_nb201_table(dataset=name[6:])  # noqa: E731
    else:
        raise UnknownNameError("benchmark", name, benchmark_names())
    if target is not None or features is not None or id_column is not None:
        raise ConfigurationError(
            f"--target, --features and --id-column only apply to csv: benchmarks, not {name!r}"
        )
    return loader()


def _load_curves(
    path: str,
    target: str | None,
    features: Sequence[str] | None,
    id_column: str | None,
    space: str,
    options: dict[str, Any],
) -> Benchmark:
    """``curves:PATH``: the id column is the run column; ``custom`` space: detected."""
    run_column = options.pop("run_column", None) or id_column
    unknown = sorted(set(options) - {"curve", "minimize", "epoch_column", "full"})
    if unknown:
        raise ConfigurationError(f"unknown option(s) of curves: benchmarks: {', '.join(unknown)}")
    from ._curves import load_curves

    return load_curves(
        path,
        target=target,
        features=features,
        run_column=run_column,
        space=None if space == "custom" else space,
        **options,
    )


def benchmark_status(name: str) -> tuple[str, int | None]:
    """Whether the data of ``name`` is at hand (found, missing, installed) and its size."""
    data_file = BENCHMARKS[name].meta["data_file"]
    if data_file is None:
        return "installed", None
    root = data_dir()
    if root is None:
        return f"missing ({DATA_ENV} unset)", None
    path = root / data_file
    return ("found", path.stat().st_size) if path.is_file() else (f"missing ({path})", None)
