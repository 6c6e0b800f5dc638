"""The ``nasperf`` command line: evaluate predictors, list benchmarks and predictors."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .exceptions import ConfigurationError, NasperfError, UnknownNameError

if TYPE_CHECKING:
    from .search import SampleSearchResult

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Estimate how well neural network candidates will perform, long before training ends.",
)
# Piped output keeps whole tables instead of squeezing them into 80 columns.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)


def _int_list(text: str, what: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise ConfigurationError(f"{what} must be comma-separated integers, got {text!r}") from exc
    if not values:
        raise ConfigurationError(f"{what} is empty")
    return values


def _names(text: str, what: str) -> list[str]:
    names = [v.strip() for v in text.split(",") if v.strip()]
    if not names:
        raise ConfigurationError(f"{what} is empty")
    if len(set(names)) != len(names):
        raise ConfigurationError(f"{what} names one twice: {text!r}")
    return names


def _progress() -> Progress:
    """A transient progress bar on stderr, shown only when stderr is a terminal."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _metric_table(summary, metric: str, title: str) -> Table:  # noqa: ANN001 - a DataFrame
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


@app.command()
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
    seed: int = typer.Option(0, "--seed"),
    out_dir: Path | None = typer.Option(None, "--out", help="directory for JSON, CSV and plot"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    metric: str = typer.Option("kendall_tau", "--metric", help="metric shown in the table"),
    target: str | None = typer.Option(None, "--target", help="csv: the column to predict"),
    features: str | None = typer.Option(None, "--features", help="csv: feature columns"),
    id_column: str | None = typer.Option(None, "--id-column", help="csv: candidate id column"),
    space: str = typer.Option("custom", "--space", help="csv: search space of the ids"),
    scores: Path | None = typer.Option(
        None, "--scores", help="CSV of extra score columns by 'arch' (e.g. from nasperf proxies)"
    ),
) -> None:
    """Evaluate predictors with the White et al. 2021 protocol."""
    from .benchmarks import load_benchmark, with_scores
    from .evaluation import METRICS, ProtocolConfig, evaluate_predictors, save_result
    from .exceptions import UnknownNameError
    from .predictors import make_predictor

    if fmt not in ("table", "json"):
        raise ConfigurationError(f"--format must be 'table' or 'json', got {fmt!r}")
    if metric not in METRICS:
        raise UnknownNameError("metric", metric, list(METRICS))
    sizes = _int_list(train_sizes, "--train-sizes")
    if test_size == "all":
        tsize = None
    else:
        (tsize,) = _int_list(test_size, "--test-size")
    fids = _int_list(fidelities, "--fidelities") if fidelities else None
    config = ProtocolConfig(
        train_sizes=sizes, test_size=tsize, trials=trials, seed=seed, fidelities=fids
    )
    preds = {name: make_predictor(name) for name in _names(predictors, "--predictors")}
    feats = _names(features, "--features") if features else None
    bench = load_benchmark(
        benchmark, target=target, features=feats, id_column=id_column, space=space
    )
    if scores is not None:
        bench = with_scores(bench, scores)
    n_preds = sum(
        len(set(fids)) if fids and "fidelity" in p.get_params() else 1 for p in preds.values()
    )
    total = config.trials * len(set(sizes)) * n_preds
    with _progress() as progress:
        task = progress.add_task(f"evaluating on {bench.name}", total=total)
        result = evaluate_predictors(
            bench,
            preds,
            config,
            callback=lambda desc: progress.update(task, advance=1, description=desc),
        )
    paths = save_result(result, out_dir, metric) if out_dir is not None else {}
    summary = result.summary()
    if fmt == "json":
        out.print_json(
            json.dumps(
                {
                    "benchmark": bench.name,
                    "pool_size": result.pool_size,
                    "summary": summary.to_dict(orient="records"),
                }
            )
        )
    else:
        title = (
            f"{bench.name}: {metric} (mean±std over {trials} trials, "
            f"test size {tsize or 'rest'}, pool {result.pool_size})"
        )
        out.print(_metric_table(summary, metric, title))
        for kind, path in paths.items():
            out.print(f"{kind}: {path}")


