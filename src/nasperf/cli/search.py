"""``nasperf search STRATEGY``: one subcommand per strategy, its options turned into a
:class:`~nasperf.search.SearchSpec` whose seeds run on a table (simulated time) or live.
``--workers`` are the executor's (seeds at once on a table, jobs live), ``--in-flight`` the
jobs on a table's simulated clock. ``fear`` and ``sample-and-estimate`` are aliases of
``random --fitness``. An option that does not apply where the search runs is an error."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import typer

from ..exceptions import ConfigurationError, UnknownNameError
from . import checks
from . import options as opt
from .console import mark_resumable, new_table, out, progress
from .evaluate import curves_options
from .live import (
    LiveTrainingOptions,
    with_bundle,
    with_feature_history,
    with_live_training,
    with_live_training_of_space,
    with_settings,
)
from .options import option

__all__ = ["search_app", "SearchArgs", "SearchOptions", "BudgetOptions", "RuleOptions"]

#: options that only a live search uses: a table's cells are drawn and trained already
_LIVE_ONLY = (
    *("space", "dataset", "epochs", "batch_size", "lr", "optimizer", "val_fraction", "limit"),
    *("nb201_c", "nb201_n", "size", "channels", "data_root", "device"),
)
_CURVES_ONLY = ("curve", "minimize", "run_column", "epoch_column", "target_epoch")
_FEAR = ("threshold", "stage2_epochs", "time_ratio")
#: the options behind the spec's fields, for its messages
_FLAGS = {"budget_epochs": "--budget", "queries": "--queries", "in_flight": "--in-flight",
          "top_k": "--top-k", "short_epochs": "--short-epochs"}  # fmt: skip

search_app = typer.Typer(help="Search on a table (simulated time, -b NAME) or live (--live): "
                         "one subcommand per strategy.", no_args_is_help=True)  # fmt: skip


@dataclass(frozen=True)
class SearchOptions:
    """Where a search runs, on what executor, how many seeds, and what it writes."""

    benchmark: str | None = None
    live: bool = False
    out_dir: Path | None = None
    seeds: int = 1
    workers: int = 1
    executor_name: str = "local"
    address: str | None = None
    in_flight: int = 1
    curve: str | None = None
    minimize: bool | None = None
    run_column: str | None = None
    epoch_column: str | None = None
    target_epoch: int | None = None
    target: str | None = None


with_where = with_settings(SearchOptions, "where", {
    "benchmark": typer.Option(None, "--benchmark", "-b",
                              help="a benchmark table: its runs replayed in simulated time"),
    "live": option(False, "--live", "train the cells for real (live-training options)"),
    "out_dir": opt.out_option("summary.csv, trace.csv and a fitness's estimates.json (many "
                              "seeds: seeds.csv and anytime.png too), the seeds journal (live: "
                              "the runs' checkpoints)"),
    "seeds": option(1, "--seeds", "independent searches, seeds --seed.. (rerun: continued)"),
    "workers": option(1, "--workers", "the executor's workers: seeds at once, or live jobs"),
    "executor_name": opt.EXECUTOR,
    "address": opt.ADDRESS,
    "in_flight": option(1, "--in-flight", "on a table: jobs in flight in simulated time "
                         "(default 1; asha 4)", show_default=False),
    "curve": opt.CURVE, "minimize": opt.MINIMIZE, "run_column": opt.RUN_COLUMN,
    "epoch_column": opt.EPOCH_COLUMN, "target_epoch": opt.TARGET_EPOCH,
    "target": opt.TARGET,
})  # fmt: skip


@dataclass(frozen=True)
class BudgetOptions:
    """What a search may spend: epochs, or full runs (queries)."""

    budget: int | None = None
    queries: int | None = None


_BUDGET = {
    "budget": option(None, "--budget", "epochs to spend in all (default: no limit; a query of "
                      "a table without curves is one; with --fitness: estimates)"),
    "queries": option(None, "--queries", "candidates to evaluate fully, a budget of QUERIES "
                       "full runs (with --fitness: QUERIES estimates, then the top k trained)"),
}  # fmt: skip


@dataclass(frozen=True)
class RuleOptions:
    """An early-stopping rule asked at checkpoints: Baker et al.'s or the median rule."""

    rule: str = "none"
    delta: float = 0.05
    min_completed: int = 10
    dense: bool = False


