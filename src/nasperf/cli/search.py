"""``nasperf search STRATEGY``: one subcommand per strategy, on a table in simulated time or
live on executors, one seed or many.

Every subcommand takes where it runs (``-b TABLE`` or ``--live``), ``--out``, ``--seeds``,
``--workers`` and the live-training options; the strategies that train runs part of the way,
and MetaQNN, take a stopping rule; each takes its own settings and nothing else, so its
``--help`` lists what means something for it. An option that does not apply where the search
runs (a live-training option on a table) is an error.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import typer
from rich.table import Table

from ..exceptions import ConfigurationError, UnknownNameError
from .checks import (
    check_address,
    check_data,
    check_feature_history,
    check_out,
    check_seed,
    given,
    refuse,
)
from .console import new_table, out, progress
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

if TYPE_CHECKING:
    from ..search import SampleSearchResult, SearchResult

__all__ = [
    "search_app",
    "Place",
    "RuleOptions",
    "LIVE_ESTIMATOR",
    "TRACE_COLUMNS",
    "search_table",
    "seeds_table",
    "sample_search_table",
    "records_time",
]

#: the estimator of a live sample-and-estimate search
LIVE_ESTIMATOR = "feature-history"
#: the short-budget estimators a live search may use as its fitness
LIVE_FITNESS = (LIVE_ESTIMATOR, "fear")
TRACE_COLUMNS = ("epochs", "seconds", "arch", "value", "true_value", "test_value", "jobs")

#: options that only a live search uses: a table's cells are drawn and trained already
_LIVE_ONLY = (
    "space", "dataset", "epochs", "batch_size", "lr", "optimizer", "val_fraction", "limit",
    "nb201_c", "nb201_n", "size", "channels", "data_root", "device", "executor_name", "address",
)  # fmt: skip
#: the strategies that bring runs part of the way (rungs), and need curves on a table
_FIDELITY = ("sh", "hyperband", "asha")

search_app = typer.Typer(
    help="Search on a table (simulated time, -b NAME) or live (--live): one subcommand per "
    "strategy.",
    no_args_is_help=True,
)


@dataclass(frozen=True)
class Place:
    """Where a search runs, how many seeds, and what it writes."""

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


SEARCH_WORKERS: Any = typer.Option(
    1,
    "--workers",
    help="live: jobs trained at once; a table: seeds run at once (processes), or "
    "sample-and-estimate's simulated workers",
)
_PLACE_OPTIONS: dict[str, Any] = {
    "benchmark": typer.Option(
        None, "--benchmark", "-b", help="a benchmark table: its runs replayed in simulated time"
    ),
    "live": typer.Option(False, "--live", help="train the cells for real (live-training options)"),
    "out_dir": out_option("trace, seeds journal and plot (and live checkpoints)"),
    "seeds": typer.Option(
        1,
        "--seeds",
        help="independent searches, seeds --seed.. (a table's run in parallel on "
        "--workers; rerun with the same --out to continue)",
    ),
    "workers": SEARCH_WORKERS,
    "executor_name": EXECUTOR,
    "address": ADDRESS,
    "in_flight": typer.Option(
        1,
        "--in-flight",
        show_default=False,
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


_RULE_PANEL = "Early stopping"
_RULE_OPTIONS: dict[str, Any] = {
    "rule": typer.Option(
        "none", "--rule", help="none, baker or median", rich_help_panel=_RULE_PANEL
    ),
    "delta": typer.Option(
        0.05, "--delta", help="baker: stop when P(final >= best) <= Δ", rich_help_panel=_RULE_PANEL
    ),
    "min_completed": typer.Option(
        10, "--min-completed", help="runs completed before the rule acts",
        rich_help_panel=_RULE_PANEL,
    ),
    "dense": typer.Option(
        False, "--dense", help="ask the rule after epochs 1, 2, 3 and 5 too",
        rich_help_panel=_RULE_PANEL,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class FitnessOptions:
    """A short-budget estimate as the search's fitness, then the top k trained fully."""

    fitness: str | None = None
    short_epochs: int = 2
    top_k: int = 2
    threshold: float | None = None
    stage2_epochs: int = 5
    time_ratio: float = 4.0