@app.command("proxies")
def proxies_cmd(
    space: str = typer.Option("nb201", "--space", help="search space whose networks are built"),
    dataset: str = typer.Option("mnist", "--dataset", help="digits, mnist, mnist1d or cifar10"),
    cells: str = typer.Option("1000", "--cells", help="how many cells to sample, or 'all'"),
    proxies: str | None = typer.Option(
        None, "--proxies", help="comma-separated proxy names (default: all 15)"
    ),
    batch_size: int = typer.Option(64, "--batch-size"),
    size: int | None = typer.Option(32, "--size", help="resize inputs to SIZE x SIZE (0: keep)"),
    channels: int | None = typer.Option(3, "--channels", help="1 or 3 input channels (0: keep)"),
    data_root: Path | None = typer.Option(None, "--data-root", help="directory of the dataset"),
    seed: int = typer.Option(0, "--seed", help="cell sample, batch and weight initialisation"),
    workers: int = typer.Option(1, "--workers", help="processes computing cells in parallel"),
    out_file: Path = typer.Option(..., "--out", help="CSV to write (resumed if it exists)"),
) -> None:
    """Compute zero-cost proxies on real networks and data; resumable, one row per cell."""
    from .benchmarks import ProxyTableConfig, compute_proxy_table, select_cells

    if cells == "all":
        n_cells = None
    else:
        (n_cells,) = _int_list(cells, "--cells")
    config = ProxyTableConfig(
        space=space,
        dataset=dataset,
        proxies=tuple(_names(proxies, "--proxies")) if proxies else (),
        batch_size=batch_size,
        seed=seed,
        size=size or None,
        channels=channels or None,
        data_root=str(data_root) if data_root else None,
    )
    archs = select_cells(space, n_cells, seed)
    with _progress() as progress:
        task = progress.add_task(f"proxies on {dataset}", total=len(archs))
        path = compute_proxy_table(
            out_file,
            config,
            archs,
            workers=workers,
            on_cell=lambda done, total: progress.update(task, completed=done),
        )
    out.print(f"proxies: {path} ({len(archs)} cells)")


@app.command("make-benchmark")
def make_benchmark_cmd(
    space: str = typer.Option("nb201", "--space", help="search space whose cells are trained"),
    dataset: str = typer.Option("digits", "--dataset", help="digits, mnist or cifar10"),
    cells: int = typer.Option(100, "--cells", help="how many cells to sample and train"),
    epochs: int = typer.Option(30, "--epochs", help="training epochs of every cell"),
    workers: int = typer.Option(1, "--workers", help="cells trained in parallel"),
    executor_name: str = typer.Option("local", "--executor", help="local or ray"),
    address: str | None = typer.Option(
        None, "--address", help="ray: cluster address ('auto' or HOST:PORT; default: start one)"
    ),
    seed: int = typer.Option(0, "--seed", help="cell sample, splits, weights and data order"),
    size: int | None = typer.Option(None, "--size", help="resize inputs to SIZE x SIZE (0: keep)"),
    channels: int | None = typer.Option(None, "--channels", help="1 or 3 input channels (0: keep)"),
    nb201_c: int = typer.Option(16, "--nb201-c", help="channels of the first NB201 stage"),
    nb201_n: int = typer.Option(5, "--nb201-n", help="NB201 cells per stage"),
    batch_size: int = typer.Option(256, "--batch-size", help="training batch size"),
    lr: float = typer.Option(0.1, "--lr", help="initial learning rate (cosine to 0)"),
    optimizer: str = typer.Option("sgd", "--optimizer", help="sgd, adam or adamw"),
    proxies: str | None = typer.Option(
        None, "--proxies", help="comma-separated zero-cost proxies (default: all 15; 'none')"
    ),
    limit: int | None = typer.Option(None, "--limit", help="cap the training split"),
    val_fraction: float = typer.Option(
        0.1, "--val-fraction", help="share of the data held out for validation"
    ),
    data_root: Path | None = typer.Option(None, "--data-root", help="directory of the dataset"),
    threads: int = typer.Option(1, "--threads", help="torch threads per cell"),
    out_dir: Path = typer.Option(..., "--out", help="benchmark directory (resumed if it exists)"),
) -> None:
    """Train sampled cells on a dataset into a benchmark (live:DIR); resumable."""
    from .benchmarks import LiveBenchmarkConfig, make_benchmark
    from .execution import make_executor
    from .predictors.zero_cost import PROXY_NAMES
    from .training import TrainConfig

    if proxies is None:
        chosen: tuple[str, ...] = PROXY_NAMES
    elif proxies.strip() == "none":
        chosen = ()
    else:
        chosen = tuple(_names(proxies, "--proxies"))
    config = LiveBenchmarkConfig(
        space=space,
        dataset=dataset,
        cells=cells,
        seed=seed,
        C=nb201_c,
        N=nb201_n,
        size=size or None,
        channels=channels or None,
        limit=limit,
        val_fraction=val_fraction,
        data_root=str(data_root) if data_root else None,
        train=TrainConfig(optimizer=optimizer, lr=lr, batch_size=batch_size, epochs=epochs),
        proxies=chosen,
    )
    with (
        make_executor(executor_name, workers=workers, address=address) as executor,
        _progress() as progress,
    ):
        task = progress.add_task(f"training {dataset} cells", total=cells)
        run = make_benchmark(
            out_dir,
            config,
            executor,
            on_cell=lambda done, total: progress.update(task, completed=done),
            threads=threads,
        )
    out.print(f"make-benchmark: {run.summary()}", highlight=False, soft_wrap=True, markup=False)


