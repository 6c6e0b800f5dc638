"""``nasperf search STRATEGY``: the options of one subcommand per strategy, turned into a
:class:`~nasperf.search.SearchSpec` that runs its seeds on a table (simulated time) or live.

Every subcommand takes where it runs (``-b TABLE`` or ``--live``), ``--out``, ``--seeds``,
``--workers`` (the executor's: seeds at once on a table, jobs at once live) and the
live-training options; the strategies that train runs part of the way, and MetaQNN, take a
stopping rule; each takes its own settings and nothing else. An option that does not apply where
the search runs (a live-training option on a table) is an error. ``fear`` and
``sample-and-estimate`` are aliases of ``random --fitness``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import typer

from ..exceptions import ConfigurationError
from .checks import check_address, check_feature_history, check_out, check_seed, given, refuse
from .console import out, progress
from .evaluate import curves_options
from .live import (
    LiveTrainingOptions,
    with_feature_history,
    with_live_training,
    with_live_training_of_space,
    with_settings,
)
from .options import (
    ADDRESS,
    CURVE,
    EPOCH_COLUMN,
    EXECUTOR,
    MINIMIZE,
    RUN_COLUMN,
    SHORT_EPOCHS,
    out_option,
)
from .search_report import report

__all__ = ["search_app", "SearchOptions", "RuleOptions", "FitnessOptions"]

#: options that only a live search uses: a table's cells are drawn and trained already
_LIVE_ONLY = (
    *("space", "dataset", "epochs", "batch_size", "lr", "optimizer", "val_fraction", "limit"),
    *("nb201_c", "nb201_n", "size", "channels", "data_root", "device"),
)
_CURVES_ONLY = ("curve", "minimize", "run_column", "epoch_column")
#: the feature-history options, which only a live estimate uses
_FEATURE_HISTORY = ("variant", "k", "probe_size", "layer", "ema_decay", "c")

search_app = typer.Typer(
    help="Search on a table (simulated time, -b NAME) or live (--live): one subcommand per "
    "strategy.",
    no_args_is_help=True,
)


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


_SEARCH_OPTIONS: dict[str, Any] = {
    "benchmark": typer.Option(
        None, "--benchmark", "-b", help="a benchmark table: its runs replayed in simulated time"
    ),
    "live": typer.Option(False, "--live", help="train the cells for real (live-training options)"),
    "out_dir": out_option("trace, seeds journal and plot (and live checkpoints)"),
    "seeds": typer.Option(
        1, "--seeds", help="independent searches, seeds --seed.. (rerun with --out to continue)"
    ),
    "workers": typer.Option(
        1, "--workers", help="the executor's workers: seeds at once on a table, jobs live"
    ),
    "executor_name": EXECUTOR,
    "address": ADDRESS,
    "in_flight": typer.Option(
        1, "--in-flight", show_default=False,
        help="on a table: jobs in flight in simulated time (default 1; asha 4)",
    ),
    "curve": CURVE,
    "minimize": MINIMIZE,
    "run_column": RUN_COLUMN,
    "epoch_column": EPOCH_COLUMN,
}


@dataclass(frozen=True)
class RuleOptions:
    """An early-stopping rule asked at checkpoints: Baker et al.'s or the median rule."""

    rule: str = "none"
    delta: float = 0.05
    min_completed: int = 10
    dense: bool = False


def _panel(option: Any, panel: str) -> Any:
    option.rich_help_panel = panel
    return option


_RULE_OPTIONS: dict[str, Any] = {
    name: _panel(option, "Early stopping")
    for name, option in {
        "rule": typer.Option("none", "--rule", help="none, baker or median"),
        "delta": typer.Option(0.05, "--delta", help="baker: stop when P(final >= best) <= Δ"),
        "min_completed": typer.Option(
            10, "--min-completed", help="runs completed before the rule acts"
        ),
        "dense": typer.Option(False, "--dense", help="ask the rule after epochs 1, 2, 3, 5 too"),
    }.items()
}


@dataclass(frozen=True)
class FitnessOptions:
    """A short-budget estimate as the search's fitness, then the top k trained fully."""

    fitness: str | None = None
    short_epochs: int = 2
    top_k: int = 2
    threshold: float | None = None
    stage2_epochs: int = 5
    time_ratio: float = 4.0


