"""One description of a search, for a table and for live training alike, and its seeds.

A :class:`SearchSpec` is plain data (it travels to an executor's workers): the strategy of
:data:`~nasperf.search.STRATEGIES` and its settings, where it runs (a benchmark table replayed in
simulated time, or :class:`LiveRuns` trained on an executor), the budget, the stopping rule and
an optional short-budget fitness. :meth:`SearchSpec.check` checks all of it before any work, with
one dry bind of the scheduler to the backend; :meth:`SearchSpec.build` gives the scheduler, the
backend and the rule of one seed; :func:`run_spec` runs one seed and :func:`run_seeds` many,
journalled so that a rerun continues. On a table the seeds run in parallel on the executor (each
in simulated time); live, they run in turn and each trains its jobs on the executor.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import ConfigurationError, UnknownNameError
from ..store import Journal, json_ready
from ..validation import InstanceOf, Interval, Options, Validated
from . import backends
from ._loop import SearchState, run_search
from ._types import SearchResult, TracePoint, search_label
from .strategies import RULES, STRATEGIES, make_rule, make_scheduler, strategy_class

__all__ = [
    "SearchSpec",
    "LiveRuns",
    "Built",
    "LIVE_FITNESS",
    "TABLE_FITNESS",
    "run_spec",
    "run_seeds",
    "fitness_result",
    "result_row",
    "result_from_row",
]

logger = logging.getLogger(__name__)

#: the short-budget estimators a live search may use as its fitness
LIVE_FITNESS = ("feature-history", "fear")
#: the curve estimators a table's fitness may use (they need no training data)
TABLE_FITNESS = ("early-stop-acc", "early-stop-loss", "sotl", "sotl-e", "lce", "lc-pfn")
#: FEAR's stage-1 cap: 10 epochs, or a shorter full run
_FEAR_MAX_EPOCHS = 10


@dataclass(frozen=True)
class LiveRuns(Validated):
    """Where a live search trains: the cells' settings (a
    :class:`~nasperf.benchmarks.LiveBenchmarkConfig`), the directory of the runs' checkpoints,
    the device, and the candidates of a strategy that takes a fixed list: ``cells`` given as
    they are, or ``draw`` cells of the space drawn under each seed (each seed's search sees
    its own sample); neither: the strategy samples the space."""

    config: Any
    run_dir: str
    device: str = "cpu"
    cells: tuple[str, ...] | None = None
    draw: int | None = None

    _parameter_constraints = {
        "run_dir": [InstanceOf((str, os.PathLike), "a directory path")],
        "device": [InstanceOf(str, "a device name (cpu, cuda, auto)")],
        "draw": [Interval(int, 1, None), None],
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "run_dir", os.fspath(self.run_dir))
        if self.cells is not None and self.draw is not None:
            raise ConfigurationError("give the cells or a number of cells to draw, not both")

    def candidates(self, seed: int) -> list[str] | None:
        """The cells a strategy that takes a fixed list gets under ``seed`` (None: none)."""
        if self.cells is not None:
            return list(self.cells)
        if self.draw is None:
            return None
        from ..benchmarks import select_cells

        return select_cells(self.config.space, self.draw, seed)


@dataclass
class Built:
    """One seed's search: its scheduler, backend and rule (and the full-run backend of a
    short-budget fitness, whose scheduler runs on the estimate backend)."""

    scheduler: Any
    backend: Any
    rule: Any = None
    full: Any = None

    def close(self) -> None:
        """Release the backends' workers."""
        self.backend.close()
        if self.full is not None:
            self.full.close()