def _sample_search_table(where: str, found: SampleSearchResult) -> Table:
    """One row: what a sample-and-estimate search returned and what it cost."""
    table = Table(title=f"sample-and-estimate on {where}")
    for col in ("best", "final val acc", "estimated", "fully trained", "estimate s", "full s"):
        table.add_column(col)
    done = sum(r.get("estimate") is not None for r in found.estimates)
    table.add_row(
        str(found.best_arch),
        f"{found.best_value:.2f}" if found.best_value is not None else "-",
        f"{done}/{len(found.estimates)}",
        str(len(found.finals)),
        f"{found.estimate_seconds:.1f}",
        f"{found.train_seconds:.1f}",
    )
    return table


def _live_cells(
    space: str,
    dataset: str,
    cells: int,
    epochs: int,
    seed: int,
    c: int,
    n: int,
    limit: int | None,
    val_fraction: float,
    batch_size: int,
) -> tuple[object, list[str]]:
    """The training settings of live candidates (no proxies) and ``cells`` cells drawn by seed."""
    from .benchmarks import LiveBenchmarkConfig, select_cells
    from .training import TrainConfig

    config = LiveBenchmarkConfig(
        space=space,
        dataset=dataset,
        cells=cells,
        seed=seed,
        C=c,
        N=n,
        limit=limit,
        val_fraction=val_fraction,
        train=TrainConfig(epochs=epochs, batch_size=batch_size),
        proxies=(),
    )
    return config, select_cells(space, cells, seed)