_FITNESS_PANEL = "Short-budget fitness"
_FEAR_PANEL = "FEAR (--fitness fear, search fear)"
TOP_K: Any = typer.Option(2, "--top-k", help="candidates trained to the end, by their estimate")
_FEAR_OPTIONS: dict[str, Any] = {
    "threshold": typer.Option(
        None, "--threshold", help="stage-1 training accuracy to reach, a fraction (default: "
        "calibrated, the 0.9 quantile of 5 reference cells' first-epoch accuracy)",
        rich_help_panel=_FEAR_PANEL,
    ),
    "stage2_epochs": typer.Option(
        5, "--stage2-epochs", help="epochs of training the tail alone", rich_help_panel=_FEAR_PANEL
    ),
    "time_ratio": typer.Option(
        4.0, "--time-ratio", help="drop a candidate whose stage 1 takes more than R times the "
        "fastest so far (0: never)", rich_help_panel=_FEAR_PANEL,
    ),
}  # fmt: skip
_FITNESS_OPTIONS: dict[str, Any] = {
    "fitness": typer.Option(
        None, "--fitness", help="score candidates by feature-history or fear (--live), or a "
        "curve estimator after --short-epochs (a table: early-stop-acc, sotl-e, ...), then "
        "train the top k", rich_help_panel=_FITNESS_PANEL,
    ),
    "short_epochs": SHORT_EPOCHS,
    "top_k": TOP_K,
    **_FEAR_OPTIONS,
}  # fmt: skip

with_place = with_settings(Place, "place", _PLACE_OPTIONS)
#: sample-and-estimate: one seed, its --workers estimate at once (simulated on a table)
with_sample_place = with_settings(
    Place,
    "place",
    {
        **{k: v for k, v in _PLACE_OPTIONS.items() if k not in ("seeds", "in_flight")},
        "workers": SEARCH_WORKERS,
    },
)
with_fitness = with_settings(FitnessOptions, "fitness_options", _FITNESS_OPTIONS)
with_rule = with_settings(RuleOptions, "stopping", _RULE_OPTIONS)

BUDGET: Any = typer.Option(
    None,
    "--budget",
    help="epochs to spend in all (default: no limit; a query of a table without curves is one; "
    "with --fitness: estimates)",
)
QUERIES: Any = typer.Option(
    None,
    "--queries",
    help="candidates to evaluate fully, a budget of QUERIES full runs (with --fitness: "
    "QUERIES estimates, then the top k trained)",
)
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
@with_place
@with_fitness
@with_rule
def random_cmd(
    training: LiveTrainingOptions,
    place: Place,
    fitness_options: FitnessOptions,
    stopping: RuleOptions,
    queries: int | None = QUERIES,
    budget: int | None = BUDGET,
) -> None:
    """Random search: full runs, one per free worker, with or without early stopping."""
    _search("random", {}, training, place, stopping, budget, queries, fitness=fitness_options)


@search_app.command("sh")
@with_live_training
@with_place
@with_rule
def sh_cmd(
    training: LiveTrainingOptions,
    place: Place,
    stopping: RuleOptions,
    budget: int | None = BUDGET,
    n: int | None = typer.Option(None, "--n", help="candidates in the bracket (default: all)"),
    eta: int = ETA,
    min_epochs: int = MIN_EPOCHS,
) -> None:
    """Successive halving: one bracket, the top 1/eta promoted at each rung."""
    _search("sh", {"n": n, "eta": eta, "min_epochs": min_epochs}, training, place, stopping, budget)


@search_app.command("hyperband")
@with_live_training
@with_place
@with_rule
def hyperband_cmd(
    training: LiveTrainingOptions,
    place: Place,
    stopping: RuleOptions,
    budget: int | None = BUDGET,
    eta: int = ETA,
    min_epochs: int = MIN_EPOCHS,
) -> None:
    """Hyperband (Li et al. 2017): brackets of successive halving until the budget is spent."""
    _search("hyperband", {"eta": eta, "min_epochs": min_epochs}, training, place, stopping, budget)


@search_app.command("asha")
@with_live_training
@with_place
@with_rule
def asha_cmd(
    training: LiveTrainingOptions,
    place: Place,
    stopping: RuleOptions,
    budget: int | None = BUDGET,
    eta: int = ETA,
    min_epochs: int = MIN_EPOCHS,
) -> None:
    """ASHA (Li et al. 2020): asynchronous successive halving, a free worker never waits."""
    if not given("in_flight"):
        place = replace(place, in_flight=4)
    _search("asha", {"eta": eta, "min_epochs": min_epochs}, training, place, stopping, budget)


