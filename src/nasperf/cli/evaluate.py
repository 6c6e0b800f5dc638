"""``nasperf evaluate``: predictors scored on a benchmark with the White et al. 2021 protocol."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from ..exceptions import ConfigurationError
from .checks import (
    check_address,
    check_executor,
    check_format,
    check_out,
    check_predictor_extras,
    check_seed,
    refuse,
)
from .console import mark_resumable, out, progress
from .options import (
    ADDRESS,
    CURVE,
    EPOCH_COLUMN,
    EXECUTOR,
    FORMAT,
    MINIMIZE,
    RUN_COLUMN,
    SEED,
    TARGET,
    TARGET_EPOCH,
    WORKERS,
    out_option,
)
from .parsing import int_list, names

__all__ = [
    "evaluate",
    "curves_options",
    "metric_table",
]



def evaluate(
    *,
    benchmark: str = typer.Option(
        "nbgraph-cora",
        "--benchmark",
        "-b",
        help="a name (nasperf benchmarks), nb201-DATASET, nb201:PATH, live:DIR, csv:PATH or "
        "curves:PATH (learning curves: long CSV, JSON lines or cells.jsonl)",
    ),
    predictors: str = typer.Option(
        "xgb,rf,gp",
        "--predictors",
        "-p",
        help="comma-separated predictor names (col:NAME for a column, col:-NAME where lower "
        "is better)",
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
    workers: int = WORKERS,
    executor_name: str = EXECUTOR,
    address: str | None = ADDRESS,
    out_dir: Path | None = out_option(
        "directory for JSON, CSV and plot; rows are kept there as trials finish, and the same "
        "command resumes"
    ),
    fmt: str = FORMAT,
    metric: str = typer.Option("kendall_tau", "--metric", help="metric shown in the table"),
    target: str | None = TARGET,
    features: str | None = typer.Option(None, "--features", help="csv: feature columns"),
    id_column: str | None = typer.Option(None, "--id-column", help="csv: candidate id column"),
    space: str = typer.Option(
        "custom", "--space", help="csv: search space of the ids ('custom': any ids)"
    ),
    scores: Path | None = typer.Option(
        None, "--scores", help="CSV of extra score columns by 'arch' (e.g. from nasperf proxies)"
    ),
    curve: str | None = CURVE,
    minimize: bool | None = MINIMIZE,
    run_column: str | None = RUN_COLUMN,
    epoch_column: str | None = EPOCH_COLUMN,
    target_epoch: int | None = TARGET_EPOCH,
    allow_results: bool = typer.Option(
        False,
        "--allow-results",
        help="accept a column that holds a result of training (best_val_acc, val_acc_mean, ...) "
        "as a col: baseline; early results (val_acc_12ep) are always accepted",
    ),
) -> None:
    """Evaluate predictors with the White et al. 2021 protocol."""
    from ..benchmarks import load_benchmark, on_target_curve, with_scores
    from ..evaluation import METRICS, ProtocolConfig
    from ..predictors import make_predictor

    check_format(fmt)
    METRICS.check(metric)
    check_seed(seed)
    check_out(out_dir, directory=True)
    sizes = int_list(train_sizes, "--train-sizes")
    tsize = None if test_size == "all" else int_list(test_size, "--test-size")[0]
    fids = int_list(fidelities, "--fidelities") if fidelities else None
    config = ProtocolConfig(
        train_sizes=sizes, test_size=tsize, trials=trials, seed=seed, fidelities=fids
    )
    preds = {name: make_predictor(name) for name in names(predictors, "--predictors")}
    check_predictor_extras(preds)
    check_executor(executor_name)
    if fids and not any("fidelity" in p.get_params() for p in preds.values()):
        raise ConfigurationError(
            "--fidelities applies to learning-curve predictors; none of "
            f"{', '.join(preds)} reads a curve"
        )
    feats = names(features, "--features") if features else None
    curve_options = curves_options(
        benchmark, curve, minimize, run_column, epoch_column, target_epoch=target_epoch
    )
    bench = load_benchmark(
        benchmark, target=target, features=feats, id_column=id_column, space=space,
        **curve_options,
    )
    if not benchmark.startswith(("csv:", "curves:")):
        refuse(("space",), "only applies to csv: and curves: benchmarks")
    if not allow_results:
        _refuse_result_columns(preds, bench)
    preds = on_target_curve(preds, bench.target_curve)
    if scores is not None:
        bench = with_scores(bench, scores)
    result = _evaluate(bench, preds, config, (executor_name, workers, address), out_dir)
    paths = _save(result, out_dir, metric)
    if fmt == "json":
        _print_json(bench.name, result)
        return
    pools = set(result.pool_sizes.values())
    title = (
        f"{bench.name}, target {bench.target_name}: {metric} (mean±std over {trials} trials, "
        f"test size {tsize or 'rest'}, pool {result.pool_size if len(pools) == 1 else 'per row'})"
    )
    out.print(metric_table(result.summary(), metric, title))
    for kind, path in paths.items():
        out.print(f"{kind}: {path}")


def curves_options(
    benchmark: str | None,
    curve: str | None,
    minimize: bool | None,
    run_column: str | None,
    epoch_column: str | None,
    *,
    target_epoch: int | None = None,
) -> dict[str, Any]:
    """The options of a ``curves:`` benchmark that were given (an error for another one);
    ``target_epoch`` is the ``full`` length whose last epoch is the target."""
    if not (benchmark or "").startswith("curves:"):
        refuse(("curve", "minimize", "run_column", "epoch_column", "target_epoch"),
               "only applies to curves:")  # fmt: skip
        return {}
    if target_epoch is not None and target_epoch < 1:
        raise ConfigurationError(f"--target-epoch must be >= 1, got {target_epoch}")
    given = {"curve": curve, "minimize": minimize, "run_column": run_column,
             "epoch_column": epoch_column, "full": target_epoch}
    return {k: v for k, v in given.items() if v is not None}


def _refuse_result_columns(preds: Mapping[str, Any], bench: Any) -> None:
    """A column baseline of a result of training (``col:best_val_acc``) scores the target by
    another measure of it, not a prediction: an error unless ``--allow-results``. Results of
    partial training (``val_acc_12ep``: early-stopping baselines) are predictions."""
    from ..predictors.hybrid import early_columns
    from ..records import is_result_column

    columns = set().union(*(r.scores for r in bench.records()))
    early = set(early_columns(columns))
    for name, pred in preds.items():
        column = pred.get_params().get("column")
        if pred.capabilities().family != "baseline" or not isinstance(column, str):
            continue
        if is_result_column(column) and column not in early:
            raise ConfigurationError(
                f"{name}: {column!r} holds a result of training (as the target "
                f"{bench.target_name} does), not a prediction of it; pass --allow-results to "
                "score it anyway"
            )


def _evaluate(
    bench: Any,
    preds: Mapping[str, Any],
    config: Any,
    running: tuple[str, int, str | None],
    out_dir: Path | None,
) -> Any:
    """Run the protocol, on ``running`` (executor name, workers, address: one local worker
    runs in this process), the rows kept in ``out_dir``, with a progress bar of rows."""
    from contextlib import nullcontext

    from ..evaluation import evaluate_predictors
    from ..execution import make_executor

    name, workers, address = running
    check_address(name, address)
    in_process = name == "local" and workers == 1
    if out_dir is not None:
        mark_resumable(kept=out_dir, what="finished trials")
    with (
        nullcontext() if in_process else make_executor(name, workers, address) as executor,
        progress() as bar,
    ):
        task = bar.add_task(f"evaluating on {bench.name}", total=None)
        return evaluate_predictors(
            bench,
            preds,
            config,
            executor=executor,
            journal=out_dir,
            on_progress=lambda done, total: bar.update(task, completed=done, total=total),
        )


def _save(result: Any, out_dir: Path | None, metric: str) -> dict[str, Path]:
    from ..evaluation import save_result

    return save_result(result, out_dir, metric) if out_dir is not None else {}


def _print_json(name: str, result: Any) -> None:
    data = {
        "benchmark": name,
        "target": result.target,
        "pool_size": result.pool_size,
        "pool_sizes": result.pool_sizes,
        "summary": [  # an undefined metric (constant predictions in every trial): null
            {k: None if isinstance(v, float) and v != v else v for k, v in row.items()}
            for row in result.summary().to_dict(orient="records")
        ],
    }
    out.print_json(json.dumps(data))


def _cell(row: Any, metric: str) -> str:
    """``mean±std`` of ``metric`` over the trials where it is defined, with how many of them
    when it is undefined in some (constant predictions), ``n/a`` when in all."""
    from ..evaluation.metrics import ORDER_METRICS

    mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
    if mean != mean:  # NaN: undefined in every trial
        return "n/a"
    text = f"{mean:.3f}±{std:.3f}"
    constant = int(row.get("constant_trials", 0) or 0)
    if constant and row.get("trials") and metric in ORDER_METRICS:
        text += f" ({int(row['trials']) - constant}/{int(row['trials'])})"
    return text


def metric_table(summary: Any, metric: str, title: str) -> Table:
    """One row per predictor: ``metric`` (mean±std) at each train size, fit and query time,
    and the candidates it was scored on when predictors were scored on different pools.

    ``summary`` is :meth:`EvaluationResult.summary`'s DataFrame. Where a predictor's
    predictions were constant in some trials, an order metric is the mean over the others,
    followed by ``(defined/trials)``; ``n/a`` where it is undefined in all.
    """
    sizes = sorted(summary["train_size"].unique())
    pooled = "pool_size" in summary and summary["pool_size"].nunique() > 1
    table = Table(title=title, title_justify="left")
    table.add_column("predictor")
    if pooled:
        table.add_column("pool", justify="right")
    for n in sizes:
        table.add_column(f"n={n}", justify="right")
    table.add_column("fit s (max n)", justify="right")
    table.add_column("query ms", justify="right")
    for name, part in summary.groupby("predictor", sort=False):
        by_n = part.set_index("train_size")
        cells = [_cell(by_n.loc[n], metric) if n in by_n.index else "" for n in sizes]
        last = by_n.loc[max(by_n.index)]
        pool = [f"{int(last['pool_size']):,}"] if pooled else []
        table.add_row(
            escape(str(name)),  # a name like emprox[k=60] is not markup
            *pool,
            *cells,
            f"{last['fit_time_mean']:.3f}",
            f"{1000 * last['query_time_mean']:.3f}",
        )
    return table