@dataclass(frozen=True)
class SearchSpec(Validated):
    """One search, as plain data.

    ``benchmark`` (a table, with ``benchmark_options`` for a ``curves:`` file) or ``live`` (cells
    trained on an executor) says where it runs. ``budget_epochs`` bounds the epochs it spends,
    or ``queries`` the full runs (None: no limit; with a ``fitness``, an estimate is one epoch
    and one query). ``in_flight`` is the number of
    jobs in flight on a table's simulated clock (live: the executor's workers). ``rule`` is a
    stopping rule of :data:`~nasperf.search.RULES` with ``rule_params``. ``fitness`` scores
    candidates by a short-budget estimate (a curve estimator after ``short_epochs`` on a table;
    ``feature-history`` or ``fear`` live, with ``fitness_params``: the settings of
    :class:`~nasperf.predictors.training_based.FeatureHistorySettings` or of
    :class:`~nasperf.predictors.training_based.FearSettings` and FEAR's ``time_ratio``), then
    trains the ``top_k`` best to the end.
    """

    strategy: str
    benchmark: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    budget_epochs: int | None = None
    queries: int | None = None
    in_flight: int = 1
    rule: str = "none"
    rule_params: Mapping[str, Any] = field(default_factory=dict)
    benchmark_options: Mapping[str, Any] = field(default_factory=dict)
    fitness: str | None = None
    short_epochs: int = 2
    top_k: int = 2
    fitness_params: Mapping[str, Any] = field(default_factory=dict)
    live: LiveRuns | None = None

    _parameter_constraints = {
        "strategy": [Options(tuple(STRATEGIES), kind="search strategy")],
        "benchmark": [InstanceOf(str, "a benchmark name"), None],
        "budget_epochs": [Interval(int, 1, None), None],
        "queries": [Interval(int, 1, None), None],
        "in_flight": [Interval(int, 1, None)],
        "rule": [Options(tuple(RULES), kind="rule")],
        "fitness": [InstanceOf(str, "an estimator name"), None],
        "short_epochs": [Interval(int, 1, None)],
        "top_k": [Interval(int, 1, None)],
        "live": [InstanceOf(LiveRuns, "a LiveRuns"), None],
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.benchmark is None) == (self.live is None):
            raise ConfigurationError("a search runs on a benchmark table or live, exactly one")
        if self.fitness is not None and self.rule != "none":
            raise ConfigurationError(
                "a short-budget fitness scores candidates by an estimate: no rule with it"
            )
        if self.budget_epochs is not None and self.queries is not None:
            raise ConfigurationError("give budget_epochs (epochs) or queries (full runs), not both")
        if self.fitness is None and self.fitness_params:
            raise ConfigurationError("fitness_params only apply with a fitness")

    # -- what it is ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The strategy with what changes it: ``re+early-stop-acc``, ``random+BakerRule``."""
        if self.fitness is not None:
            return f"{self.strategy}+{self.fitness}"
        return search_label(self.strategy, RULES.load(self.rule))

    @property
    def needs_curves(self) -> str | None:
        """What in this search needs learning curves on a table (None: nothing)."""
        if self.fitness is not None:
            return f"a short-budget fitness ({self.fitness})"
        if strategy_class(self.strategy).multi_fidelity:
            return self.strategy
        if self.rule != "none":
            return f"the {self.rule} rule"
        return None

    def budget(self, max_epochs: int) -> int | None:
        """The budget in epochs on a backend whose full run is ``max_epochs`` (None: none)."""
        return self.queries * max_epochs if self.queries is not None else self.budget_epochs

    def settings(self) -> dict[str, Any]:
        """What a journal must have been made with to be continued."""
        return json_ready(asdict(self))

    def where(self) -> str:
        """Where it runs, for tables and logs."""
        if self.live is not None:
            return f"{self.live.config.space}/{self.live.config.dataset} (live)"
        return str(self.benchmark)

    # -- checks ----------------------------------------------------------------------------------
    def table(self) -> Any:
        """The benchmark table searched (loaded once per process; None: a live search)."""
        if self.benchmark is None:
            return None
        return _benchmark(self.benchmark, self.benchmark_options)

    def check(self, seed: int = 0) -> None:
        """Check everything before any work: the fitness and the rule against what the table
        records, the budget against the strategy's minimum, and one dry bind of the scheduler
        to the backend of ``seed`` (its settings against the benchmark). Raises
        ConfigurationError, UnknownNameError, MissingRequirementError or
        OptionalDependencyError (:meth:`check_extras`)."""
        self.check_extras()
        if self.live is not None:
            from ..benchmarks import cell_data

            cell_data(self.live.config)  # the dataset loads here, not in every worker
        built = self._assemble(seed, executor=None)
        max_epochs = built.backend.max_epochs
        budget = self.budget(max_epochs)
        candidates = self._candidate_count(built.backend, seed)
        built.scheduler.check_budget(budget, max_epochs, candidates)
        built.scheduler.bind(SearchState(built.backend, budget, seed))

    def extras(self) -> list[tuple[str, str]]:
        """The optional-dependency extras this search imports, as ``(what needs it, extra)``:
        live training's, and those the surrogate, the fitness and the rule's curve model
        declare (the predictors' own, as ``nasperf predictors`` lists them)."""
        from ..predictors import PREDICTORS, get_predictor_class, split_params

        needs = [("a live search (it trains the cells)", "torch")] if self.live else []
        for what, name in self._predictors():
            base = split_params(name)[0]
            if base in PREDICTORS:  # an unknown name is the scheduler's or the rule's to report
                extra = get_predictor_class(base).extra
                needs += [(what, extra)] if extra else []
        return needs

    def _predictors(self) -> list[tuple[str, str]]:
        """The predictors this search fits: ``(what it is, its name)``."""
        found = []
        surrogate = self.params.get("predictor") or getattr(
            strategy_class(self.strategy), "default_predictor", None
        )
        if surrogate:
            found.append((f"{self.strategy}'s surrogate {surrogate}", str(surrogate)))
        if self.fitness is not None:
            found.append((f"the fitness {self.fitness}", self.fitness))
        if self.rule == "baker":
            default = inspect.signature(RULES.load("baker")).parameters["predictor"].default
            model = str(self.rule_params.get("predictor", default))
            found.append((f"the baker rule's curve model {model}", model))
        return found

    def check_extras(self) -> None:
        """Raise OptionalDependencyError naming the extra to install if one that this search
        will import is missing (found without importing it): before any work, not per seed."""
        from ..registry import require_extra

        for what, extra in self.extras():
            require_extra(extra, what)

    def _candidate_count(self, backend: Any, seed: int) -> int:
        cells = None if self.live is None else self.live.candidates(seed)
        if cells is not None:
            return len(cells)
        archs = backend.archs()
        return len(archs) if archs is not None else 10**9

    def _params(self, seed: int) -> dict[str, Any]:
        """The scheduler's settings, with the cells of a live search that takes them."""
        params = dict(self.params)
        cells = None if self.live is None else self.live.candidates(seed)
        if cells is not None:
            if not strategy_class(self.strategy).takes_candidates:
                raise ConfigurationError(
                    f"{self.strategy} draws its candidates from the space; it takes no cells"
                )
            params.setdefault("candidates", cells)
        return params

    # -- building --------------------------------------------------------------------------------
    def build(self, seed: int, executor: Any = None) -> Built:
        """The scheduler, backend and rule of one seed (live: training on ``executor``)."""
        if self.live is not None and executor is None:
            raise ConfigurationError("a live search trains on an executor: give one")
        return self._assemble(seed, executor)

    def _assemble(self, seed: int, executor: Any) -> Built:
        """The backends, scheduler and rule of ``seed`` (no executor: only to check them)."""
        built = self._backends(seed, executor)
        built.scheduler = make_scheduler(self.strategy, self._params(seed))
        built.rule = make_rule(self.rule, self.rule_params, built.backend.max_epochs)
        return built

    def _backends(self, seed: int, executor: Any) -> Built:
        self._check_fitness_kind()
        full = self._full_backend(seed, executor)
        if self.fitness is None:
            return Built(None, full)
        return Built(None, self._estimate_backend(full, seed, executor), full=full)

    def _check_fitness_kind(self) -> None:
        """A live search's fitness trains (feature history, FEAR); a table's reads curves."""
        fitness = self.fitness
        if fitness is None:
            return
        if self.live is not None and fitness not in LIVE_FITNESS:
            raise UnknownNameError("live estimator", fitness, list(LIVE_FITNESS))
        if self.live is None and fitness in LIVE_FITNESS:
            what = "feature histories" if fitness == "feature-history" else "FEAR scores"
            raise ConfigurationError(
                f"a table cannot give {what}: run live, or use a curve estimator on a table "
                f"({', '.join(TABLE_FITNESS)})"
            )

    def _full_backend(self, seed: int, executor: Any) -> Any:
        if self.live is not None:
            live = self.live
            return backends.LiveBackend(
                live.config, executor, Path(live.run_dir), seed=seed, device=live.device
            )
        bench = self.table()
        needs = self.needs_curves
        if needs is not None and bench.max_fidelity is None:
            raise ConfigurationError(
                f"benchmark {bench.name!r} has no learning curves; {needs} needs them "
                "(e.g. nb201-digits or nb201-cifar10-curves)"
            )
        return backends.TabularBackend(bench)

    def _estimate_backend(self, full: Any, seed: int, executor: Any) -> Any:
        fitness = str(self.fitness)
        if self.live is None:
            _check_table_estimator(full, fitness, self.short_epochs)
            return backends.ShortBudgetBackend(full, fitness, self.short_epochs)
        settings, ratio = self._live_estimator()
        return backends.LiveEstimateBackend(
            self.live.config, executor, settings, seed, self.live.device, ratio
        )

    def _live_estimator(self) -> tuple[Any, float | None]:
        """The live estimator's settings and FEAR's time ratio (None: never drop)."""
        from ..predictors.training_based import FearSettings, FeatureHistorySettings

        assert self.live is not None
        params = dict(self.fitness_params)
        if self.fitness == "fear":
            ratio = params.pop("time_ratio", None) or None
            if ratio is not None and ratio < 1:
                raise ConfigurationError(f"time_ratio must be >= 1 (or 0: never drop), got {ratio}")
            params.setdefault("max_epochs", min(_FEAR_MAX_EPOCHS, self.live.config.epochs))
            return _settings(FearSettings, params), ratio
        return _settings(FeatureHistorySettings, {"epochs": self.short_epochs, **params}), None