@search_app.command("re")
@with_live_training_of_space
@with_place
@with_fitness
def re_cmd(
    training: LiveTrainingOptions,
    place: Place,
    fitness_options: FitnessOptions,
    queries: int | None = QUERIES,
    budget: int | None = BUDGET,
    population: int = typer.Option(30, "--population", help="candidates in the population"),
    sample: int = typer.Option(10, "--sample", help="members drawn for each tournament"),
) -> None:
    """Regularised evolution (Real et al. 2019): mutate a tournament's best, the oldest dies."""
    params = {"population": population, "sample": sample}
    _search("re", params, training, place, None, budget, queries, fitness=fitness_options)


@search_app.command("ls")
@with_live_training_of_space
@with_place
@with_fitness
def ls_cmd(
    training: LiveTrainingOptions,
    place: Place,
    fitness_options: FitnessOptions,
    queries: int | None = QUERIES,
    budget: int | None = BUDGET,
    init: int = INIT,
    first_improvement: bool = typer.Option(
        False, "--first-improvement", help="move to the first better neighbour, not the best"
    ),
) -> None:
    """Local search (White et al. 2021): the best's neighbours until none is better, restart."""
    params = {"init": init, "first_improvement": first_improvement}
    _search("ls", params, training, place, None, budget, queries, fitness=fitness_options)


@search_app.command("bananas")
@with_live_training_of_space
@with_place
@with_fitness
def bananas_cmd(
    training: LiveTrainingOptions,
    place: Place,
    fitness_options: FitnessOptions,
    queries: int | None = QUERIES,
    budget: int | None = BUDGET,
    predictor: str | None = PREDICTOR,
    acquisition: str = typer.Option("its", "--acquisition", help="its, ucb or exploit"),
    init: int = INIT,
    batch: int = K_BATCH,
    candidates: int = CANDIDATES,
    parents: int = PARENTS,
    mutations: int = MUTATIONS,
    features: str | None = FEATURES,
) -> None:
    """BANANAS (White et al. 2021): a predictor's acquisition over mutants of the best."""
    params = {"predictor": predictor, "acquisition": acquisition, "init": init, "k": batch,
              "candidates": candidates, "parents": parents, "mutations": mutations,
              "features": _names(features)}  # fmt: skip
    _search("bananas", params, training, place, None, budget, queries, fitness=fitness_options)


@search_app.command("npenas")
@with_live_training_of_space
@with_place
@with_fitness
def npenas_cmd(
    training: LiveTrainingOptions,
    place: Place,
    fitness_options: FitnessOptions,
    queries: int | None = QUERIES,
    budget: int | None = BUDGET,
    predictor: str | None = PREDICTOR,
    init: int = INIT,
    batch: int = K_BATCH,
    candidates: int = CANDIDATES,
    parents: int = PARENTS,
    mutations: int = MUTATIONS,
    features: str | None = FEATURES,
) -> None:
    """NPENAS (Wei et al. 2022): offspring of the best filtered by a predictor's mean."""
    params = {"predictor": predictor, "init": init, "k": batch, "candidates": candidates,
              "parents": parents, "mutations": mutations, "features": _names(features)}  # fmt: skip
    _search("npenas", params, training, place, None, budget, queries, fitness=fitness_options)