TOP_K: Any = typer.Option(2, "--top-k", help="candidates trained to the end, by their estimate")
_FEAR_OPTIONS: dict[str, Any] = {
    name: _panel(option, "FEAR (--fitness fear, search fear)")
    for name, option in {
        "threshold": typer.Option(
            None, "--threshold", help="stage-1 training accuracy to reach, a fraction (default: "
            "the 0.9 quantile of 5 reference cells' first-epoch accuracy)",
        ),
        "stage2_epochs": typer.Option(5, "--stage2-epochs", help="epochs of training the tail"),
        "time_ratio": typer.Option(
            4.0, "--time-ratio", help="drop a candidate whose stage 1 takes more than R times "
            "the fastest so far (0: never)",
        ),
    }.items()
}
_FITNESS_OPTIONS: dict[str, Any] = {
    "fitness": _panel(
        typer.Option(
            None, "--fitness", help="score candidates by feature-history or fear (--live), or "
            "a curve estimator after --short-epochs (a table: early-stop-acc, sotl-e, ...), "
            "then train the top k",
        ),
        "Short-budget fitness",
    ),
    "short_epochs": SHORT_EPOCHS,
    "top_k": TOP_K,
    **_FEAR_OPTIONS,
}

with_where = with_settings(SearchOptions, "where", _SEARCH_OPTIONS)
with_fitness = with_settings(FitnessOptions, "scoring", _FITNESS_OPTIONS)
with_rule = with_settings(RuleOptions, "stopping", _RULE_OPTIONS)



@dataclass(frozen=True)
class BudgetOptions:
    """What a search may spend: epochs, or full runs (queries)."""

    budget: int | None = None
    queries: int | None = None


BUDGET: Any = typer.Option(
    None,
    "--budget",
    help="epochs to spend in all (default: no limit; a query of a table without curves is one; "
    "with --fitness: estimates)",
)
QUERIES: Any = typer.Option(
    None,
    "--queries",
    help="candidates to evaluate fully, a budget of QUERIES full runs (with --fitness: QUERIES "
    "estimates, then the top k trained)",
)
with_budget = with_settings(BudgetOptions, "spend", {"budget": BUDGET, "queries": QUERIES})
with_epochs_budget = with_settings(BudgetOptions, "spend", {"budget": BUDGET})
ETA: Any = typer.Option(3, "--eta", help="halving rate")
MIN_EPOCHS: Any = typer.Option(1, "--min-epochs", help="epochs of the lowest rung")
PREDICTOR: Any = typer.Option(None, "--predictor", help="the surrogate: any model-based predictor")
INIT: Any = typer.Option(10, "--init", help="random candidates first")
K_BATCH: Any = typer.Option(10, "--batch", help="candidates evaluated per surrogate fit (k)")
CANDIDATES: Any = typer.Option(100, "--candidates", help="mutants scored per round")
PARENTS: Any = typer.Option(2, "--parents", help="best candidates mutated each round")
MUTATIONS: Any = typer.Option(1, "--mutations", help="edits per mutant")
FEATURES: Any = typer.Option(
    None, "--features", help="a table's zero-cost columns as free surrogate features (a,b,...)"
)


# -- the subcommands ------------------------------------------------------------------------------
@search_app.command("random")
@with_live_training
@with_where
@with_budget
@with_fitness
@with_rule
def random_cmd(
    *,
    training: LiveTrainingOptions,
    where: SearchOptions,
    spend: BudgetOptions,
    scoring: FitnessOptions,
    stopping: RuleOptions,
) -> None:
    """Random search: full runs, one per free worker, with or without early stopping."""
    _search("random", {}, training, where, spend=spend, stopping=stopping, scoring=scoring)


@search_app.command("sh")
@with_live_training
@with_where
@with_epochs_budget
@with_rule
def sh_cmd(
    *,
    training: LiveTrainingOptions,
    where: SearchOptions,
    spend: BudgetOptions,
    stopping: RuleOptions,
    n: int | None = typer.Option(None, "--n", help="candidates in the bracket (default: all)"),
    eta: int = ETA,
    min_epochs: int = MIN_EPOCHS,
) -> None:
    """Successive halving: one bracket, the top 1/eta promoted at each rung."""
    params = {"n": n, "eta": eta, "min_epochs": min_epochs}
    _search("sh", params, training, where, spend=spend, stopping=stopping)