@app.command("search")
def search_cmd(
    strategy: str = typer.Option(
        "hyperband",
        "--strategy",
        help="random, sh (successive halving), hyperband, asha or sample-and-estimate (--live)",
    ),
    estimator: str = typer.Option(
        "feature-history",
        "--estimator",
        help="sample-and-estimate: feature-history (--live) or a curve predictor (-b TABLE)",
    ),
    short_epochs: int = typer.Option(2, "--short-epochs", help="sample-and-estimate: budget E"),
    top_k: int = typer.Option(
        2, "--top-k", help="sample-and-estimate: candidates fully trained (a multiple of workers)"
    ),
    benchmark: str | None = typer.Option(
        None, "--benchmark", "-b", help="a benchmark with curves (simulated time)"
    ),
    live: bool = typer.Option(False, "--live", help="train for real (--space, --dataset, ...)"),
    rule: str = typer.Option("none", "--rule", help="early stopping: none, baker or median"),
    delta: float = typer.Option(0.05, "--delta", help="baker: stop when P(final >= best) <= Δ"),
    min_completed: int = typer.Option(10, "--min-completed", help="runs before the rule acts"),
    budget: int | None = typer.Option(None, "--budget", help="epochs to spend (default: all)"),
    eta: int = typer.Option(3, "--eta", help="halving rate"),
    min_epochs: int = typer.Option(1, "--min-epochs", help="epochs of the lowest rung"),
    n: int | None = typer.Option(None, "--n", help="sh: candidates in the bracket"),
    asha_workers: int = typer.Option(4, "--asha-workers", help="asha: simulated workers"),
    seed: int = typer.Option(0, "--seed", help="order of the candidates"),
    space: str = typer.Option("nb201", "--space", help="live: search space"),
    dataset: str = typer.Option("digits", "--dataset", help="live: dataset"),
    cells: int = typer.Option(
        27, "--cells", help="candidates sampled (live, and sample-and-estimate on a table)"
    ),
    epochs: int = typer.Option(9, "--epochs", help="live: epochs of a full run"),
    limit: int | None = typer.Option(None, "--limit", help="live: cap the training split"),
    nb201_c: int = typer.Option(8, "--nb201-c", help="live: channels of the first stage"),
    nb201_n: int = typer.Option(1, "--nb201-n", help="live: cells per stage"),
    workers: int = typer.Option(
        2, "--workers", help="runs trained in parallel (live; simulated for sample-and-estimate)"
    ),
    executor_name: str = typer.Option("local", "--executor", help="live: local or ray"),
    address: str | None = typer.Option(None, "--address", help="live: ray cluster address"),
    out_dir: Path | None = typer.Option(None, "--out", help="trace CSV (and live checkpoints)"),
) -> None:
    """Multi-fidelity search on learning curves, with or without early stopping."""
    import csv

    from .search import (
        BakerRule,
        LiveCurveEvaluator,
        MedianRule,
        TabularCurveEvaluator,
        asha,
        hyperband,
        permuted,
        random_search,
        successive_halving,
    )

    strategies = ("random", "sh", "hyperband", "asha", "sample-and-estimate")
    if strategy not in strategies:
        raise UnknownNameError("strategy", strategy, list(strategies))
    rules = {
        "none": lambda: None,
        "baker": lambda: BakerRule(delta=delta, min_completed=min_completed),
        "median": lambda: MedianRule(min_completed=min_completed),
    }
    if rule not in rules:
        raise UnknownNameError("rule", rule, list(rules))
    stop = rules[rule]()
    executor = None
    if live:
        from .execution import make_executor

        if out_dir is None:
            raise ConfigurationError("--live needs --out DIR for the runs' checkpoints")
        config, archs = _live_cells(
            space, dataset, cells, epochs, seed, nb201_c, nb201_n, limit, 0.25, 64
        )
        executor = make_executor(executor_name, workers, address)
        evaluator = LiveCurveEvaluator(config, executor, out_dir / "runs", seed=seed)
    else:
        if benchmark is None:
            raise ConfigurationError("give --benchmark NAME (with curves) or --live")
        from .benchmarks import load_benchmark

        evaluator = TabularCurveEvaluator(load_benchmark(benchmark))
        archs = [r.arch for r in evaluator.benchmark.records()]
    if strategy == "sample-and-estimate" and not live:
        from .search import sample_and_estimate_curves

        if estimator == "feature-history":
            raise ConfigurationError(
                "the tables hold no feature histories: use --live, or a curve estimator on a "
                "table (--estimator early-stop-acc, sotl-e, sotl, early-stop-loss or lce)"
            )
        sampled = list(permuted(archs, seed))[: min(cells, len(archs))]
        found = sample_and_estimate_curves(
            evaluator, sampled, short_epochs, top_k, estimator, workers
        )
        out.print(_sample_search_table(f"{benchmark} (simulated, {workers} workers)", found))
        return
    if strategy == "sample-and-estimate":
        assert executor is not None
        if estimator != "feature-history":
            raise UnknownNameError("estimator", estimator, ["feature-history"])
        from .search import sample_and_estimate

        try:
            with _progress() as progress:
                progress.add_task(f"sample-and-estimate on {len(archs)} cells", total=None)
                found = sample_and_estimate(
                    config, archs, executor, evaluator, short_epochs, top_k, seed
                )
        finally:
            executor.close()
        out.print(_sample_search_table(f"{space}/{dataset} (live)", found))
        assert out_dir is not None
        path = out_dir / "estimates.json"
        path.write_text(json.dumps({"estimates": found.estimates, "finals": found.finals}))
        out.print(f"estimates: {path}")
        return
    order = permuted(archs, seed)
    top = budget or evaluator.max_epochs * len(archs)
    try:
        with _progress() as progress:
            progress.add_task(f"{strategy} search", total=None)
            if strategy == "random":
                res = random_search(evaluator, order, budget, rule=stop)
            elif strategy == "sh":
                res = successive_halving(
                    evaluator, order, n or len(archs), min_epochs, eta, budget, rule=stop
                )
            elif strategy == "hyperband":
                res = hyperband(evaluator, order, top, min_epochs, eta, rule=stop)
            else:
                res = asha(evaluator, order, top, min_epochs, eta, asha_workers, rule=stop)
    finally:
        if executor is not None:
            executor.close()
    table = Table(
        title=f"{res.strategy} on {benchmark or f'{space}/{dataset} (live)'}", title_justify="left"
    )
    for col in (
        "best",
        "final val acc",
        "true final",
        "epochs",
        "seconds",
        "started",
        "completed",
        "stopped",
        "failed",
    ):
        table.add_column(col)
    true = res.trace[-1].true_value if res.trace else None
    table.add_row(
        str(res.best_arch),
        f"{res.best_value:.2f}" if res.best_value is not None else "-",
        f"{true:.2f}" if true is not None else "-",
        str(res.epochs_used),
        f"{res.seconds_used:.1f}",
        str(res.configs),
        str(res.completed),
        str(res.stopped),
        str(res.failed),
    )
    out.print(table)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / "trace.csv"
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["epochs", "seconds", "arch", "value", "true_value"])
            for p in res.trace:
                writer.writerow([p.epochs, p.seconds, p.arch, p.value, p.true_value])
        out.print(f"trace: {path}")