@search_app.command("metaqnn")
@with_live_training_of_space
@with_place
@with_fitness
@with_rule
def metaqnn_cmd(
    training: LiveTrainingOptions,
    place: Place,
    fitness_options: FitnessOptions,
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
    params = {"schedule": metaqnn_schedule(models), "alpha": alpha, "gamma": gamma,
              "replay": replay}  # fmt: skip
    _search("metaqnn", params, training, place, stopping, None, fitness=fitness_options)


@search_app.command("fear")
@with_live_training
@with_place
@with_settings(FitnessOptions, "fitness_options", {"top_k": TOP_K, **_FEAR_OPTIONS})
def fear_cmd(
    training: LiveTrainingOptions,
    place: Place,
    fitness_options: FitnessOptions,
    queries: int | None = QUERIES,
) -> None:
    """FEAR random search (Dey et al. 2021): FEAR scores --cells candidates live, dropping
    those whose stage 1 is slow (--time-ratio); the top k by score are trained fully (the
    paper returns the top 1: --top-k 1)."""
    if not place.live:
        raise ConfigurationError("FEAR trains candidates: search fear needs --live")
    fitness = replace(fitness_options, fitness="fear")
    _search("random", {}, training, place, None, None, queries, fitness=fitness)


@search_app.command("sample-and-estimate")
@with_live_training
@with_feature_history
@with_sample_place
def sample_cmd(
    training: LiveTrainingOptions,
    feature_history: Any,
    place: Place,
    estimator: str = typer.Option(
        LIVE_ESTIMATOR,
        "--estimator",
        help="feature-history (--live) or a curve estimator on a table (sotl-e, ...)",
    ),
    top_k: int = TOP_K,
) -> None:
    """Estimate --cells candidates with a short budget, train the top k fully (Cao et al.)."""
    _check_place(place)
    check_seed(training.seed)
    check_address(place.executor_name, place.address)
    check_out(place.out_dir, directory=True)
    if place.live:
        _sample_live(training, feature_history, place, estimator, top_k)
    else:
        _sample_table(training, feature_history, place, estimator, top_k)


def _names(text: str | None) -> list[str] | None:
    """A comma-separated list of names (None when not given)."""
    if text is None:
        return None
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise ConfigurationError("--features needs at least one column name")
    return names


# -- the engine -----------------------------------------------------------------------------------
def _check_place(place: Place) -> None:
    """A search runs on a table or live, and options of the other place are errors."""
    if place.live and place.benchmark is not None:
        raise ConfigurationError("give --benchmark TABLE or --live, not both")
    if not place.live and place.benchmark is None:
        raise ConfigurationError("give --benchmark NAME or --live")
    if place.live:
        refuse(("in_flight",), "only applies to a table (live: --workers jobs run at once)")
        refuse(("curve", "minimize", "run_column", "epoch_column"), "only applies to -b curves:")
    else:
        refuse(_LIVE_ONLY, "only applies to --live (a table's runs are trained already)")
    if place.seeds < 1:
        raise ConfigurationError(f"--seeds must be >= 1, got {place.seeds}")
    if place.in_flight < 1:
        raise ConfigurationError(f"--in-flight must be >= 1, got {place.in_flight}")


def _check_rule(rule: RuleOptions | None) -> dict[str, Any]:
    """The rule's parameters; options that mean nothing for the chosen rule are errors."""
    from ..search import RULES

    if rule is None:
        return {}
    if rule.rule not in RULES:
        raise UnknownNameError("rule", rule.rule, list(RULES))
    if rule.rule != "baker":
        refuse(("delta",), "only applies to --rule baker")
    if rule.rule == "none":
        refuse(("min_completed", "dense"), "only applies with a --rule (baker or median)")
        return {}
    params: dict[str, Any] = {"min_completed": rule.min_completed}
    if rule.rule == "baker":
        params["delta"] = rule.delta
    if rule.dense:
        params["checkpoints"] = "dense"
    return params


def _budget(budget: int | None, queries: int | None, max_epochs: int) -> int | None:
    if budget is not None and queries is not None:
        raise ConfigurationError("give --budget (epochs) or --queries (full runs), not both")
    if queries is not None:
        if queries < 1:
            raise ConfigurationError(f"--queries must be >= 1, got {queries}")
        return queries * max_epochs
    if budget is not None and budget < 1:
        raise ConfigurationError(f"--budget must be at least one epoch, got {budget}")
    return budget


def _search(
    strategy: str,
    params: dict[str, Any],
    training: LiveTrainingOptions,
    place: Place,
    rule: RuleOptions | None,
    budget: int | None,
    queries: int | None = None,
    fitness: FitnessOptions | None = None,
) -> None:
    _check_place(place)
    rule_params = _check_rule(rule)
    rule_name = rule.rule if rule is not None else "none"
    check_seed(training.seed)
    check_address(place.executor_name, place.address)
    check_out(place.out_dir, directory=True)
    params = {k: v for k, v in params.items() if v is not None}
    if fitness is not None and fitness.fitness is None:
        refuse(("short_epochs", "top_k", *_FEAR_OPTIONS), "only applies with --fitness")
        fitness = None
    if fitness is not None and fitness.fitness != "fear":
        refuse(tuple(_FEAR_OPTIONS), "only applies to --fitness fear")
    if fitness is not None and fitness.fitness == "fear":
        refuse(("short_epochs",), "does not apply to FEAR (its stage 1 runs to a threshold)")
    if fitness is not None and rule_name != "none":
        raise ConfigurationError("--fitness scores candidates by an estimate: no --rule with it")
    args = (strategy, params, training, place, rule_name, rule_params, budget, queries)
    if place.live:
        _search_live(*args, fitness=fitness)
    else:
        _search_table(*args, fitness=fitness)


def _table_spec(
    strategy: str,
    params: dict[str, Any],
    training: LiveTrainingOptions,
    place: Place,
    rule_name: str,
    rule_params: dict[str, Any],
    budget: int | None,
    queries: int | None,
    fitness: FitnessOptions | None = None,
) -> tuple[Any, Any]:
    """The :class:`SearchSpec` of a table search and its backend, checked before any work."""
    from ..search import (
        SearchSpec,
        ShortBudgetBackend,
        TabularBackend,
        check_budget,
    )

    needs = None
    if strategy in _FIDELITY or rule_name != "none" or fitness is not None:
        needs = strategy if strategy in _FIDELITY else f"--rule {rule_name}"
        needs = f"--fitness {fitness.fitness}" if fitness is not None else needs
    bench, curves = _load_table(place, needs)
    backend = TabularBackend(bench)
    extra: dict[str, Any] = {}
    if fitness is not None:
        _check_fitness(bench, fitness)
        extra = {"fitness": fitness.fitness, "short_epochs": fitness.short_epochs,
                 "top_k": fitness.top_k}  # fmt: skip
        backend = ShortBudgetBackend(backend, fitness.fitness, fitness.short_epochs)
    epochs = _budget(budget, queries, backend.max_epochs)
    if strategy == "sh" and "n" not in params:
        params = {**params, "n": len(bench)}
    if strategy in _FIDELITY or strategy == "random":
        check_budget(strategy, epochs, backend.max_epochs, len(bench), n=params.get("n"),
                     min_epochs=params.get("min_epochs", 1), eta=params.get("eta", 3))  # fmt: skip
    spec = SearchSpec(strategy, place.benchmark, params, epochs, place.in_flight, rule_name,
                      rule_params, curves, **extra)  # fmt: skip
    from ..search import make_rule

    make_rule(rule_name, rule_params, backend.max_epochs)  # its settings, checked
    _checked_scheduler(strategy, params, backend, epochs, training.seed)
    return spec, bench


def _load_table(place: Place, needs: str | None) -> tuple[Any, dict[str, Any]]:
    """The benchmark of ``-b`` (with the options of a curves: file) and those options; a
    table without curves is an error when ``needs`` (what needs them) is given."""
    from ..benchmarks import load_benchmark

    curves = curves_options(place.benchmark, place.curve, place.minimize, place.run_column,
                            place.epoch_column) or {}  # fmt: skip
    bench = load_benchmark(place.benchmark, **curves)
    if needs is not None and bench.max_fidelity is None:
        raise ConfigurationError(
            f"benchmark {bench.name!r} has no learning curves; {needs} needs them "
            "(e.g. nb201-digits or nb201-cifar10-curves)"
        )
    return bench, curves


def _checked_scheduler(
    strategy: str, params: dict[str, Any], backend: Any, epochs: int | None, seed: int
) -> Any:
    """A new scheduler of ``strategy``, after a throwaway one was bound to ``backend`` (its
    settings checked against the budget and the benchmark, before any work)."""
    from ..search import SearchState, make_scheduler

    make_scheduler(strategy, params).bind(SearchState(backend, epochs, seed))
    return make_scheduler(strategy, params)


def _search_table(
    strategy: str,
    params: dict[str, Any],
    training: LiveTrainingOptions,
    place: Place,
    rule_name: str,
    rule_params: dict[str, Any],
    budget: int | None,
    queries: int | None,
    fitness: FitnessOptions | None = None,
) -> None:
    """Seeds of a search in simulated time on the table ``place.benchmark``."""
    from ..execution import make_executor
    from ..search import run_seeds

    refuse(("cells",), "only applies to --live or to sample-and-estimate")
    spec, bench = _table_spec(strategy, params, training, place, rule_name, rule_params, budget,
                              queries, fitness)  # fmt: skip
    timed = records_time(bench)
    seeds = list(range(training.seed, training.seed + place.seeds))
    journal = None if place.out_dir is None else place.out_dir / "seeds"
    read_back: list[int] = []

    def on_seed(done: int, _: int) -> None:
        if not read_back:  # the first call: the seeds read back from the journal
            read_back.append(done)
        bar.update(task, completed=done)

    with progress() as bar, make_executor("local", place.workers) as executor:
        task = bar.add_task(f"{strategy} on {bench.name} (seeds)", total=len(seeds))
        results = run_seeds(spec, seeds, executor, journal, on_seed=on_seed)
    if read_back and read_back[0]:
        out.print(f"{read_back[0]} of {len(seeds)} seeds read back from {journal}")
    if not results:
        raise ConfigurationError(f"every seed of the {strategy} search failed (see the log)")
    if len(results) == 1:
        _report_search(place.benchmark or bench.name, results[0], place.out_dir, timed=timed)
        return
    out.print(seeds_table(f"{place.benchmark} ({len(results)} seeds)", results, timed=timed))
    if place.out_dir is not None:
        _write_seeds(results, bench, place.out_dir, strategy)


def _write_seeds(results: Sequence[SearchResult], bench: Any, out_dir: Path, name: str) -> None:
    """Each seed's outcome as ``seeds.csv`` and the anytime plot as ``anytime.png``."""
    from ..search import plot_anytime

    path = out_dir / "seeds.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(("seed", "best", "value", "true_value", "test_value", "epochs", "seconds",
                         "completed", "stopped", "failed"))  # fmt: skip
        for r in results:
            last = r.trace[-1] if r.trace else None
            writer.writerow((r.seed, r.best_arch, r.best_value, last and last.true_value,
                             last and last.test_value, r.epochs_used, r.seconds_used,
                             r.completed, r.stopped, r.failed))  # fmt: skip
    optimum = max(float(rec.target) for rec in bench.records())
    label = "time (simulated seconds)" if records_time(bench) else "time (epochs: no time recorded)"
    plot = plot_anytime({name: results}, optimum, out_dir / "anytime.png", bench.name,
                        time_label=label)  # fmt: skip
    out.print(f"seeds: {path}\nanytime plot: {plot}")