@search_app.command("hyperband")
@with_live_training
@with_where
@with_epochs_budget
@with_rule
def hyperband_cmd(
    *,
    training: LiveTrainingOptions,
    where: SearchOptions,
    spend: BudgetOptions,
    stopping: RuleOptions,
    eta: int = ETA,
    min_epochs: int = MIN_EPOCHS,
) -> None:
    """Hyperband (Li et al. 2017): brackets of successive halving until the budget is spent."""
    params = {"eta": eta, "min_epochs": min_epochs}
    _search("hyperband", params, training, where, spend=spend, stopping=stopping)


@search_app.command("asha")
@with_live_training
@with_where
@with_epochs_budget
@with_rule
def asha_cmd(
    *,
    training: LiveTrainingOptions,
    where: SearchOptions,
    spend: BudgetOptions,
    stopping: RuleOptions,
    eta: int = ETA,
    min_epochs: int = MIN_EPOCHS,
) -> None:
    """ASHA (Li et al. 2020): asynchronous successive halving, a free worker never waits."""
    if not given("in_flight"):
        where = replace(where, in_flight=4)
    params = {"eta": eta, "min_epochs": min_epochs}
    _search("asha", params, training, where, spend=spend, stopping=stopping)


@search_app.command("re")
@with_live_training_of_space
@with_where
@with_budget
@with_fitness
def re_cmd(
    *,
    training: LiveTrainingOptions,
    where: SearchOptions,
    spend: BudgetOptions,
    scoring: FitnessOptions,
    population: int = typer.Option(30, "--population", help="candidates in the population"),
    sample: int = typer.Option(10, "--sample", help="members drawn for each tournament"),
) -> None:
    """Regularised evolution (Real et al. 2019): mutate a tournament's best, the oldest dies."""
    params = {"population": population, "sample": sample}
    _search("re", params, training, where, spend=spend, scoring=scoring)


@search_app.command("ls")
@with_live_training_of_space
@with_where
@with_budget
@with_fitness
def ls_cmd(
    *,
    training: LiveTrainingOptions,
    where: SearchOptions,
    spend: BudgetOptions,
    scoring: FitnessOptions,
    init: int = INIT,
    first_improvement: bool = typer.Option(
        False, "--first-improvement", help="move to the first better neighbour, not the best"
    ),
) -> None:
    """Local search (White et al. 2021): the best's neighbours until none is better, restart."""
    params = {"init": init, "first_improvement": first_improvement}
    _search("ls", params, training, where, spend=spend, scoring=scoring)


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
        """The scheduler's arguments."""
        params = {**asdict(self), "k": self.batch, "features": _names(self.features)}
        del params["batch"]
        return params


_SURROGATE_OPTIONS = {"predictor": PREDICTOR, "init": INIT, "batch": K_BATCH}
_SURROGATE_OPTIONS.update(candidates=CANDIDATES, parents=PARENTS, mutations=MUTATIONS)
with_surrogate = with_settings(
    SurrogateOptions, "surrogate", {**_SURROGATE_OPTIONS, "features": FEATURES}
)


@search_app.command("bananas")
@with_live_training_of_space
@with_where
@with_budget
@with_fitness
@with_surrogate
def bananas_cmd(
    *,
    training: LiveTrainingOptions,
    where: SearchOptions,
    spend: BudgetOptions,
    scoring: FitnessOptions,
    surrogate: SurrogateOptions,
    acquisition: str = typer.Option("its", "--acquisition", help="its, ucb or exploit"),
) -> None:
    """BANANAS (White et al. 2021): a predictor's acquisition over mutants of the best."""
    params = {**surrogate.params(), "acquisition": acquisition}
    _search("bananas", params, training, where, spend=spend, scoring=scoring)


@search_app.command("npenas")
@with_live_training_of_space
@with_where
@with_budget
@with_fitness
@with_surrogate
def npenas_cmd(
    *,
    training: LiveTrainingOptions,
    where: SearchOptions,
    spend: BudgetOptions,
    scoring: FitnessOptions,
    surrogate: SurrogateOptions,
) -> None:
    """NPENAS (Wei et al. 2022): offspring of the best filtered by a predictor's mean."""
    _search("npenas", surrogate.params(), training, where, spend=spend, scoring=scoring)


