"""``nasperf evaluate``: predictors scored on a benchmark with the White et al. 2021 protocol."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..exceptions import ConfigurationError
from .console import out, progress
from .options import SEED, out_option
from .parsing import int_list, names

__all__ = [
    "evaluate",
    "metric_table",
    "FORMATS",
]

FORMATS = ("table", "json")


def evaluate(
    benchmark: str = typer.Option(
        "nbgraph-cora", "--benchmark", "-b", help="benchmark name or csv:PATH"
    ),
    predictors: str = typer.Option(
        "xgb,rf,gp",
        "--predictors",
        "-p",
        help="comma-separated predictor names (col:NAME for a column)",
    ),
    train_sizes: str = typer.Option("14,24,42,71,121,205,347,589,1000", "--train-sizes"),
    fidelities: str | None = typer.Option(
        None,
        "--fidelities",
        help="epochs observed by learning-curve predictors, e.g. 1,2,3,5,10 (one row per value)",
    ),
    test_size: str = typer.Option("200", "--test-size", help="an integer, or 'all' for the rest"),
    trials: int = typer.Option(20, "--trials"),
    seed: int = SEED,
    out_dir: Path | None = out_option("directory for JSON, CSV and plot"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    metric: str = typer.Option("kendall_tau", "--metric", help="metric shown in the table"),
    target: str | None = typer.Option(None, "--target", help="csv: the column to predict"),
    features: str | None = typer.Option(None, "--features", help="csv: feature columns"),
    id_column: str | None = typer.Option(None, "--id-column", help="csv: candidate id column"),
    space: str = typer.Option(
        "custom", "--space", help="csv: search space of the ids ('custom': any ids)"
    ),
    scores: Path | None = typer.Option(
        None, "--scores", help="CSV of extra score columns by 'arch' (e.g. from nasperf proxies)"
    ),
) -> None:
    """Evaluate predictors with the White et al. 2021 protocol."""
    from ..benchmarks import load_benchmark, with_scores
    from ..evaluation import METRICS, ProtocolConfig
    from ..predictors import make_predictor

    if fmt not in FORMATS:
        raise ConfigurationError(f"--format must be 'table' or 'json', got {fmt!r}")
    METRICS.check(metric)
    sizes = int_list(train_sizes, "--train-sizes")
    tsize = None if test_size == "all" else int_list(test_size, "--test-size")[0]
    fids = int_list(fidelities, "--fidelities") if fidelities else None
    config = ProtocolConfig(
        train_sizes=sizes, test_size=tsize, trials=trials, seed=seed, fidelities=fids
    )
    preds = {name: make_predictor(name) for name in names(predictors, "--predictors")}
    feats = names(features, "--features") if features else None
    bench = load_benchmark(
        benchmark, target=target, features=feats, id_column=id_column, space=space
    )
    if scores is not None:
        bench = with_scores(bench, scores)
    result = _evaluate(bench, preds, config)
    paths = _save(result, out_dir, metric)
    if fmt == "json":
        _print_json(bench.name, result)
        return
    title = (
        f"{bench.name}: {metric} (mean±std over {trials} trials, "
        f"test size {tsize or 'rest'}, pool {result.pool_size})"
    )
    out.print(metric_table(result.summary(), metric, title))
    for kind, path in paths.items():
        out.print(f"{kind}: {path}")


def _evaluate(bench: Any, preds: Mapping[str, Any], config: Any) -> Any:
    """Run the protocol with a progress bar of one step per (trial, size, predictor row)."""
    from ..evaluation import evaluate_predictors

    fids = config.fidelities
    rows = sum(
        len(set(fids)) if fids and "fidelity" in p.get_params() else 1 for p in preds.values()
    )
    total = config.trials * len(set(config.train_sizes)) * rows
    with progress() as bar:
        task = bar.add_task(f"evaluating on {bench.name}", total=total)
        return evaluate_predictors(
            bench,
            preds,
            config,
            callback=lambda desc: bar.update(task, advance=1, description=desc),
        )


def _save(result: Any, out_dir: Path | None, metric: str) -> dict[str, Path]:
    from ..evaluation import save_result

    return save_result(result, out_dir, metric) if out_dir is not None else {}


def _print_json(name: str, result: Any) -> None:
    data = {
        "benchmark": name,
        "pool_size": result.pool_size,
        "summary": result.summary().to_dict(orient="records"),
    }
    out.print_json(json.dumps(data))


def metric_table(summary: Any, metric: str, title: str) -> Table:
    """One row per predictor: ``metric`` (mean±std) at each train size, fit and query time.

    ``summary`` is :meth:`EvaluationResult.summary`'s DataFrame.
    """
    sizes = sorted(summary["train_size"].unique())
    table = Table(title=title, title_justify="left")
    table.add_column("predictor")
    for n in sizes:
        table.add_column(f"n={n}", justify="right")
    table.add_column("fit s (max n)", justify="right")
    table.add_column("query ms", justify="right")
    for name, part in summary.groupby("predictor", sort=False):
        by_n = part.set_index("train_size")
        cells = [
            f"{by_n.at[n, f'{metric}_mean']:.3f}±{by_n.at[n, f'{metric}_std']:.3f}"
            if n in by_n.index
            else ""
            for n in sizes
        ]
        last = by_n.loc[max(by_n.index)]
        table.add_row(
            name, *cells, f"{last['fit_time_mean']:.3f}", f"{1000 * last['query_time_mean']:.3f}"
        )
    return table