def _search_live(
    strategy: str,
    params: dict[str, Any],
    training: LiveTrainingOptions,
    place: Place,
    rule_name: str,
    rule_params: dict[str, Any],
    budget: int | None,
    queries: int | None,
    fitness: FitnessOptions | None = None,
) -> None:
    """A search that trains cells on an executor, checkpoints in ``place.out_dir``."""
    from ..execution import make_executor
    from ..search import (
        LiveBackend,
        check_budget,
        make_rule,
        run_search,
    )

    if place.out_dir is None:
        raise ConfigurationError("--live needs --out DIR for the runs' checkpoints")
    if place.seeds != 1:
        raise ConfigurationError("a live search runs one seed; give --seeds only with -b TABLE")
    config = training.config()
    epochs = _budget(budget, queries, config.epochs)
    if strategy in ("random", *_FIDELITY):  # the cells drawn by --cells and --seed
        archs = training.archs()
        if strategy == "sh":
            params = {"n": len(archs), **params}
        check_budget(strategy, epochs, config.epochs, len(archs), n=params.get("n"),
                     min_epochs=params.get("min_epochs", 1), eta=params.get("eta", 3))  # fmt: skip
        params = {**params, "candidates": archs}
    else:
        refuse(("cells",), f"does not apply to {strategy} (it draws cells from the space)")
    rule = make_rule(rule_name, rule_params, config.epochs)
    check_data(config)
    where = f"{training.space}/{training.dataset} (live)"
    if fitness is not None:
        _live_fitness(strategy, params, training, place, fitness, queries, budget)
        return
    with make_executor(place.executor_name, place.workers, place.address) as executor:
        backend = LiveBackend(config, executor, place.out_dir / "runs", seed=training.seed,
                              device=training.device)  # fmt: skip
        scheduler = _checked_scheduler(strategy, params, backend, epochs, training.seed)
        try:
            with progress() as bar:
                total = epochs or config.epochs * max(len(params.get("candidates", ())), 1)
                task = bar.add_task(f"{strategy} search (epochs)", total=total)
                result = run_search(
                    scheduler, backend, workers=executor.workers, budget_epochs=epochs,
                    rule=rule, seed=training.seed,
                    on_progress=lambda res: bar.update(task, completed=res.epochs_used),
                )  # fmt: skip
        finally:
            backend.close()
    result.strategy = strategy + (f"+{type(rule).__name__}" if rule is not None else "")
    _report_search(where, result, place.out_dir)