@app.command("estimate")
def estimate_cmd(
    method: str = typer.Option("feature-history", "--method", help="feature-history"),
    space: str = typer.Option("nb201", "--space", help="search space"),
    dataset: str = typer.Option("digits", "--dataset", help="digits, mnist, mnist1d or cifar10"),
    cells: int = typer.Option(20, "--cells", help="cells sampled (fixed by --seed)"),
    epochs: int = typer.Option(2, "--epochs", help="short training budget E"),
    full_epochs: int = typer.Option(30, "--full-epochs", help="length of a full run (schedule)"),
    variant: str = typer.Option("concat", "--variant", help="concat, consensus or ema"),
    k: int = typer.Option(2, "--k", help="epochs of history used (concat, consensus)"),
    probe_size: int = typer.Option(256, "--probe-size", help="training images probed"),
    layer: str | None = typer.Option(
        None, "--layer", help="module to capture (default: the classifier's input)"
    ),
    limit: int | None = typer.Option(500, "--limit", help="cap the training split"),
    val_fraction: float = typer.Option(0.25, "--val-fraction"),
    nb201_c: int = typer.Option(16, "--nb201-c"),
    nb201_n: int = typer.Option(5, "--nb201-n"),
    batch_size: int = typer.Option(64, "--batch-size"),
    workers: int = typer.Option(2, "--workers", help="cells estimated in parallel"),
    executor_name: str = typer.Option("local", "--executor", help="local or ray"),
    address: str | None = typer.Option(None, "--address", help="ray cluster address"),
    seed: int = typer.Option(0, "--seed"),
    out_path: Path | None = typer.Option(None, "--out", help="CSV of the estimates"),
) -> None:
    """Estimate sampled cells' trained accuracy from a short run (feature histories)."""
    import csv

    from .execution import make_executor
    from .search import estimate_cells

    if method != "feature-history":
        raise UnknownNameError("method", method, ["feature-history"])
    config, archs = _live_cells(
        space,
        dataset,
        cells,
        full_epochs,
        seed,
        nb201_c,
        nb201_n,
        limit,
        val_fraction,
        batch_size,
    )
    with make_executor(executor_name, workers, address) as ex, _progress() as progress:
        progress.add_task(f"estimating {len(archs)} cells", total=None)
        rows = estimate_cells(config, archs, ex, epochs, seed, variant, k, probe_size, layer)
    table = Table(title=f"feature-history estimates ({variant}, E={epochs}, K={k})")
    for col in ("cell", "estimate", f"own val acc at E={epochs}", "status", "KiB", "s"):
        table.add_column(col)
    for r in sorted(rows, key=lambda r: -(r.get("estimate") or -1)):
        table.add_row(
            r["arch"],
            f"{r['estimate']:.2f}" if r.get("estimate") is not None else "-",
            f"{r['network_val_acc']:.2f}" if r.get("network_val_acc") is not None else "-",
            r["status"],
            f"{r.get('feature_bytes', 0) / 1024:.0f}",
            f"{r.get('seconds', 0):.1f}",
        )
    out.print(table)
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with out_path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(
                [
                    "arch",
                    "estimate",
                    "network_val_acc",
                    "status",
                    "reason",
                    "feature_bytes",
                    "seconds",
                    *(f"est_{v}" for v in ("concat", "consensus", "ema")),
                ]
            )
            for r in rows:
                v = r.get("variants") or {}
                writer.writerow(
                    [
                        r["arch"],
                        r.get("estimate"),
                        r.get("network_val_acc"),
                        r["status"],
                        r.get("reason"),
                        r.get("feature_bytes"),
                        r.get("seconds"),
                        v.get("concat"),
                        v.get("consensus"),
                        v.get("ema"),
                    ]
                )
        out.print(f"estimates: {out_path}")


