"""Every seed's search: the strategy table, a picklable description of a search on a table, and
many seeds run in parallel on an executor, journalled so that a rerun continues.

A :class:`SearchSpec` names a strategy of :data:`STRATEGIES` with its settings, a benchmark,
the budget, the workers and the stopping rule; :func:`run_seeds` runs it once per seed on an
executor (seeds in parallel, each in simulated time), appends each finished seed to
``seeds.jsonl`` in its directory and, run again, reads those back instead of running them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import ConfigurationError
from ..registry import Registry
from ._loop import SearchResult, TracePoint, run_search

__all__ = [
    "STRATEGIES",
    "RULES",
    "SearchSpec",
    "make_scheduler",
    "make_rule",
    "run_spec",
    "run_seeds",
    "fitness_result",
    "result_row",
    "result_from_row",
    "anytime",
    "plot_anytime",
]

logger = logging.getLogger(__name__)

#: the search strategies by name; ``meta["fidelity"]``: whether it trains runs part of the way
STRATEGIES = Registry("search strategy")
STRATEGIES.add(
    "random",
    "nasperf.search._schedulers:RandomSearch",
    "random search: full runs, one per free worker",
    meta={"fidelity": False},
)
STRATEGIES.add(
    "sh",
    "nasperf.search._schedulers:SuccessiveHalving",
    "successive halving: one bracket, the top 1/eta promoted at each rung",
    meta={"fidelity": True},
)
STRATEGIES.add(
    "hyperband",
    "nasperf.search._schedulers:Hyperband",
    "Hyperband: brackets of successive halving (Li et al. 2017)",
    meta={"fidelity": True},
)
STRATEGIES.add(
    "asha",
    "nasperf.search._schedulers:ASHA",
    "asynchronous successive halving (Li et al. 2020)",
    meta={"fidelity": True},
)
STRATEGIES.add(
    "re",
    "nasperf.search._nas:RegularizedEvolution",
    "regularised (aging) evolution (Real et al. 2019)",
    meta={"fidelity": False},
)
STRATEGIES.add(
    "ls",
    "nasperf.search._nas:LocalSearch",
    "local search from the best so far (White et al. 2021)",
    meta={"fidelity": False},
)
STRATEGIES.add(
    "bananas",
    "nasperf.search._nas:BANANAS",
    "BANANAS: a predictor's acquisition over mutations of the best (White et al.)",
    meta={"fidelity": False},
)
STRATEGIES.add(
    "npenas",
    "nasperf.search._nas:NPENAS",
    "NPENAS: evolution filtered by a predictor (Wei et al. 2022)",
    meta={"fidelity": False},
)
STRATEGIES.add("metaqnn", "nasperf.search._metaqnn:MetaQNN",
               "MetaQNN: Q-learning over the cell's choices (Baker et al. 2017)",
               meta={"fidelity": False})  # fmt: skip

#: the stopping rules by name
RULES = ("none", "baker", "median")


@dataclass(frozen=True)
class SearchSpec:
    """One search on a table, as plain data (it travels to the executor's workers)."""

    strategy: str
    benchmark: str
    params: Mapping[str, Any] = field(default_factory=dict)
    budget_epochs: int | None = None
    workers: int = 1
    rule: str = "none"
    rule_params: Mapping[str, Any] = field(default_factory=dict)
    benchmark_options: Mapping[str, Any] = field(default_factory=dict)
    fitness: str | None = None  # a learning-curve estimator after short_epochs, then top_k
    short_epochs: int = 2
    top_k: int = 2

    def settings(self) -> dict[str, Any]:
        """What a journal must have been made with to be continued."""
        return json_ready(asdict(self))


def json_ready(value: Any) -> Any:
    """``value`` with tuples as lists and numpy scalars as Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def make_scheduler(strategy: str, params: Mapping[str, Any] | None = None) -> Any:
    """A new scheduler of ``strategy`` with ``params`` (its constructor's arguments)."""
    cls = STRATEGIES.load(strategy)
    try:
        return cls(**dict(params or {}))
    except TypeError as exc:
        raise ConfigurationError(f"{strategy}: {exc}") from exc


def make_rule(rule: str, params: Mapping[str, Any] | None = None, max_epochs: int = 0) -> Any:
    """A new stopping rule by name (``none``: None); ``params`` are its arguments, with
    ``checkpoints="dense"`` for :func:`dense_checkpoints` of ``max_epochs``."""
    from ._stopping import BakerRule, MedianRule, dense_checkpoints

    if rule not in RULES:
        raise ConfigurationError(f"rule must be one of {', '.join(RULES)}, got {rule!r}")
    if rule == "none":
        return None
    kwargs = dict(params or {})
    if kwargs.get("checkpoints") == "dense":
        kwargs["checkpoints"] = dense_checkpoints(max_epochs)
    return BakerRule(**kwargs) if rule == "baker" else MedianRule(**kwargs)


_BENCHMARKS: dict[tuple, Any] = {}  # loaded once per process


def _benchmark(name: str, options: Mapping[str, Any]) -> Any:
    from ..benchmarks import load_benchmark

    key = (name, tuple(sorted((k, json_ready(v).__repr__()) for k, v in options.items())))
    if key not in _BENCHMARKS:
        _BENCHMARKS[key] = load_benchmark(name, **dict(options))
    return _BENCHMARKS[key]


def run_spec(spec: SearchSpec, seed: int) -> SearchResult:
    """Run ``spec`` once, on its table in simulated time, with ``seed``."""
    from ..training import torch_threads
    from ._backends import TabularBackend

    if spec.fitness is not None and spec.rule != "none":
        raise ConfigurationError("a short-budget fitness scores candidates by an estimate: no rule")
    backend = TabularBackend(_benchmark(spec.benchmark, spec.benchmark_options))
    scheduler = make_scheduler(spec.strategy, spec.params)
    rule = make_rule(spec.rule, spec.rule_params, backend.max_epochs)
    with torch_threads(1):  # a surrogate's small networks fit fastest on one thread
        if spec.fitness is not None:
            return _run_with_fitness(spec, scheduler, backend, seed)
        result = run_search(
            scheduler, backend, workers=spec.workers, budget_epochs=spec.budget_epochs,
            rule=rule, seed=seed,
        )  # fmt: skip
    result.strategy = spec.strategy + (f"+{type(rule).__name__}" if rule is not None else "")
    return result


def _run_with_fitness(spec: SearchSpec, scheduler: Any, backend: Any, seed: int) -> SearchResult:
    """``scheduler`` on short-budget estimates of ``backend``'s runs (``spec.budget_epochs``
    estimates at most), then its top k trained to the end: one :class:`SearchResult`."""
    from ._sampling import ShortBudgetBackend, estimate_then_train

    estimates = ShortBudgetBackend(backend, spec.fitness, spec.short_epochs)
    found = estimate_then_train(
        scheduler, estimates, backend, spec.top_k, workers=spec.workers,
        budget=spec.budget_epochs, seed=seed,
    )  # fmt: skip
    epochs = sum(backend.run(r["arch"]).epochs for r in found.estimates)  # top k's included
    return fitness_result(f"{spec.strategy}+{spec.fitness}", found, backend, seed, epochs)


def fitness_result(name: str, found: Any, backend: Any, seed: int, epochs: int) -> SearchResult:
    """A :class:`SearchResult` of an :func:`estimate_then_train` search whose full runs were on
    ``backend``: ``epochs`` in all, the time of both phases, one trace point (the returned
    candidate)."""
    result = SearchResult(name, found.best_arch, found.best_value, seed=seed)
    result.epochs_used = int(epochs)
    result.seconds_used = float(found.seconds)
    result.configs = len(found.estimates)
    result.completed = len(found.finals)
    result.failed = sum(r.get("estimate") is None for r in found.estimates)
    result.jobs = result.configs + result.completed
    if found.best_arch is not None:
        result.trace.append(
            TracePoint(
                result.epochs_used,
                result.seconds_used,
                found.best_arch,
                found.best_value,
                backend.true_final(found.best_arch),
                result.jobs,
                backend.test_value(found.best_arch),
            )  # fmt: skip
        )
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


def run_seeds(
    spec: SearchSpec,
    seeds: Sequence[int],
    executor: Any,
    journal: str | Path | None = None,
    on_seed: Callable[[int, int], None] | None = None,
) -> list[SearchResult]:
    """Run ``spec`` once per seed, the seeds in parallel on ``executor``; the results in seed
    order. With a ``journal`` directory, each finished seed is appended to its
    ``seeds.jsonl`` and a rerun with the same spec reads those back instead of running them
    (another spec there is an error naming the settings that differ). A seed whose search
    fails is logged and left out. ``on_seed(done, total)`` is called as seeds finish."""
    from ..store import JsonLinesFile, atomic_write, check_settings, read_settings

    seeds = list(dict.fromkeys(int(s) for s in seeds))  # each seed once, in the order given
    results: dict[int, SearchResult] = {}
    rows_file = None
    if journal is not None:
        directory = Path(journal)
        directory.mkdir(parents=True, exist_ok=True)
        settings = directory / "settings.json"
        if settings.exists():
            check_settings(read_settings(settings), spec.settings(), where=directory)
        else:
            atomic_write(settings, json.dumps(spec.settings(), indent=1))
        rows_file = JsonLinesFile(directory / "seeds.jsonl", lambda r: isinstance(r, dict))
        if rows_file.exists():
            for row in rows_file.read(repair=True):
                results[int(row["seed"])] = result_from_row(row)
        else:
            rows_file.create()
    todo = [(spec, int(s)) for s in seeds if int(s) not in results]
    if len(todo) < len(seeds):
        logger.info("%d of %d seeds read back from %s", len(seeds) - len(todo), len(seeds),
                    journal)  # fmt: skip
    done = len(seeds) - len(todo)
    if on_seed is not None:
        on_seed(done, len(seeds))
    if todo:
        if rows_file is not None:
            with rows_file.appending() as out:
                done = _collect(executor, todo, results, out.append, on_seed, done, len(seeds))
        else:
            _collect(executor, todo, results, None, on_seed, done, len(seeds))
    return [results[int(s)] for s in seeds if int(s) in results]


def _collect(
    executor: Any,
    todo: list[tuple[SearchSpec, int]],
    results: dict[int, SearchResult],
    append: Callable[[Any], None] | None,
    on_seed: Callable[[int, int], None] | None,
    done: int,
    total: int,
) -> int:
    for outcome in executor.map_unordered(_seed_task, todo, retries=1):
        seed = outcome.item[1]
        if not outcome.ok:
            logger.warning("seed %d failed: %s", seed, outcome.error)
            continue
        results[seed] = result_from_row(outcome.result)
        if append is not None:
            append(outcome.result)
        done += 1
        if on_seed is not None:
            on_seed(done, total)
    return done


def anytime(
    results: Sequence[SearchResult],
    optimum: float,
    axis: str = "jobs",
    grid: Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Regret (``optimum`` minus the incumbent's table value, or its observed value where the
    table has none) of each result at each point of ``grid`` on ``axis`` (``jobs``: runs
    completed; ``epochs``; ``seconds``): the grid and a (results x grid) array, NaN before a
    search's first completed run."""
    if axis not in ("jobs", "epochs", "seconds"):
        raise ConfigurationError(f"axis must be jobs, epochs or seconds, got {axis!r}")
    if grid is None:
        top = max((getattr(r.trace[-1], axis) for r in results if r.trace), default=1)
        grid = np.linspace(0, top, 100)
    grid = np.asarray(grid, dtype=float)
    out = np.full((len(results), len(grid)), np.nan)
    for i, res in enumerate(results):
        xs = np.array([getattr(p, axis) for p in res.trace], dtype=float)
        ys = np.array(
            [optimum - (p.true_value if p.true_value is not None else p.value) for p in res.trace]
        )
        idx = np.searchsorted(xs, grid, side="right") - 1
        ok = idx >= 0
        out[i, ok] = ys[idx[ok]]
    return grid, out


def plot_anytime(
    by_strategy: Mapping[str, Sequence[SearchResult]],
    optimum: float,
    path: str | Path,
    title: str = "",
    time_label: str = "time (simulated seconds)",
) -> Path:
    """Median and interquartile band of regret against runs completed and against time
    (``time_label`` names its unit), one line per strategy, written as the PNG ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..store import atomic_write

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, axis, label in zip(
        axes, ("jobs", "seconds"), ("runs completed", time_label), strict=True
    ):
        for name, results in by_strategy.items():
            grid, regret = anytime(results, optimum, axis)
            with np.errstate(all="ignore"):
                seen = np.isfinite(regret).sum(axis=0) >= max(1, len(results) // 2)
                if not seen.any():
                    continue
                q = np.nanpercentile(regret[:, seen], [25, 50, 75], axis=0)
            (line,) = ax.plot(grid[seen], q[1], label=f"{name} ({len(results)} seeds)")
            ax.fill_between(grid[seen], q[0], q[2], color=line.get_color(), alpha=0.15)
        ax.set_xlabel(label)
        ax.set_yscale("symlog", linthresh=0.01)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("regret (best value − incumbent's), median and IQR")
    axes[1].legend(loc="upper right", fontsize=9, frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    try:
        atomic_write(Path(path), lambda p: fig.savefig(p, dpi=110, format="png"))
    finally:
        plt.close(fig)
    return Path(path)