def _live_fitness(
    strategy: str,
    params: dict[str, Any],
    training: LiveTrainingOptions,
    place: Place,
    fitness: FitnessOptions,
    queries: int | None,
    budget: int | None,
) -> None:
    """Any strategy on live short-budget estimates (feature history or FEAR), then its top k
    trained fully."""
    from ..execution import make_executor
    from ..predictors.training_based import FeatureHistorySettings
    from ..search import LiveBackend, LiveEstimateBackend, estimate_then_train

    if fitness.fitness not in LIVE_FITNESS:
        raise UnknownNameError("live fitness", str(fitness.fitness), list(LIVE_FITNESS))
    if fitness.top_k < 1:
        raise ConfigurationError(f"--top-k must be >= 1, got {fitness.top_k}")
    config = training.config()
    ratio = None
    if fitness.fitness == "fear":
        settings: Any = _fear_settings(fitness, config.epochs)
        ratio = fitness.time_ratio or None
    else:
        settings = FeatureHistorySettings(epochs=fitness.short_epochs)
        check_feature_history(settings)
    estimates_budget = _budget(budget, queries, 1)
    where = f"{training.space}/{training.dataset} (live, {strategy} on {fitness.fitness} estimates)"
    with make_executor(place.executor_name, place.workers, place.address) as executor:
        estimates = LiveEstimateBackend(config, executor, settings, training.seed,
                                        training.device, ratio)  # fmt: skip
        backend = LiveBackend(config, executor, place.out_dir / "runs", seed=training.seed,
                              device=training.device)  # fmt: skip
        try:
            found = estimate_then_train(
                _checked_scheduler(strategy, params, estimates, estimates_budget, training.seed),
                estimates, backend, fitness.top_k,
                workers=executor.workers, budget=estimates_budget, seed=training.seed,
            )  # fmt: skip
        finally:
            estimates.close()
            backend.close()
    out.print(sample_search_table(where, found))


