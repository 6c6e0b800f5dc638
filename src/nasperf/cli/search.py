"""``nasperf search``: multi-fidelity search on learning curves (a table's, or trained live)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from ..exceptions import ConfigurationError, UnknownNameError
from .checks import (
    check_address,
    check_data,
    check_feature_history,
    check_out,
    check_seed,
    refuse,
)
from .console import new_table, out, progress
from .evaluate import curves_options
from .live import LiveTrainingOptions, with_feature_history, with_live_training
from .options import (
    ADDRESS,
    CURVE,
    EPOCH_COLUMN,
    EXECUTOR,
    MINIMIZE,
    RUN_COLUMN,
    WORKERS,
    out_option,
)

if TYPE_CHECKING:
    from ..search import SampleSearchResult, SearchResult

__all__ = [
    "search",
    "Plan",
    "stopping_rule",
    "run_strategy",
    "sample_search_table",
    "LIVE_ESTIMATOR",
    "RULES",
    "STRATEGIES",
    "TRACE_COLUMNS",
    "search_table",
    "records_time",
]

STRATEGIES = ("random", "sh", "hyperband", "asha", "sample-and-estimate")
RULES = ("none", "baker", "median")
#: the estimator of a live sample-and-estimate search
LIVE_ESTIMATOR = "feature-history"
TRACE_COLUMNS = ("epochs", "seconds", "arch", "value", "true_value")

#: options that only a live search uses: a table's cells are drawn and trained already
_LIVE_ONLY = (
    "space",
    "dataset",
    "epochs",
    "batch_size",
    "lr",
    "optimizer",
    "val_fraction",
    "limit",
    "nb201_c",
    "nb201_n",
    "size",
    "channels",
    "data_root",
    "device",
    "executor_name",
    "address",
)
#: the proxy classifier of a feature-history estimate (a live sample-and-estimate)
_FEATURE_HISTORY = ("variant", "k", "probe_size", "layer", "ema_decay", "c")
#: what the multi-fidelity strategies use and sample-and-estimate does not
_MULTI_FIDELITY = ("rule", "delta", "min_completed", "budget", "eta", "min_epochs", "n")


@dataclass(frozen=True)
class Plan:
    """What a search does, whatever it runs on.

    ``strategy`` with the stopping rule ``stop`` (None: none); the multi-fidelity strategies
    spend ``budget`` epochs in all (None: every candidate's full run) on rungs from
    ``min_epochs`` growing by ``eta``, ``n`` candidates in a successive-halving bracket (None:
    all), ``asha_workers`` simulated ASHA workers; sample-and-estimate estimates candidates
    with ``estimator`` after ``feature_history.epochs`` (the short budget) and fully trains
    the ``top_k`` best on ``workers`` workers.
    """

    strategy: str
    stop: Any = None
    budget: int | None = None
    eta: int = 3
    min_epochs: int = 1
    n: int | None = None
    asha_workers: int = 4
    estimator: str = LIVE_ESTIMATOR
    feature_history: Any = None  # FeatureHistorySettings (its epochs: the short budget)
    top_k: int = 2
    workers: int = WORKERS.default


@with_live_training
@with_feature_history
def search(
    training: LiveTrainingOptions,
    feature_history: Any,  # FeatureHistorySettings of a live sample-and-estimate
    strategy: str = typer.Option(
        "hyperband",
        "--strategy",
        help="random, sh (successive halving), hyperband, asha or sample-and-estimate",
    ),
    estimator: str = typer.Option(
        LIVE_ESTIMATOR,
        "--estimator",
        help="sample-and-estimate: feature-history (--live) or a curve predictor (-b TABLE)",
    ),
    top_k: int = typer.Option(
        2, "--top-k", help="sample-and-estimate: candidates fully trained (a multiple of workers)"
    ),
    benchmark: str | None = typer.Option(
        None, "--benchmark", "-b", help="a benchmark with curves (simulated time)"
    ),
    live: bool = typer.Option(
        False, "--live", help="train the cells for real (with the live-training options)"
    ),
    rule: str = typer.Option("none", "--rule", help="early stopping: none, baker or median"),
    delta: float = typer.Option(0.05, "--delta", help="baker: stop when P(final >= best) <= Δ"),
    min_completed: int = typer.Option(10, "--min-completed", help="runs before the rule acts"),
    budget: int | None = typer.Option(None, "--budget", help="epochs to spend (default: all)"),
    eta: int = typer.Option(3, "--eta", help="halving rate"),
    min_epochs: int = typer.Option(1, "--min-epochs", help="epochs of the lowest rung"),
    n: int | None = typer.Option(None, "--n", help="sh: candidates in the bracket"),
    asha_workers: int = typer.Option(4, "--asha-workers", help="asha: simulated workers"),
    workers: int = WORKERS,
    executor_name: str = EXECUTOR,
    address: str | None = ADDRESS,
    out_dir: Path | None = out_option("trace CSV (and live checkpoints)"),
    curve: str | None = CURVE,
    minimize: bool | None = MINIMIZE,
    run_column: str | None = RUN_COLUMN,
    epoch_column: str | None = EPOCH_COLUMN,
) -> None:
    """Multi-fidelity search on learning curves, with or without early stopping.

    On a table (-b) time is simulated from its curves; --live trains the cells drawn by --cells
    and --seed. Sample-and-estimate on a table also draws --cells candidates.
    """
    if strategy not in STRATEGIES:
        raise UnknownNameError("strategy", strategy, list(STRATEGIES))
    stop = stopping_rule(rule, delta, min_completed)
    _check_place(strategy, live, benchmark)
    _check_strategy_options(strategy, rule)
    check_seed(training.seed)
    check_address(executor_name, address)
    check_out(out_dir, directory=True)
    curves = curves_options(benchmark, curve, minimize, run_column, epoch_column)
    plan = Plan(
        strategy,
        stop,
        budget,
        eta,
        min_epochs,
        n,
        asha_workers,
        estimator,
        feature_history,
        top_k,
        workers,
    )
    if live:
        _search_live(training, plan, executor_name, address, out_dir)
    elif benchmark is None:
        raise ConfigurationError("give --benchmark NAME (with curves) or --live")
    else:
        _search_table(benchmark, training, plan, out_dir, curves)


def _check_place(strategy: str, live: bool, benchmark: str | None) -> None:
    """A search runs on a table or live, and options of the other place are errors."""
    if live and benchmark is not None:
        raise ConfigurationError("give --benchmark TABLE or --live, not both")
    if live:
        return
    refuse(_LIVE_ONLY, "only applies to --live (a table's runs are trained already)")
    if strategy == "sample-and-estimate":
        refuse(_FEATURE_HISTORY, "only applies to a live feature-history estimate (--live)")
    else:
        refuse(("cells", "workers"), "only applies to --live or to sample-and-estimate")


def _check_strategy_options(strategy: str, rule: str) -> None:
    """Options that mean nothing for ``strategy`` or ``rule`` are errors."""
    if strategy == "sample-and-estimate":
        refuse(_MULTI_FIDELITY, "does not apply to --strategy sample-and-estimate")
    else:
        refuse(
            ("estimator", "top_k", "short_epochs", *_FEATURE_HISTORY),
            "only applies to --strategy sample-and-estimate",
        )
    if strategy != "sh":
        refuse(("n",), "only applies to --strategy sh")
    if strategy != "asha":
        refuse(("asha_workers",), "only applies to --strategy asha")
    if strategy not in ("sh", "hyperband", "asha"):
        refuse(("eta", "min_epochs"), "only applies to --strategy sh, hyperband or asha")
    if rule != "baker":
        refuse(("delta",), "only applies to --rule baker")
    if rule == "none":
        refuse(("min_completed",), "only applies with a --rule (baker or median)")


def stopping_rule(rule: str, delta: float, min_completed: int) -> Any:
    """The early-stopping rule called ``rule`` (None for ``none``)."""
    from ..search import BakerRule, MedianRule

    if rule not in RULES:
        raise UnknownNameError("rule", rule, list(RULES))
    if rule == "baker":
        return BakerRule(delta=delta, min_completed=min_completed)
    if rule == "median":
        return MedianRule(min_completed=min_completed)
    return None


def _search_live(
    training: LiveTrainingOptions,
    plan: Plan,
    executor_name: str,
    address: str | None,
    out_dir: Path | None,
) -> None:
    """A search that trains the cells of ``training`` on an executor, checkpoints in out_dir."""
    from ..execution import make_executor
    from ..search import LiveBackend

    if out_dir is None:
        raise ConfigurationError("--live needs --out DIR for the runs' checkpoints")
    sample = plan.strategy == "sample-and-estimate"
    if sample and plan.estimator != LIVE_ESTIMATOR:
        raise UnknownNameError("estimator", plan.estimator, [LIVE_ESTIMATOR])
    config, archs = training.config(), training.archs()
    _check_budget(plan, config.epochs, len(archs))
    if sample:
        check_feature_history(plan.feature_history)
    check_data(config)
    where = f"{training.space}/{training.dataset} (live)"
    with make_executor(executor_name, plan.workers, address) as executor:
        backend = LiveBackend(
            config, executor, out_dir / "runs", seed=training.seed, device=training.device
        )
        try:
            if sample:
                result = _sample_and_estimate_live(config, archs, executor, backend, plan, training)
            else:  # as many jobs in flight as the executor has workers
                result = run_strategy(plan, backend, archs, training.seed, workers=executor.workers)
        finally:
            backend.close()
    if sample:
        _report_sample_search(where, result, out_dir)
    else:
        _report_search(where, result, out_dir)


def _report_sample_search(where: str, found: SampleSearchResult, out_dir: Path) -> None:
    """Print the result's table and write every estimate to ``out_dir/estimates.json``."""
    out.print(sample_search_table(where, found))
    path = out_dir / "estimates.json"
    path.write_text(json.dumps({"estimates": found.estimates, "finals": found.finals}))
    out.print(f"estimates: {path}")


def _sample_and_estimate_live(
    config: Any,
    archs: Sequence[str],
    executor: Any,
    backend: Any,
    plan: Plan,
    training: LiveTrainingOptions,
) -> SampleSearchResult:
    from ..search import sample_and_estimate

    with progress() as bar:
        task = bar.add_task(f"estimating {len(archs)} cells", total=len(archs))
        return sample_and_estimate(
            config,
            archs,
            executor,
            backend,
            plan.feature_history,
            plan.top_k,
            training.seed,
            on_cell=lambda done, total: bar.update(task, completed=done),
        )


def _search_table(
    benchmark: str,
    training: LiveTrainingOptions,
    plan: Plan,
    out_dir: Path | None,
    curves: dict[str, Any] | None = None,
) -> None:
    """A search in simulated time on the curves of the table ``benchmark`` (``curves``: the
    options of a curves: file)."""
    from ..benchmarks import load_benchmark
    from ..search import TabularBackend, permuted, sample_and_estimate_curves

    bench = load_benchmark(benchmark, **(curves or {}))
    if bench.max_fidelity is None:
        raise ConfigurationError(
            f"benchmark {bench.name!r} has no learning curves; multi-fidelity search "
            "needs one (e.g. nb201-digits or nb201-cifar10-curves)"
        )
    backend = TabularBackend(bench)
    archs = [r.arch for r in bench.records()]
    timed = records_time(bench)
    if plan.strategy != "sample-and-estimate":
        _check_budget(plan, backend.max_epochs, len(archs))
        result = run_strategy(plan, backend, archs, training.seed)
        _report_search(benchmark, result, out_dir, timed=timed)
        return
    if plan.estimator == LIVE_ESTIMATOR:
        raise ConfigurationError(
            "the tables hold no feature histories: use --live, or a curve estimator on a "
            "table (--estimator early-stop-acc, sotl-e, sotl, early-stop-loss or lce)"
        )
    _check_estimator(bench, plan)
    sampled = list(permuted(archs, training.seed))[: min(training.cells, len(archs))]
    found = sample_and_estimate_curves(
        backend,
        sampled,
        plan.feature_history.epochs,
        plan.top_k,
        plan.estimator,
        plan.workers,
    )
    where = f"{benchmark} (simulated, {plan.workers} workers)"
    out.print(sample_search_table(where, found, timed=timed))


def records_time(bench: Any) -> bool:
    """Whether ``bench`` records training time (per-epoch or total); else a simulated search
    counts one unit per epoch, and its tables say epochs."""
    return any("epoch_time" in r.curves or r.cost is not None for r in bench.records())


def _check_budget(plan: Plan, max_epochs: int, candidates: int) -> None:
    """A budget too small for the strategy's first run, rung or bracket is an error now."""
    from ..search import check_budget

    if plan.strategy != "sample-and-estimate":
        check_budget(
            plan.strategy,
            plan.budget,
            max_epochs,
            candidates,
            n=plan.n,
            min_epochs=plan.min_epochs,
            eta=plan.eta,
        )


def _check_estimator(bench: Any, plan: Plan) -> None:
    """The curve estimator of a table's sample-and-estimate reads what the table records."""
    from ..evaluation import usable_pool
    from ..predictors import make_predictor

    short = plan.feature_history.epochs
    if not 1 <= short < bench.max_fidelity:
        raise ConfigurationError(
            f"--short-epochs must be 1..{bench.max_fidelity - 1} on {bench.name} (its runs "
            f"have {bench.max_fidelity} epochs), got {short}"
        )
    usable_pool(
        bench.records(),
        {plan.estimator: make_predictor(plan.estimator, fidelity=short)},
        bench.name,
    )


def run_strategy(
    plan: Plan, backend: Any, archs: Sequence[Any], seed: int, *, workers: int | None = None
) -> SearchResult:
    """Run the multi-fidelity ``plan.strategy`` on ``archs`` in the order drawn by ``seed``,
    with ``workers`` jobs in flight (None: one, and ``plan.asha_workers`` for ASHA)."""
    with progress() as bar:
        task = bar.add_task(
            f"{plan.strategy} search (epochs)",
            total=plan.budget or backend.max_epochs * len(archs),
        )
        result = _run_strategy(
            plan,
            backend,
            archs,
            seed,
            workers,
            lambda res: bar.update(task, completed=res.epochs_used),
        )
        bar.update(task, completed=result.epochs_used)
    return result


def _run_strategy(
    plan: Plan,
    backend: Any,
    archs: Sequence[Any],
    seed: int,
    workers: int | None,
    on_progress: Callable[[SearchResult], None],
) -> SearchResult:
    from ..search import asha, hyperband, permuted, random_search, successive_halving

    order = permuted(archs, seed)
    top = plan.budget or backend.max_epochs * len(archs)
    rule, jobs = plan.stop, workers or 1
    if plan.strategy == "random":
        return random_search(
            backend, order, plan.budget, rule, workers=jobs, on_progress=on_progress
        )
    if plan.strategy == "sh":
        return successive_halving(
            backend, order, plan.n or len(archs), plan.min_epochs, plan.eta, plan.budget, rule,
            workers=jobs, on_progress=on_progress,
        )  # fmt: skip
    if plan.strategy == "hyperband":
        return hyperband(
            backend, order, top, plan.min_epochs, plan.eta, rule,
            workers=jobs, on_progress=on_progress,
        )  # fmt: skip
    return asha(
        backend, order, top, plan.min_epochs, plan.eta, workers or plan.asha_workers, rule,
        on_progress=on_progress,
    )  # fmt: skip


def _report_search(
    where: str, res: SearchResult, out_dir: Path | None, *, timed: bool = True
) -> None:
    """Print the result's table; write its trace to ``out_dir/trace.csv`` if given."""
    out.print(search_table(where, res, timed=timed))
    if out_dir is None:
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "trace.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(TRACE_COLUMNS)
        for p in res.trace:
            writer.writerow([p.epochs, p.seconds, p.arch, p.value, p.true_value])
    out.print(f"trace: {path}")


def _value(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def search_table(where: str, res: SearchResult, *, timed: bool = True) -> Table:
    """One row: what a multi-fidelity search returned and what it cost (in epochs only when
    ``timed`` is False: its benchmark records no training time). Every started run is counted
    once: completed, stopped by the rule, failed, or left at a lower rung (not promoted by the
    halving, or cut short by the budget)."""
    columns = ("best", "final val acc", "true final", "epochs", *(("seconds",) if timed else ()))
    columns += ("started", "completed", "stopped", "failed", "left at a rung")
    title = f"{res.strategy} on {where}" + ("" if timed else " (no recorded time: cost in epochs)")
    table = new_table(title, columns)
    true = res.trace[-1].true_value if res.trace else None
    table.add_row(
        str(res.best_arch),
        _value(res.best_value),
        _value(true),
        str(res.epochs_used),
        *((f"{res.seconds_used:.1f}",) if timed else ()),
        str(res.configs),
        str(res.completed),
        str(res.stopped),
        str(res.failed),
        str(res.configs - res.completed - res.stopped - res.failed),
    )
    return table


def sample_search_table(where: str, found: SampleSearchResult, *, timed: bool = True) -> Table:
    """One row: what a sample-and-estimate search returned and what it cost (in seconds, or
    in epochs when ``timed`` is False: its benchmark records no training time)."""
    unit = "s" if timed else "epochs"
    columns = ("best", "final val acc", "estimated", "fully trained")
    columns += (f"estimate {unit}", f"full {unit}")
    table = new_table(f"sample-and-estimate on {where}", columns, left=False)
    done = sum(r.get("estimate") is not None for r in found.estimates)
    table.add_row(
        str(found.best_arch),
        _value(found.best_value),
        f"{done}/{len(found.estimates)}",
        str(len(found.finals)),
        f"{found.estimate_seconds:.1f}",
        f"{found.train_seconds:.1f}",
    )
    return table