_RULE = "Early stopping"
with_rule = with_settings(RuleOptions, "stopping", {
    "rule": option("none", "--rule", "none, baker[:CURVE_MODEL] or median", _RULE),
    "delta": option(0.05, "--delta", "baker: stop when P(final >= best) <= Δ", _RULE),
    "min_completed": option(10, "--min-completed", "runs completed before the rule acts", _RULE),
    "dense": option(False, "--dense", "ask the rule after epochs 1, 2, 3 and 5 too", _RULE),
})  # fmt: skip


@dataclass(frozen=True)
class FitnessOptions:
    """A short-budget estimate as the search's fitness, then the top k trained fully."""

    fitness: str | None = None
    short_epochs: int = 2
    top_k: int = 2
    threshold: float | None = None
    stage2_epochs: int = 5
    time_ratio: float = 4.0


_FEAR_PANEL = "FEAR (--fitness fear, search fear)"
TOP_K: Any = option(2, "--top-k", "candidates trained to the end, by their estimate")
_FEAR_OPTIONS = {
    "threshold": option(None, "--threshold", "stage-1 training accuracy to reach, a fraction "
                         "(default: the 0.9 quantile of 5 reference cells' first epoch)",
                         _FEAR_PANEL),
    "stage2_epochs": option(5, "--stage2-epochs", "epochs of training the tail alone",
                             _FEAR_PANEL),
    "time_ratio": option(4.0, "--time-ratio", "drop a candidate whose stage 1 takes more than "
                          "R times the fastest so far (0: never)", _FEAR_PANEL),
}  # fmt: skip
with_fitness = with_settings(FitnessOptions, "scoring", {
    "fitness": option(None, "--fitness", "score candidates by feature-history or fear "
                       "(--live), or a curve estimator after --short-epochs (a table: "
                       "early-stop-acc, sotl-e, ...), then train the top k",
                       "Short-budget fitness"),
    "short_epochs": opt.SHORT_EPOCHS, "top_k": TOP_K, **_FEAR_OPTIONS,
})  # fmt: skip


@dataclass
class SearchArgs:
    """What every subcommand receives, its shared options (its own come as parameters)."""

    training: LiveTrainingOptions
    where: SearchOptions
    spend: BudgetOptions = field(default_factory=BudgetOptions)
    scoring: FitnessOptions | None = None
    stopping: RuleOptions | None = None