def _fear_settings(fitness: FitnessOptions, epochs: int) -> Any:
    """FEAR's settings from the options (its stage-1 cap: 10 epochs, or a shorter run)."""
    from ..predictors.training_based import FearSettings

    if fitness.time_ratio != 0 and fitness.time_ratio < 1:
        raise ConfigurationError(
            f"--time-ratio must be >= 1 (or 0: never drop), got {fitness.time_ratio}"
        )
    return FearSettings(threshold=fitness.threshold, stage2_epochs=fitness.stage2_epochs,
                        max_epochs=min(10, epochs))  # fmt: skip


def _sample_live(
    training: LiveTrainingOptions, settings: Any, place: Place, estimator: str, top_k: int
) -> None:
    from ..execution import make_executor
    from ..search import LiveBackend, sample_and_estimate

    if place.out_dir is None:
        raise ConfigurationError("--live needs --out DIR for the runs' checkpoints")
    if estimator != LIVE_ESTIMATOR:
        raise UnknownNameError("estimator", estimator, [LIVE_ESTIMATOR])
    config, archs = training.config(), training.archs()
    check_feature_history(settings)
    check_data(config)
    with make_executor(place.executor_name, place.workers, place.address) as executor:
        backend = LiveBackend(config, executor, place.out_dir / "runs", seed=training.seed,
                              device=training.device)  # fmt: skip
        try:
            with progress() as bar:
                task = bar.add_task(f"estimating {len(archs)} cells", total=len(archs))
                found = sample_and_estimate(
                    config, archs, executor, backend, settings, top_k, training.seed,
                    on_cell=lambda done, total: bar.update(task, completed=done),
                )  # fmt: skip
        finally:
            backend.close()
    out.print(sample_search_table(f"{training.space}/{training.dataset} (live)", found))
    path = place.out_dir / "estimates.json"
    path.write_text(json.dumps({"estimates": found.estimates, "finals": found.finals}))
    out.print(f"estimates: {path}")


def _sample_table(
    training: LiveTrainingOptions, settings: Any, place: Place, estimator: str, top_k: int
) -> None:
    from ..search import TabularBackend, permuted, sample_and_estimate_curves

    refuse(_LIVE_ONLY, "only applies to --live (a table's runs are trained already)")
    refuse(("variant", "k", "probe_size", "layer", "ema_decay", "c"),
           "only applies to a live feature-history estimate (--live)")  # fmt: skip
    _refuse_feature_history("--estimator", estimator)
    bench, _ = _load_table(place, "sample-and-estimate on a table")
    _check_estimator(bench, estimator, settings.epochs)
    archs = [r.arch for r in bench.records()]
    sampled = list(permuted(archs, training.seed))[: min(training.cells, len(archs))]
    found = sample_and_estimate_curves(
        TabularBackend(bench), sampled, settings.epochs, top_k, estimator, place.workers
    )
    where = f"{place.benchmark} (simulated, {place.workers} workers)"
    out.print(sample_search_table(where, found, timed=records_time(bench)))