@search_app.command("metaqnn")
@with_live_training_of_space
@with_where
@with_fitness
@with_rule
def metaqnn_cmd(
    *,
    training: LiveTrainingOptions,
    where: SearchOptions,
    scoring: FitnessOptions,
    stopping: RuleOptions,
    models: int = typer.Option(150, "--models", help="models in Baker et al.'s ε schedule"),
    alpha: float = typer.Option(0.01, "--alpha", help="Q-learning rate"),
    gamma: float = typer.Option(1.0, "--gamma", help="discount"),
    replay: int = typer.Option(100, "--replay", help="replayed models after each new one"),
) -> None:
    """MetaQNN (Baker et al. 2017): Q-learning over the cell's choices, ε-greedy, replay."""
    from ..search import metaqnn_schedule

    if models < 1:
        raise ConfigurationError(f"--models must be >= 1, got {models}")
    params = {"schedule": metaqnn_schedule(models), "alpha": alpha, "gamma": gamma}
    params["replay"] = replay
    _search("metaqnn", params, training, where, stopping=stopping, scoring=scoring)


@search_app.command("fear")
@with_live_training
@with_where
@with_settings(BudgetOptions, "spend", {"queries": QUERIES})
@with_settings(FitnessOptions, "scoring", {"top_k": TOP_K, **_FEAR_OPTIONS})
def fear_cmd(
    *,
    training: LiveTrainingOptions,
    where: SearchOptions,
    spend: BudgetOptions,
    scoring: FitnessOptions,
) -> None:
    """FEAR random search (Dey et al. 2021), an alias of ``random --live --fitness fear``: FEAR
    scores --cells candidates live, dropping those whose stage 1 is slow (--time-ratio); the
    top k by score are trained fully (the paper returns the top 1: --top-k 1)."""
    if not where.live:
        raise ConfigurationError("FEAR trains candidates: search fear needs --live")
    scoring = replace(scoring, fitness="fear")
    _search("random", {}, training, where, spend=spend, scoring=scoring)


@search_app.command("sample-and-estimate")
@with_live_training
@with_feature_history
@with_where
def sample_cmd(
    *,
    training: LiveTrainingOptions,
    feature_history: Any,
    where: SearchOptions,
    estimator: str = typer.Option(
        "feature-history",
        "--estimator",
        help="feature-history (--live) or a curve estimator on a table (sotl-e, ...)",
    ),
    top_k: int = TOP_K,
) -> None:
    """Estimate --cells candidates with a short budget, train the top k fully (Cao et al.): an
    alias of ``random --fitness ESTIMATOR`` (on a table: ``--queries CELLS``)."""
    scoring = FitnessOptions(estimator, feature_history.epochs, top_k)
    if not where.live:
        refuse(_FEATURE_HISTORY, "only applies to a live feature-history estimate (--live)")
        spend = BudgetOptions(queries=training.cells)
        _search("random", {}, training, where, spend=spend, scoring=scoring)
        return
    check_feature_history(feature_history)
    settings = {k: v for k, v in asdict(feature_history).items() if k != "epochs"}
    _search("random", {}, training, where, scoring=scoring, estimator_settings=settings)


def _names(text: str | None) -> list[str] | None:
    """A comma-separated list of names (None when not given)."""
    if text is None:
        return None
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise ConfigurationError("--features needs at least one column name")
    return names


# -- options to a spec ----------------------------------------------------------------------------
def _check_where(where: SearchOptions) -> None:
    """A search runs on a table or live, and options of the other place are errors."""
    if where.live == (where.benchmark is not None):
        raise ConfigurationError("give --benchmark NAME (a table) or --live, not both")
    if where.live:
        refuse(("in_flight",), "only applies to a table (live: --workers jobs run at once)")
        refuse(_CURVES_ONLY, "only applies to -b curves:")
        if where.out_dir is None:
            raise ConfigurationError("--live needs --out DIR for the runs' checkpoints")
    else:
        refuse(_LIVE_ONLY, "only applies to --live (a table's runs are trained already)")
    if where.seeds < 1:
        raise ConfigurationError(f"--seeds must be >= 1, got {where.seeds}")
    check_address(where.executor_name, where.address)
    check_out(where.out_dir, directory=True)