def search_command(
    name: str,
    *,
    cells: bool = True,
    budget: tuple[str, ...] = ("budget", "queries"),
    fitness: Any = with_fitness,
    rule: bool = False,
    cells_live_only: bool = True,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``fn(args: SearchArgs, **own options)`` as ``nasperf search NAME`` with the
    shared options: live training (``cells``: with ``--cells``, only read live unless not
    ``cells_live_only``), where it runs, the ``budget`` options named, a ``fitness`` (None:
    none) and a stopping ``rule``. The help marks the options a table search refuses."""
    parts: dict[str, Any] = {
        "training": with_live_training if cells else with_live_training_of_space,
        "where": with_where,
        "spend": with_settings(BudgetOptions, "spend", {k: _BUDGET[k] for k in budget}),
    }
    parts.update({"scoring": fitness} if fitness is not None else {})
    parts.update({"stopping": with_rule} if rule else {})
    live_only = (*_LIVE_ONLY_HELP, *(("cells",) if cells_live_only else ()))
    return lambda fn: search_app.command(name)(
        _marked_live_only(with_bundle(SearchArgs, "args", parts)(fn), live_only)
    )


#: the options whose help says "(live only)": a table search refuses them (``--space`` also
#: names the space of a csv: or curves: table's ids)
_LIVE_ONLY_HELP = (
    *(name for name in _LIVE_ONLY if name != "space"),
    *_FEAR,  # FEAR trains: a table cannot give its scores
    *("variant", "k", "probe_size", "layer", "ema_decay", "c"),  # a live feature history's
)


def _marked_live_only(command: Callable[..., None], names: Iterable[str]) -> Callable[..., None]:
    """``command`` with " (live only)" after the help of its options ``names`` (parameter
    names; those it lacks are skipped). The options are copies: other commands share them."""
    names = set(names)
    signature = inspect.signature(command)
    params = []
    for param in signature.parameters.values():
        info = param.default
        if param.name in names and isinstance(info, typer.models.OptionInfo):
            info = copy.copy(info)
            info.help = f"{info.help} (live only)"
            param = param.replace(default=info)
        params.append(param)
    command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return command


# -- the subcommands ------------------------------------------------------------------------------
ETA: Any = option(3, "--eta", "halving rate")
MIN_EPOCHS: Any = option(1, "--min-epochs", "epochs of the lowest rung")


@search_command("random", rule=True)
def random_cmd(args: SearchArgs) -> None:
    """Random search: full runs, one per free worker, with or without early stopping."""
    _search("random", {}, args)


@search_command("sh", budget=("budget",), fitness=None, rule=True)
def sh_cmd(
    args: SearchArgs,
    n: int | None = option(None, "--n", "candidates in the bracket (default: all)"),
    eta: int = ETA,
    min_epochs: int = MIN_EPOCHS,
) -> None:
    """Successive halving: one bracket, the top 1/eta promoted at each rung."""
    _search("sh", {"n": n, "eta": eta, "min_epochs": min_epochs}, args)


@search_command("hyperband", budget=("budget",), fitness=None, rule=True)
def hyperband_cmd(args: SearchArgs, eta: int = ETA, min_epochs: int = MIN_EPOCHS) -> None:
    """Hyperband (Li et al. 2017): brackets of successive halving until the budget is spent."""
    _search("hyperband", {"eta": eta, "min_epochs": min_epochs}, args)


@search_command("asha", budget=("budget",), fitness=None, rule=True)
def asha_cmd(args: SearchArgs, eta: int = ETA, min_epochs: int = MIN_EPOCHS) -> None:
    """ASHA (Li et al. 2020): asynchronous successive halving, a free worker never waits."""
    if not checks.given("in_flight"):
        args.where = replace(args.where, in_flight=4)
    _search("asha", {"eta": eta, "min_epochs": min_epochs}, args)


@search_command("re", cells=False)
def re_cmd(
    args: SearchArgs,
    population: int = option(30, "--population", "candidates in the population"),
    sample: int = option(10, "--sample", "members drawn for each tournament"),
) -> None:
    """Regularised evolution (Real et al. 2019): mutate a tournament's best, the oldest dies."""
    _search("re", {"population": population, "sample": sample}, args)


INIT: Any = option(10, "--init", "random candidates first")
FIRST: Any = option(False, "--first-improvement", "move to the first better neighbour")


@search_command("ls", cells=False)
def ls_cmd(args: SearchArgs, init: int = INIT, first_improvement: bool = FIRST) -> None:
    """Local search (White et al. 2021): the best's neighbours until none is better, restart."""
    _search("ls", {"init": init, "first_improvement": first_improvement}, args)


@dataclass(frozen=True)
class SurrogateOptions:
    """The settings BANANAS and NPENAS share (``batch`` is the schedulers' ``k``)."""

    predictor: str | None = None
    init: int = 10
    batch: int = 10
    candidates: int = 100
    parents: int = 2
    mutations: int = 1
    features: str | None = None

    def params(self) -> dict[str, Any]:
        """The scheduler's arguments (``--features a,b`` as a list)."""
        names = [t.strip() for t in (self.features or "").split(",") if t.strip()]
        if self.features is not None and not names:
            raise ConfigurationError("--features needs at least one column name")
        params = {**asdict(self), "k": self.batch, "features": names or None}
        del params["batch"]
        return params


with_surrogate = with_settings(SurrogateOptions, "surrogate", {
    "predictor": option(None, "--predictor", "the surrogate: any model-based predictor"),
    "init": INIT,
    "batch": option(10, "--batch", "candidates evaluated per surrogate fit (k)"),
    "candidates": option(100, "--candidates", "mutants scored per round"),
    "parents": option(2, "--parents", "best candidates mutated each round"),
    "mutations": option(1, "--mutations", "edits per mutant"),
    "features": option(None, "--features", "a table's zero-cost columns as free surrogate "
                        "features (a,b,...)"),
})  # fmt: skip


@search_command("bananas", cells=False)
@with_surrogate
def bananas_cmd(
    args: SearchArgs,
    *,
    surrogate: SurrogateOptions,
    acquisition: str = option("its", "--acquisition", "its, ucb or exploit"),
) -> None:
    """BANANAS (White et al. 2021): a predictor's acquisition over mutants of the best."""
    _search("bananas", {**surrogate.params(), "acquisition": acquisition}, args)


@search_command("npenas", cells=False)
@with_surrogate
def npenas_cmd(args: SearchArgs, *, surrogate: SurrogateOptions) -> None:
    """NPENAS (Wei et al. 2022): offspring of the best filtered by a predictor's mean."""
    _search("npenas", surrogate.params(), args)


@search_command("metaqnn", cells=False, budget=(), rule=True)
def metaqnn_cmd(
    args: SearchArgs,
    models: int = option(150, "--models", "models in Baker et al.'s ε schedule"),
    alpha: float = option(0.01, "--alpha", "Q-learning rate"),
    gamma: float = option(1.0, "--gamma", "discount"),
    replay: int = option(100, "--replay", "replayed models after each new one"),
) -> None:
    """MetaQNN (Baker et al. 2017): Q-learning over the cell's choices, ε-greedy, replay."""
    from ..search import metaqnn_schedule

    _search(
        "metaqnn",
        {"schedule": metaqnn_schedule(models), "alpha": alpha, "gamma": gamma, "replay": replay},
        args,
    )


@search_command(
    "fear",
    budget=("queries",),
    fitness=with_settings(FitnessOptions, "scoring", {"top_k": TOP_K, **_FEAR_OPTIONS}),
)
def fear_cmd(args: SearchArgs) -> None:
    """FEAR random search (Dey et al. 2021), an alias of ``random --live --fitness fear``: FEAR
    scores --cells candidates live, dropping those whose stage 1 is slow (--time-ratio); the
    top k by score are trained fully (the paper returns the top 1: --top-k 1)."""
    if not args.where.live:
        raise ConfigurationError("FEAR trains candidates: search fear needs --live")
    args.scoring = replace(args.scoring or FitnessOptions(), fitness="fear")
    _search("random", {}, args)


ESTIMATOR: Any = option(
    "feature-history", "--estimator", "feature-history (--live) or a table's curve estimator"
)


@search_command("sample-and-estimate", budget=(), fitness=None, cells_live_only=False)
@with_feature_history
def sample_cmd(
    args: SearchArgs, *, feature_history: Any, estimator: str = ESTIMATOR, top_k: int = TOP_K
) -> None:
    """Estimate --cells candidates with a short budget, train the top k fully (Cao et al.): an
    alias of ``random --fitness ESTIMATOR`` (on a table: ``--queries CELLS``)."""
    args.scoring = FitnessOptions(estimator, feature_history.epochs, top_k)
    if args.where.live and estimator != "feature-history":
        raise UnknownNameError("live estimator", estimator, ["feature-history"])
    if not args.where.live:
        fh_options = ("variant", "k", "probe_size", "layer", "ema_decay", "c")
        checks.refuse(fh_options, "only applies to a live feature-history estimate (--live)")
        args.spend = BudgetOptions(queries=args.training.cells)
        _search("random", {}, args, cells_are_queries=True)
        return
    checks.check_feature_history(feature_history)
    settings = {k: v for k, v in asdict(feature_history).items() if k != "epochs"}
    _search("random", {}, args, estimator_settings=settings)


def _check_where(where: SearchOptions) -> None:
    """A search runs on a table or live, and options of the other place are errors."""
    if where.live == (where.benchmark is not None):
        both = ", not both" if where.live else ""
        raise ConfigurationError(f"give --benchmark NAME (a table) or --live{both}")
    if where.live:
        checks.refuse(("in_flight",), "only applies to a table (live: --workers jobs run at once)")
        checks.refuse(_CURVES_ONLY, "only applies to -b curves:")
        checks.refuse(("target",), "only applies to -b csv: or curves:")
        if where.out_dir is None:
            raise ConfigurationError("--live needs --out DIR for the runs' checkpoints")
    else:  # a csv: or curves: table takes --space: the space of its ids
        own = ("space",) if _ids_of_a_space(where) else ()
        live_only = [name for name in _LIVE_ONLY if name not in own]
        checks.refuse(live_only, "only applies to --live (a table's runs are trained already)")
    if where.seeds < 1:  # not the spec's: the seeds are run_seeds'
        raise ConfigurationError(f"--seeds must be >= 1, got {where.seeds}")
    checks.check_executor(where.executor_name)
    checks.check_address(where.executor_name, where.address)
    checks.check_out(where.out_dir, directory=True)


def _ids_of_a_space(where: SearchOptions) -> bool:
    """Whether the table is a user's own (``csv:``, ``curves:``): its ids' space is an option."""
    return str(where.benchmark).startswith(("csv:", "curves:"))


def _table_options(where: SearchOptions, space: str) -> dict[str, str]:
    """``--target`` and ``--space`` of a ``csv:`` or ``curves:`` table, as its loader's options
    (an error for another benchmark)."""
    if not _ids_of_a_space(where):
        checks.refuse(("target",), "only applies to -b csv: or curves:")
        return {}
    options = {} if where.target is None else {"target": where.target}
    return {**options, "space": space} if checks.given("space") else options


def _check_space(spec: Any) -> None:
    """A strategy that makes new candidates (mutations, neighbours, cells) needs a space to
    make them in: a table of opaque ids (space ``custom``) only serves those that draw from
    its candidates."""
    from ..search import strategy_class

    table = spec.table()
    if table is not None and table.space == "custom":
        if not strategy_class(spec.strategy).takes_candidates:
            raise ConfigurationError(
                f"{spec.strategy} makes new candidates from a search space, but the ids of "
                f"{table.name} are opaque (space custom): use search random (or sh, hyperband, "
                "asha on curves), or --space NAME when the ids are cells of that space"
            )


def _rule_settings(rule: RuleOptions | None) -> dict[str, Any]:
    """The spec's rule and its parameters (an option that means nothing for it: an error)."""
    if rule is None or rule.rule == "none":
        checks.refuse(("delta", "min_completed", "dense"), "only applies with a --rule")
        return {}
    name, _, model = rule.rule.partition(":")  # baker:lc-pfn: Baker's rule on another model
    if name != "baker":
        checks.refuse(("delta",), "only applies to --rule baker")
        if model:
            raise ConfigurationError(f"--rule {rule.rule}: only baker takes a curve model")
    params: dict[str, Any] = {"min_completed": rule.min_completed}
    if name == "baker":
        params["delta"] = rule.delta
        params.update({"predictor": model} if model else {})
    params.update({"checkpoints": "dense"} if rule.dense else {})
    return {"rule": name, "rule_params": params}


def _fitness_settings(scoring: FitnessOptions | None) -> dict[str, Any]:
    """The spec's fitness settings; options that mean nothing for it are errors."""
    if scoring is None or scoring.fitness is None:
        checks.refuse(("short_epochs", "top_k", *_FEAR), "only applies with --fitness")
        return {}
    settings: dict[str, Any] = {"fitness": scoring.fitness, "top_k": scoring.top_k}
    if scoring.fitness != "fear":
        checks.refuse(_FEAR, "only applies to --fitness fear")
        return {**settings, "short_epochs": scoring.short_epochs}
    checks.refuse(("short_epochs",), "does not apply to FEAR (its stage 1 runs to a threshold)")
    params = {name: getattr(scoring, name) for name in _FEAR}
    return {**settings, "fitness_params": params}


def _search(
    strategy: str,
    params: dict[str, Any],
    args: SearchArgs,
    *,
    estimator_settings: dict[str, Any] | None = None,
    cells_are_queries: bool = False,
) -> None:
    """Check the options, make the spec, run its seeds and report them."""
    from ..search import LiveRuns, SearchSpec, strategy_class

    training, where, spend = args.training, args.where, args.spend
    _check_where(where)
    checks.check_seed(training.seed)
    settings = {**_rule_settings(args.stopping), **_fitness_settings(args.scoring)}
    if estimator_settings:
        settings["fitness_params"] = estimator_settings
    if where.live:  # a strategy that takes candidates gets --cells drawn under each seed
        draw = training.cells if strategy_class(strategy).takes_candidates else None
        if draw is None:
            checks.refuse(("cells",), f"does not apply to {strategy}: it draws from the space")
        runs = str(where.out_dir / "runs")
        settings["live"] = LiveRuns(training.config(), runs, training.device, draw=draw)
    else:
        if not cells_are_queries:
            checks.refuse(("cells",), "only applies to --live or to sample-and-estimate")
        curve = (where.curve, where.minimize, where.run_column, where.epoch_column)
        options = curves_options(where.benchmark, *curve, target_epoch=where.target_epoch)
        settings["benchmark_options"] = {**options, **_table_options(where, training.space)}
        settings.update(benchmark=where.benchmark, in_flight=where.in_flight)
    params = {k: v for k, v in params.items() if v is not None}
    settings.update(budget_epochs=spend.budget, queries=spend.queries)
    own = {name: "--batch" if name == "k" else checks.flag(name) for name in params}
    with (
        checks.options_named("SearchSpec", _FLAGS),
        checks.options_named(strategy_class(strategy).__name__, own),  # BANANAS: k is --batch
    ):
        spec = SearchSpec(strategy, params=params, **settings)
        _check_space(spec)
        spec.check(seed=training.seed)
    _run(spec, where, training.seed)


def _run(spec: Any, where: SearchOptions, seed: int) -> None:
    """Run the seeds of ``spec`` on the executor of the options, and report them."""
    from ..execution import make_executor
    from ..search import run_seeds, summarise, write_results

    seeds = list(range(seed, seed + where.seeds))
    journal = None if where.out_dir is None else where.out_dir / "seeds"  # a rerun continues
    if where.out_dir is not None:
        what = "finished seeds" + (" and runs' checkpoints" if spec.live else "")
        mark_resumable(kept=where.out_dir, what=what)
    with progress() as bar, make_executor(where.executor_name, where.workers, where.address) as ex:
        task = bar.add_task(f"{spec.name} on {spec.where()} (seeds)", total=len(seeds))
        epochs = bar.add_task("this seed's search (epochs)", total=None) if spec.live else None
        results = run_seeds(
            spec,
            seeds,
            ex,
            journal,
            lambda n, _: bar.update(task, completed=n),
            on_progress=lambda r: bar.update(epochs, completed=r.epochs_used),
        )
    if not results:
        raise ConfigurationError(f"every seed of the {spec.strategy} search failed (see the log)")
    bench = spec.table()
    title, row = summarise(results, spec.where(), bench=bench)
    table = new_table(title, row, left=len(results) == 1)
    table.add_row(*row.values())
    out.print(table)
    if where.out_dir is not None:
        for path in write_results(results, where.out_dir, bench=bench):
            out.print(f"{path.stem.replace('anytime', 'anytime plot')}: {path}")