def _settings(cls: type, params: dict[str, Any]) -> Any:
    """``cls(**params)``, a parameter it does not know a ConfigurationError naming it."""
    try:
        return cls(**params)
    except TypeError as exc:
        raise ConfigurationError(f"fitness_params of {cls.__name__}: {exc}") from exc


def _check_table_estimator(backend: Any, estimator: str, short: int) -> None:
    """A table's short-budget estimator reads what the table records, within its runs."""
    from ..evaluation import usable_pool
    from ..predictors import make_predictor

    bench = backend.benchmark
    if not 1 <= short < backend.max_epochs:
        raise ConfigurationError(
            f"the short budget must be 1..{backend.max_epochs - 1} epochs on {bench.name} (its "
            f"runs have {backend.max_epochs}), got short_epochs={short}"
        )
    usable_pool(bench.records(), {estimator: make_predictor(estimator, fidelity=short)}, bench.name)


_BENCHMARKS: dict[tuple, Any] = {}  # loaded once per process


def _benchmark(name: str, options: Mapping[str, Any]) -> Any:
    from ..benchmarks import load_benchmark

    key = (name, tuple(sorted((k, repr(json_ready(v))) for k, v in options.items())))
    if key not in _BENCHMARKS:
        _BENCHMARKS[key] = load_benchmark(name, **dict(options))
    return _BENCHMARKS[key]