def _rule_settings(rule: RuleOptions | None) -> dict[str, Any]:
    """The spec's rule and its parameters; options that mean nothing for it are errors."""
    if rule is None or rule.rule == "none":
        refuse(("delta", "min_completed", "dense"), "only applies with a --rule (baker or median)")
        return {"rule": "none"} if rule is None else {"rule": rule.rule}
    if rule.rule != "baker":
        refuse(("delta",), "only applies to --rule baker")
    params: dict[str, Any] = {"min_completed": rule.min_completed}
    params.update({"delta": rule.delta} if rule.rule == "baker" else {})
    params.update({"checkpoints": "dense"} if rule.dense else {})
    return {"rule": rule.rule, "rule_params": params}


def _fitness_settings(fitness: FitnessOptions | None) -> dict[str, Any]:
    """The spec's fitness settings; options that mean nothing for it are errors."""
    fear = ("threshold", "stage2_epochs", "time_ratio")
    if fitness is None or fitness.fitness is None:
        refuse(("short_epochs", "top_k", *fear), "only applies with --fitness")
        return {}
    settings: dict[str, Any] = {"fitness": fitness.fitness, "top_k": fitness.top_k}
    if fitness.fitness != "fear":
        refuse(fear, "only applies to --fitness fear")
        return {**settings, "short_epochs": fitness.short_epochs}
    refuse(("short_epochs",), "does not apply to FEAR (its stage 1 runs to a threshold)")
    params = {"threshold": fitness.threshold, "stage2_epochs": fitness.stage2_epochs}
    return {**settings, "fitness_params": {**params, "time_ratio": fitness.time_ratio}}


def _search(
    strategy: str,
    params: dict[str, Any],
    training: LiveTrainingOptions,
    where: SearchOptions,
    *,
    spend: BudgetOptions | None = None,
    stopping: RuleOptions | None = None,
    scoring: FitnessOptions | None = None,
    estimator_settings: dict[str, Any] | None = None,
) -> None:
    """Check the options, make the spec, run its seeds and report them."""
    from ..search import LiveRuns, SearchSpec, strategy_class

    _check_where(where)
    check_seed(training.seed)
    spend = spend or BudgetOptions()
    settings: dict[str, Any] = {**_rule_settings(stopping), **_fitness_settings(scoring)}
    if estimator_settings:
        settings["fitness_params"] = estimator_settings
    params = {k: v for k, v in params.items() if v is not None}
    if where.live:
        cells = None
        if strategy_class(strategy).takes_candidates:
            cells = tuple(training.archs())
        else:
            refuse(("cells",), f"does not apply to {strategy} (it draws cells from the space)")
        live = LiveRuns(training.config(), str(where.out_dir / "runs"), training.device, cells)
        settings.update(live=live)
    else:
        if spend.queries != training.cells or given("queries"):  # not sample-and-estimate's
            refuse(("cells",), "only applies to --live or to sample-and-estimate")
        curve = (where.curve, where.minimize, where.run_column, where.epoch_column)
        options = curves_options(where.benchmark, *curve)
        settings.update(benchmark=where.benchmark, benchmark_options=options or {})
        settings.update(in_flight=where.in_flight)
    spec = SearchSpec(
        strategy, params=params, budget_epochs=spend.budget, queries=spend.queries, **settings
    )
    spec.check(seed=training.seed)
    _run(spec, where, training.seed)


def _run(spec: Any, where: SearchOptions, seed: int) -> None:
    """Run the seeds of ``spec`` on the executor of the options, and report them."""
    from ..execution import make_executor
    from ..search import run_seeds

    seeds = list(range(seed, seed + where.seeds))
    journal = None if where.out_dir is None else where.out_dir / "seeds"
    read_back: list[int] = []

    def on_seed(done: int, _: int) -> None:
        if not read_back:  # the first call: the seeds read back from the journal
            read_back.append(done)
        bar.update(task, completed=done)

    with progress() as bar, make_executor(where.executor_name, where.workers, where.address) as ex:
        task = bar.add_task(f"{spec.name} on {spec.where()} (seeds)", total=len(seeds))
        results = run_seeds(spec, seeds, ex, journal, on_seed=on_seed)
    if read_back and read_back[0]:
        out.print(f"{read_back[0]} of {len(seeds)} seeds read back from {journal}")
    if not results:
        raise ConfigurationError(f"every seed of the {spec.strategy} search failed (see the log)")
    bench = None if spec.live is not None else spec.table()
    where_text = spec.where() if spec.live is not None else str(where.benchmark)
    report(where_text, results, where.out_dir, bench=bench)