@app.command("benchmarks")
def benchmarks_cmd(
    count: bool = typer.Option(True, "--count/--no-count", help="load each found one to count it"),
) -> None:
    """List the benchmarks, whether their data is found, and their sizes."""
    from .benchmarks import BENCHMARKS, benchmark_status, load_benchmark

    table = Table(title="benchmarks", title_justify="left")
    for col in ("name", "status", "candidates", "file size", "what"):
        table.add_column(col)
    for name, info in BENCHMARKS.items():
        status, size = benchmark_status(name)
        n = ""
        if count and status in ("found", "installed"):
            n = f"{len(load_benchmark(name)):,}"
        table.add_row(name, status, n, f"{size / 1e6:.2f} MB" if size else "", info.summary)
    table.add_row("nb201-DATASET", "", "", "", "NB201 table nb201/nb201_DATASET.csv.gz")
    table.add_row("nb201:PATH", "", "", "", "any file in the NB201 table schema")
    table.add_row("csv:PATH", "", "", "", "your own results; needs --target COLUMN")
    out.print(table)


@app.command("predictors")
def predictors_cmd() -> None:
    """List the predictors and what each needs."""
    import importlib.util

    from .predictors import PREDICTORS, get_predictor_class
    from .predictors.registry import COLUMN_PREFIX

    table = Table(title="predictors", title_justify="left")
    for col in ("name", "family", "requires", "extra", "what"):
        table.add_column(col)
    extra_modules = {"trees": ("xgboost", "lightgbm", "ngboost"), "torch": ("torch",)}
    for name, spec in PREDICTORS.items():
        cls = get_predictor_class(name)
        req = cls().requires.describe()
        extra = ""
        if spec.extra:
            ok = any(importlib.util.find_spec(m) is not None for m in extra_modules[spec.extra])
            extra = f"{spec.extra} ({'installed' if ok else 'missing'})"
        table.add_row(name, cls.family, req, extra, spec.summary)
    table.add_row(
        COLUMN_PREFIX + "NAME",
        "baseline",
        "scores=NAME; no training data",
        "",
        "a numeric column (params, FLOPs, a proxy) as the score",
    )
    out.print(table)


def main(argv: list[str] | None = None) -> int:
    """Entry point: NasperfError becomes one line on stderr and exit code 2."""
    logging.basicConfig(
        level=logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_time=False, show_path=False)],
    )
    try:
        app(args=argv, prog_name="nasperf")  # usage errors: typer prints them, exits with 2
    except NasperfError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