# -- running ---------------------------------------------------------------------------------------
def run_spec(
    spec: SearchSpec,
    seed: int,
    *,
    executor: Any = None,
    on_progress: Callable[[SearchResult], None] | None = None,
) -> SearchResult:
    """Run ``spec`` once with ``seed``: on its table in simulated time, or live on
    ``executor``. ``on_progress(result)`` is called each time a run completes."""
    from ..training import torch_threads

    built = spec.build(seed, executor)
    workers = spec.in_flight if spec.live is None else executor.workers
    try:
        with torch_threads(1):  # a surrogate's small networks fit fastest on one thread
            if spec.fitness is not None:
                return _run_with_fitness(spec, built, seed, workers)
            result = run_search(
                built.scheduler,
                built.backend,
                workers=workers,
                budget_epochs=spec.budget(built.backend.max_epochs),
                rule=built.rule,
                seed=seed,
                on_progress=on_progress,
            )
    finally:
        built.close()
    result.strategy = spec.name
    return result


def _run_with_fitness(spec: SearchSpec, built: Built, seed: int, workers: int) -> SearchResult:
    """The scheduler on short-budget estimates (``spec.budget_epochs`` estimates at most), then
    its top k trained to the end: one :class:`SearchResult`."""
    from ._fitness import estimate_then_train

    estimates, full = built.backend, built.full
    found = estimate_then_train(
        built.scheduler,
        estimates,
        full,
        spec.top_k,
        workers=workers,
        budget=spec.budget(estimates.max_epochs),
        seed=seed,
    )
    if spec.live is None:  # a table's estimate is the first epochs of the full run
        epochs = sum(full.run(r["arch"]).epochs for r in found.estimates)
    else:
        short = sum(int(r.get("epochs") or spec.short_epochs) for r in found.estimates)
        epochs = short + sum(full.run(a).epochs for a in found.finals)
    return fitness_result(spec.name, found, full, seed, epochs)