def _refuse_feature_history(flag: str, estimator: str | None) -> None:
    """A table's estimate is a curve estimator: the tables record no feature histories and
    no frozen-tail training (FEAR)."""
    if estimator in LIVE_FITNESS:
        what = "feature histories" if estimator == LIVE_ESTIMATOR else "FEAR scores"
        raise ConfigurationError(
            f"a table cannot give {what}: use --live, or a curve estimator on a "
            f"table ({flag} early-stop-acc, sotl-e, sotl, early-stop-loss or lce)"
        )


def _check_fitness(bench: Any, fitness: FitnessOptions) -> None:
    """A table's fitness is a curve estimator that reads what the table records."""
    _refuse_feature_history("--fitness", fitness.fitness)
    if fitness.top_k < 1:
        raise ConfigurationError(f"--top-k must be >= 1, got {fitness.top_k}")
    _check_estimator(bench, fitness.fitness, fitness.short_epochs)


def records_time(bench: Any) -> bool:
    """Whether ``bench`` records training time (per-epoch or total); else a simulated search
    counts one unit per epoch, and its tables say epochs."""
    return any("epoch_time" in r.curves or r.cost is not None for r in bench.records())


def _check_estimator(bench: Any, estimator: str, short: int) -> None:
    """The curve estimator of a table's sample-and-estimate reads what the table records."""
    from ..evaluation import usable_pool
    from ..predictors import make_predictor

    if not 1 <= short < bench.max_fidelity:
        raise ConfigurationError(
            f"--short-epochs must be 1..{bench.max_fidelity - 1} on {bench.name} (its runs "
            f"have {bench.max_fidelity} epochs), got {short}"
        )
    usable_pool(bench.records(), {estimator: make_predictor(estimator, fidelity=short)},
                bench.name)  # fmt: skip


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
            writer.writerow([p.epochs, p.seconds, p.arch, p.value, p.true_value, p.test_value,
                             p.jobs])  # fmt: skip
    out.print(f"trace: {path}")


def _value(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def search_table(where: str, res: SearchResult, *, timed: bool = True) -> Table:
    """One row: what a search returned and what it cost (in epochs only when ``timed`` is
    False: its benchmark records no training time). Every started run is counted once:
    completed, stopped by the rule, failed, or left at a lower rung (not promoted by the
    halving, or cut short by the budget)."""
    last = res.trace[-1] if res.trace else None
    columns = ("best", "final val acc", "true final", "test", "epochs",
               *(("seconds",) if timed else ()))  # fmt: skip
    columns += ("started", "completed", "stopped", "failed", "left at a rung")
    title = f"{res.strategy} on {where}" + ("" if timed else " (no recorded time: cost in epochs)")
    table = new_table(title, columns)
    table.add_row(
        str(res.best_arch),
        _value(res.best_value),
        _value(last.true_value if last else None),
        _value(last.test_value if last else None),
        str(res.epochs_used),
        *((f"{res.seconds_used:.1f}",) if timed else ()),
        str(res.configs),
        str(res.completed),
        str(res.stopped),
        str(res.failed),
        str(res.configs - res.completed - res.stopped - res.failed),
    )
    return table


def _mean_std(values: Sequence[float | None]) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return "-"
    return f"{np.mean(got):.2f} ± {np.std(got):.2f}"


def seeds_table(where: str, results: Sequence[SearchResult], *, timed: bool = True) -> Table:
    """One row for many seeds: the returned candidate's values (mean ± std over seeds) and
    the cost (mean)."""
    strategy = results[0].strategy
    columns = ("seeds", "final val acc", "true final", "test", "epochs",
               *(("seconds",) if timed else ()), "completed", "stopped", "failed")  # fmt: skip
    table = new_table(f"{strategy} on {where}", columns, left=False)
    lasts = [r.trace[-1] if r.trace else None for r in results]
    table.add_row(
        str(len(results)),
        _mean_std([r.best_value for r in results]),
        _mean_std([p.true_value if p else None for p in lasts]),
        _mean_std([p.test_value if p else None for p in lasts]),
        f"{np.mean([r.epochs_used for r in results]):,.0f}",
        *((f"{np.mean([r.seconds_used for r in results]):,.1f}",) if timed else ()),
        f"{np.mean([r.completed for r in results]):.1f}",
        f"{np.mean([r.stopped for r in results]):.1f}",
        f"{np.mean([r.failed for r in results]):.1f}",
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