def fitness_result(name: str, found: Any, backend: Any, seed: int, epochs: int) -> SearchResult:
    """A :class:`SearchResult` of an estimate-then-train search whose full runs were on
    ``backend``: ``epochs`` in all, the time of both phases, one trace point (the returned
    candidate) and every candidate's estimate."""
    result = SearchResult(name, found.best_arch, found.best_value, seed=seed)
    result.epochs_used = int(epochs)
    result.seconds_used = float(found.seconds)
    result.configs = len(found.estimates)
    result.completed = len(found.finals)
    result.failed = sum(r.get("estimate") is None for r in found.estimates)
    result.jobs = result.configs + result.completed
    result.estimates = [json_ready(r) for r in found.estimates]
    if found.best_arch is not None:
        point = TracePoint(
            result.epochs_used,
            result.seconds_used,
            found.best_arch,
            found.best_value,
            backend.true_final(found.best_arch),
            result.jobs,
            backend.test_value(found.best_arch),
        )
        result.trace.append(point)
    return result


def result_row(result: SearchResult) -> dict[str, Any]:
    """``result`` as a JSON object (architectures as text)."""
    row = json_ready(asdict(result))
    row["best_arch"] = None if result.best_arch is None else str(result.best_arch)
    for point, p in zip(row["trace"], result.trace, strict=True):
        point["arch"] = str(p.arch)
    return row


def result_from_row(row: Mapping[str, Any]) -> SearchResult:
    """The :class:`SearchResult` of a :func:`result_row`."""
    data = dict(row)
    data["trace"] = [TracePoint(**p) for p in data.get("trace", [])]
    return SearchResult(**data)


def _seed_task(task: tuple[SearchSpec, int]) -> dict[str, Any]:
    spec, seed = task
    return result_row(run_spec(spec, seed))


def _is_seed_row(row: Any) -> bool:
    return isinstance(row, dict) and "seed" in row and "trace" in row


def run_seeds(
    spec: SearchSpec,
    seeds: Sequence[int],
    executor: Any,
    journal: str | Path | None = None,
    on_seed: Callable[[int, int], None] | None = None,
    *,
    on_progress: Callable[[SearchResult], None] | None = None,
) -> list[SearchResult]:
    """Run ``spec`` once per seed and return the results in seed order.

    On a table the seeds run in parallel on ``executor``; live they run in turn, each training
    its jobs on ``executor`` (``on_progress`` is called as its runs complete). With a ``journal``
    directory each finished seed is appended to its ``seeds.jsonl`` and a rerun with the same
    spec reads those back instead of running them (another spec there is an error naming the
    settings that differ). A seed whose search fails is logged and left out. ``on_seed(done,
    total)`` is called as seeds finish.
    """
    seeds = list(dict.fromkeys(int(s) for s in seeds))  # each seed once, in the order given
    results: dict[int, SearchResult] = {}
    rows = None
    if journal is not None:
        rows = Journal(
            journal,
            spec.settings(),
            rows="seeds.jsonl",
            is_row=_is_seed_row,
            what="search seeds",
            row_what="a search seed's result",
        )
        results = {int(row["seed"]): result_from_row(row) for row in rows.read()}
    todo = [s for s in seeds if s not in results]
    if len(todo) < len(seeds):
        logger.info("%d of %d seeds read back from %s", len(seeds) - len(todo), len(seeds), journal)
    done = len(seeds) - len(todo)
    if on_seed is not None:
        on_seed(done, len(seeds))
    with rows.open() if rows is not None and todo else nullcontext() as out:
        for seed, row, error in _outcomes(spec, todo, executor, on_progress):
            if error is not None:
                logger.warning("seed %d failed: %s", seed, error)
                continue
            results[seed] = result_from_row(row)
            if out is not None:
                out.append(row)
            done += 1
            if on_seed is not None:
                on_seed(done, len(seeds))
    return [results[s] for s in seeds if s in results]


def _outcomes(
    spec: SearchSpec,
    todo: list[int],
    executor: Any,
    on_progress: Callable[[SearchResult], None] | None,
) -> Any:
    """``(seed, row, error)`` of each seed as it ends: a table's in parallel on ``executor``,
    a live search's in turn (its jobs on ``executor``; its failures are the user's to see)."""
    if spec.live is None:
        tasks = [(spec, s) for s in todo]
        for outcome in executor.map_unordered(_seed_task, tasks, retries=1):
            yield outcome.item[1], outcome.result, None if outcome.ok else outcome.error
        return
    for seed in todo:
        result = run_spec(spec, seed, executor=executor, on_progress=on_progress)
        yield seed, result_row(result), None
