"""Make a benchmark of our own: train sampled cells on a real dataset and record everything.

:func:`make_benchmark` draws ``cells`` cells of the search space (a prefix of one seeded
permutation, the same draw as ``nasperf proxies``), and for each builds its network, counts
its parameters and FLOPs, computes zero-cost proxies on the untrained weights and trains it
with the :class:`~nasperf.training.Trainer`. The cells run on any
:class:`~nasperf.execution.Executor`; every cell is seeded by
:func:`~nasperf.benchmarks.cells.cell_seed` from ``config.seed`` and its arch, so the results
do not depend on the worker count or order.

The benchmark is a directory:

``meta.json``
    ``{"format": 2, "config": {...}}``, the :class:`LiveBenchmarkConfig` it was made with
    (its training settings nested under ``train``). Format 1, written by nasperf 0.1 with flat
    settings and cells seeded by position, is read but not extended.
``cells.jsonl``
    One JSON object per finished cell, appended (flushed and fsynced) as each finishes:
    ``arch``, ``index`` (position in the permutation), ``seed``, ``status`` (``ok``,
    ``diverged`` or ``failed``), ``reason``, ``curves`` (per-epoch ``train_loss``,
    ``train_acc``, ``val_loss``, ``val_acc``, ``epoch_time``; accuracies in percent),
    ``epochs_completed``, ``final_val_acc``, ``best_val_acc``, ``test_acc``, ``test_loss``,
    ``train_time`` (s), ``params_m``, ``flops`` (millions, one sample), ``scores`` (proxy ->
    value), ``errors`` (proxy -> why it has no value), ``proxy_time`` (s) and ``attempts``.
    Non-finite numbers are written as null.

Rerun with the same settings, :func:`make_benchmark` skips the cells already in the file and
drops a last line cut short by a kill, so an interrupted run loses at most the cells in flight
and the finished file holds every cell once. A larger ``cells`` extends the benchmark (the
draw is a prefix); any other change of settings is refused. :func:`load_live_benchmark`
(``load_benchmark("live:DIR")``) reads the directory as a :class:`TabularBenchmark`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import ConfigurationError, DataNotFoundError, InvalidDataError
from ..records import Record
from ..store import LOCK_FILE, Journal, JsonLinesFile, RowFile, json_float
from ..training import RunStatus
from ..validation import Interval, validate_params
from ._base import TabularBenchmark
from .cells import LiveBenchmarkConfig, build_cell, cell_data, cell_seed, select_cells

if TYPE_CHECKING:  # pragma: no cover
    from ..execution import Executor

__all__ = [
    "LiveBenchmarkConfig",
    "LiveBenchmarkRun",
    "make_benchmark",
    "add_seeds",
    "replicate_seed",
    "SEEDS_FILE",
    "load_live_benchmark",
    "read_live_config",
    "CELLS_FILE",
    "META_FILE",
    "LIVE_CURVES",
    "CellTrainingError",
]

log = logging.getLogger(__name__)

CELLS_FILE = "cells.jsonl"
#: extra seeds of a benchmark's best cells (:func:`add_seeds`): one row per cell and seed
SEEDS_FILE = "seeds.jsonl"
META_FILE = "meta.json"
#: format 2 nests the training settings and seeds each cell by its arch; format 1 (nasperf 0.1:
#: flat settings, cells seeded by their position) is still read, but not extended
_FORMAT = 2
_FORMATS = (1, 2)
#: the per-epoch curves each cell records
LIVE_CURVES = ("train_loss", "train_acc", "val_loss", "val_acc", "epoch_time")
#: settings that may change between the runs that fill one benchmark
_RESUMABLE = ("cells", "data_root")


# -- one cell (runs on a worker) -----------------------------------------------------------------
@dataclass(frozen=True)
class _CellTask:
    config: LiveBenchmarkConfig
    index: int
    arch: str
    threads: int
    device: str = "cpu"

    def __repr__(self) -> str:
        return f"cell {self.index} {self.arch}"


def _proxy_batch(config: LiveBenchmarkConfig, data: Any) -> tuple[Any, Any]:
    n = min(config.proxy_batch, len(data.y_train))
    return data.batch(n, "train", seed=config.seed)



class CellTrainingError(RuntimeError):
    """A cell's training raised (the trainer recorded it as failed); worth another attempt."""


def _run_cell(task: _CellTask) -> dict[str, Any]:
    """Build, measure, score and train one cell; return its row of ``cells.jsonl``."""
    from ..predictors.zero_cost import compute_proxies_or_errors
    from ..training import Trainer, torch_threads

    config = task.config
    with torch_threads(task.threads):
        data = cell_data(config)
        seed = cell_seed(config.seed, task.arch)
        model, params_m, flops = build_cell(config, task.arch, seed, data, task.device)
        tick = time.perf_counter()
        x, y = _proxy_batch(config, data)
        scores, errors = compute_proxies_or_errors(model, x, y, config.proxies, seed=seed)
        proxy_time = time.perf_counter() - tick
        result = Trainer(config.train_config(seed, task.threads)).fit(model, data)
    if result.status == RunStatus.FAILED:  # it raised (e.g. out of memory): the executor retries it
        raise CellTrainingError(f"{task!r}: {result.reason}")
    done = result.to_dict()
    return {
        "arch": task.arch,
        "index": task.index,
        "seed": seed,
        "status": result.status,
        "reason": result.reason,
        "curves": {name: done["curves"][name] for name in LIVE_CURVES},
        "epochs_completed": result.epochs_completed,
        "final_val_acc": done["final_val_acc"],
        "best_val_acc": done["best_val_acc"],
        "test_acc": done["test_acc"],
        "test_loss": done["test_loss"],
        "train_time": done["total_time"],
        "params_m": json_float(params_m),
        "flops": json_float(flops),
        "scores": {name: json_float(v) for name, v in scores.items()},
        "errors": errors,
        "proxy_time": proxy_time,
    }


def _failed_row(task: _CellTask, reason: str) -> dict[str, Any]:
    """The row of a cell whose task never returned (it raised, or its worker died)."""
    return {
        "arch": task.arch,
        "index": task.index,
        "seed": cell_seed(task.config.seed, task.arch),
        "status": RunStatus.FAILED,
        "reason": reason,
        "curves": {name: [] for name in LIVE_CURVES},
        "epochs_completed": 0,
        "final_val_acc": None,
        "best_val_acc": None,
        "test_acc": None,
        "test_loss": None,
        "train_time": None,
        "params_m": None,
        "flops": None,
        "scores": {},
        "errors": {},
        "proxy_time": None,
    }


# -- the directory -------------------------------------------------------------------------------
@dataclass(frozen=True)
class LiveBenchmarkRun:
    """What :func:`make_benchmark` did: counts over the whole file, and this run's share."""

    path: Path
    cells: int
    ok: int
    failed: int
    new: int
    resumed: int
    seconds: float
    diverged: int = 0

    def summary(self) -> str:
        """One line: where, how many cells ok, diverged and failed, how many new, how long."""
        return (
            f"{self.path}: {self.ok} ok, {self.diverged} diverged, {self.failed} failed of "
            f"{self.cells} cells ({self.new} new, {self.resumed} already done) in "
            f"{self.seconds:.1f}s"
        )


def _read_meta(path: Path) -> dict[str, Any]:
    meta = path / META_FILE
    try:
        data = json.loads(meta.read_text())
    except FileNotFoundError as exc:
        raise DataNotFoundError(
            f"{path} is not a live benchmark (no {META_FILE}); make one with "
            "nasperf make-benchmark --out DIR"
        ) from exc
    except (OSError, ValueError) as exc:
        raise InvalidDataError(f"cannot read {meta}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") not in _FORMATS or "config" not in data:
        raise InvalidDataError(
            f"{meta} is not a live benchmark description (format {' or '.join(map(str, _FORMATS))})"
        )
    return data


def _journal(path: Path, config: LiveBenchmarkConfig | None = None) -> Journal:
    """The benchmark directory as a :class:`~nasperf.store.Journal`: ``meta.json`` (format,
    settings, versions; a resume may change the number of cells and the data root),
    ``cells.jsonl``, and ``seeds.jsonl`` beside them, written under its lock (``config`` None:
    only read or appended to)."""
    differ = [f"config.{key}" for key in _RESUMABLE] + ["versions"]
    meta = None if config is None else _meta(config)
    return Journal(
        path,
        meta,
        rows=CELLS_FILE,
        settings_file=META_FILE,
        is_row=_is_cell_row,
        may_differ=differ,
        names=lambda key: key.removeprefix("config."),  # the settings as the user gives them
        what="the benchmark",
        row_what="a cell record",
    )


def _meta(config: LiveBenchmarkConfig) -> dict[str, Any]:
    """What ``meta.json`` holds: the format, the settings and the versions that made it."""
    from ..version import __version__

    try:
        import torch

        torch_version: str | None = torch.__version__
    except ImportError:  # pragma: no cover - make_benchmark needs torch
        torch_version = None
    return {
        "format": _FORMAT,
        "config": config.to_dict(),
        "versions": {"nasperf": __version__, "torch": torch_version},
    }


def _is_cell_row(row: Any) -> bool:
    return isinstance(row, dict) and {"arch", "index", "status"} <= set(row)


def _cells_file(path: Path) -> RowFile:
    """The benchmark's ``cells.jsonl`` in the directory ``path``."""
    return _journal(path).rows


def _check_rows(path: Path, rows: list[dict[str, Any]], sample: list[str]) -> None:
    """Every row is a cell of the draw, at its position, and appears once."""
    seen: set[str] = set()
    for row in rows:
        index, arch = row["index"], row["arch"]
        if not isinstance(index, int) or not 0 <= index < len(sample) or sample[index] != arch:
            raise InvalidDataError(
                f"{path}: cell {arch!r} at index {index!r} is not in the draw of the benchmark's "
                "settings; the file was edited or belongs to another benchmark"
            )
        if arch in seen:
            raise InvalidDataError(f"{path}: cell {arch!r} appears twice")
        seen.add(arch)


def _prepare_dir(path: Path, config: LiveBenchmarkConfig) -> int:
    """Check an existing benchmark against ``config``; return the cells it was made for."""
    if not (path / META_FILE).exists():
        if path.exists() and any(p.name != LOCK_FILE for p in path.iterdir()):
            raise ConfigurationError(
                f"{path} exists and is not a live benchmark (no {META_FILE}); choose another --out"
            )
        return 0
    meta = _read_meta(path)
    if meta["format"] != _FORMAT:
        raise ConfigurationError(
            f"{path} was made by an earlier nasperf (format {meta['format']}, cells seeded by "
            "their position); it still loads as live:DIR, but cannot be extended: choose "
            "another --out"
        )
    _journal(path, config).check()
    return int(meta["config"].get("cells", 0))


def _open_cells(
    path: Path, config: LiveBenchmarkConfig
) -> tuple[RowFile, list[dict[str, Any]], list[str]]:
    """Under the lock: check the directory again, repair ``cells.jsonl``, record the settings
    and drop the cells that failed before; return the file, its rows and the draw."""
    stored = _prepare_dir(path, config)
    sample = select_cells(config.space, max(config.cells, stored), config.seed)
    cells = _cells_file(path)
    rows = cells.read(repair=True)
    _check_rows(cells.path, rows, sample)
    if config.cells > stored:
        _journal(path, config).write_settings()
    failed_before = [row for row in rows if row["status"] == RunStatus.FAILED]
    if failed_before:  # they raised or their worker died: try them again
        rows = [row for row in rows if row["status"] != RunStatus.FAILED]
        cells.rewrite(rows)
        log.info("%s: trying again %d cells that failed before", path, len(failed_before))
    return cells, rows, sample


#: the statuses :class:`LiveBenchmarkRun` counts (any other counts as failed)
_COUNTED = (RunStatus.OK, RunStatus.DIVERGED, RunStatus.FAILED)


@dataclass
class _Tally:
    """The cells finished so far, by status, and the caller's progress callback."""

    total: int
    on_cell: Callable[[int, int], None] | None
    finished: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNTED, 0))

    def count(self, row: dict[str, Any]) -> None:
        status = row["status"]
        self.counts[status if status in self.counts else RunStatus.FAILED] += 1

    def report(self) -> None:
        if self.on_cell is not None:
            self.on_cell(self.finished, self.total)


def _row_of(outcome: Any) -> dict[str, Any]:
    """The ``cells.jsonl`` row of a task's outcome (a failed row if it never returned)."""
    if outcome.ok:
        row = outcome.result
    else:
        reason = f"gave up after {outcome.attempts} attempt(s): {outcome.error}"
        row = _failed_row(outcome.item, reason)
    row["attempts"] = outcome.attempts
    return row


def _run_cells(
    executor: Executor,
    tasks: list[_CellTask],
    cells: JsonLinesFile,
    tally: _Tally,
    retries: int,
) -> None:
    """Run ``tasks`` on ``executor``, appending each cell's row as it finishes."""
    with cells.appending() as out:
        for outcome in executor.map_unordered(_run_cell, tasks, retries=retries):
            row = _row_of(outcome)
            out.append(row)
            tally.finished += 1
            tally.count(row)
            if row["status"] != RunStatus.OK:
                log.warning("%r: %s: %s", outcome.item, row["status"], row["reason"])
            elif row["errors"]:
                log.warning("%r: proxies without a value: %s", outcome.item, row["errors"])
            tally.report()


def _check_arguments(config: Any, executor: Any, threads: int) -> None:
    from ..execution import Executor

    if not isinstance(config, LiveBenchmarkConfig):
        raise ConfigurationError(
            f"config must be a LiveBenchmarkConfig, got {type(config).__name__}"
        )
    if executor is not None and not isinstance(executor, Executor):
        raise ConfigurationError(
            f"executor must be a nasperf Executor, got {type(executor).__name__}; "
            "make one with nasperf.execution.make_executor"
        )
    validate_params({"threads": threads}, {"threads": [Interval(int, 1, None)]}, "make_benchmark")


def make_benchmark(
    out_dir: str | Path,
    config: LiveBenchmarkConfig,
    executor: Executor | None = None,
    on_cell: Callable[[int, int], None] | None = None,
    *,
    threads: int = 1,
    retries: int = 1,
    device: str = "cpu",
) -> LiveBenchmarkRun:
    """Train ``config.cells`` cells into the benchmark directory ``out_dir``, resuming it.

    ``executor`` (a :class:`~nasperf.execution.Executor`; default: one in-process
    worker) runs the cells, each on ``threads`` torch threads and on ``device`` (``"cpu"``,
    ``"cuda"``, or ``"auto"``: a GPU when there is one); a cell whose task raises or
    whose worker dies is retried ``retries`` times, then recorded as ``failed``.
    ``on_cell(done, total)`` is called as cells finish (``done`` counts the cells already in
    the file). Results are reproducible for a given ``threads`` and never depend on the
    executor, the worker count or the order the cells finish in.
    Returns the counts of the run; the directory format is described in this module's doc.
    """
    from ..execution import LocalExecutor

    _check_arguments(config, executor, threads)
    from ..training import resolve_device

    device = resolve_device(device)
    start = time.perf_counter()
    path = Path(out_dir)
    # fail on bad data settings before anything is written
    data = cell_data(config)
    if len(data.y_train) < 2:
        raise ConfigurationError(f"{config.dataset}: the training split has fewer than 2 examples")
    _prepare_dir(path, config)
    path.mkdir(parents=True, exist_ok=True)
    own = executor is None
    runner = LocalExecutor(1) if executor is None else executor
    try:
        with _journal(path).locked():
            cells, rows, sample = _open_cells(path, config)
            done = {row["arch"] for row in rows}
            tally = _Tally(config.cells, on_cell)
            tasks = [
                _CellTask(config, index, arch, threads, device)
                for index, arch in enumerate(sample[: config.cells])
                if arch not in done
            ]
            tally.finished = config.cells - len(tasks)
            for row in rows:
                tally.count(row)
            log.info("%s: %d of %d cells already done", path, tally.finished, config.cells)
            tally.report()
            _run_cells(runner, tasks, cells, tally, retries)
    finally:
        if own:
            runner.close()
    counts = tally.counts
    return LiveBenchmarkRun(
        path=path,
        cells=sum(counts.values()),
        ok=counts[RunStatus.OK],
        failed=counts[RunStatus.FAILED],
        diverged=counts[RunStatus.DIVERGED],
        new=len(tasks),
        resumed=config.cells - len(tasks),
        seconds=time.perf_counter() - start,
    )


# -- extra seeds of the best cells --------------------------------------------------------------
def replicate_seed(seed: int, arch: str, replicate: int) -> int:
    """The weight and training seed of the ``replicate``-th extra run of ``arch`` (1, 2, ...);
    the data split stays the benchmark's."""
    return cell_seed(seed, f"{arch}#seed{int(replicate)}")


@dataclass(frozen=True)
class _SeedTask:
    config: LiveBenchmarkConfig
    index: int
    arch: str
    replicate: int
    threads: int
    device: str = "cpu"

    def __repr__(self) -> str:
        return f"cell {self.index} {self.arch}, seed {self.replicate + 1}"


def _run_replicate(task: _SeedTask) -> dict[str, Any]:
    """Train one extra seed of a cell; its row of ``seeds.jsonl``."""
    from ..training import Trainer, torch_threads

    config = task.config
    seed = replicate_seed(config.seed, task.arch, task.replicate)
    with torch_threads(task.threads):
        data = cell_data(config)
        model, _, _ = build_cell(config, task.arch, seed, data, task.device)
        result = Trainer(config.train_config(seed, task.threads)).fit(model, data)
    if result.status == RunStatus.FAILED:
        raise CellTrainingError(f"{task!r}: {result.reason}")
    done = result.to_dict()
    return {
        "arch": task.arch,
        "index": task.index,
        "replicate": task.replicate,
        "seed": seed,
        "status": result.status,
        "reason": result.reason,
        "val_acc": done["curves"]["val_acc"],
        "final_val_acc": done["final_val_acc"],
        "test_acc": done["test_acc"],
        "train_time": done["total_time"],
    }


def _is_seed_row(row: Any) -> bool:
    return isinstance(row, dict) and {"arch", "replicate", "status"} <= set(row)


def _seeds_file(path: Path) -> JsonLinesFile:
    return _journal(path).row_file(SEEDS_FILE, _is_seed_row, "an extra-seed record")


def add_seeds(
    out_dir: str | Path,
    top: int = 30,
    seeds: int = 2,
    executor: Executor | None = None,
    on_run: Callable[[int, int], None] | None = None,
    *,
    threads: int = 1,
    device: str = "cpu",
) -> int:
    """Train the ``top`` cells of the benchmark in ``out_dir`` (by final validation accuracy)
    with ``seeds`` more seeds each, appending to its ``seeds.jsonl``; resumable. The loaded
    benchmark then carries ``val_acc_mean``, the mean final accuracy over every seed a cell
    has (1 + ``seeds`` for the top cells, 1 for the others): a target for top-k measures
    that is not measuring seed noise. Returns the number of runs trained now."""
    from ..execution import LocalExecutor

    validate_params({"top": top, "seeds": seeds, "threads": threads},
                    {"top": [Interval(int, 1, None)], "seeds": [Interval(int, 1, None)],
                     "threads": [Interval(int, 1, None)]}, "add_seeds")  # fmt: skip
    from ..training import resolve_device

    device = resolve_device(device)
    path = Path(out_dir)
    config = read_live_config(path)
    bench = load_live_benchmark(path)
    best = sorted(bench.records(), key=lambda r: -float(r.target))[:top]
    own = executor is None
    runner = LocalExecutor(1) if executor is None else executor
    try:
        with _journal(path).locked():
            file = _seeds_file(path)
            rows = file.read(repair=True) if file.path.exists() else []
            have = {(r["arch"], r["replicate"]) for r in rows}
            tasks = [
                _SeedTask(config, int(r.info["index"]), r.arch, k, threads, device)
                for r in best
                for k in range(1, seeds + 1)
                if (r.arch, k) not in have
            ]
            log.info("%s: %d extra runs to train (%d done)", path, len(tasks), len(have))
            with file.appending() as out:
                for n, outcome in enumerate(
                    runner.map_unordered(_run_replicate, tasks, retries=1), 1
                ):
                    if outcome.ok:
                        out.append(outcome.result)
                    else:
                        log.warning("%r failed: %s", outcome.item, outcome.error)
                    if on_run is not None:
                        on_run(n, len(tasks))
    finally:
        if own:
            runner.close()
    return len(tasks)


def _seed_means(path: Path, records: list[Record]) -> None:
    """Give each record ``val_acc_mean`` and ``info['seeds']`` from ``seeds.jsonl``."""
    file = _seeds_file(path)
    if not file.path.exists():
        return
    extra: dict[str, list[float]] = {}
    for row in file.read(repair=False):
        if row["status"] == RunStatus.OK and row.get("final_val_acc") is not None:
            extra.setdefault(row["arch"], []).append(float(row["final_val_acc"]))
    for rec in records:
        values = [float(rec.target), *extra.get(rec.arch, [])]
        rec.scores["val_acc_mean"] = float(np.mean(values))
        rec.info["seeds"] = len(values)


# -- loading -------------------------------------------------------------------------------------
def _record(row: dict[str, Any], epochs: int, path: Path) -> Record:
    curves = {
        name: np.array([np.nan if v is None else v for v in row["curves"][name]], dtype=np.float64)
        for name in LIVE_CURVES
    }
    for name in ("train_acc", "val_acc"):
        values = curves[name]
        if len(values) != epochs or not np.all(np.isfinite(values)):
            raise InvalidDataError(
                f"{path}: cell {row['index']} is ok but its {name} curve has {len(values)} "
                f"epochs or non-finite values (expected {epochs} finite values)"
            )
    scores: dict[str, float] = {}
    for name in ("params_m", "flops"):
        if row.get(name) is not None:
            scores[name] = float(row[name])
    scores.update({k: float(v) for k, v in row.get("scores", {}).items() if v is not None})
    for name in ("test_acc", "best_val_acc"):
        if row.get(name) is not None:
            scores[name] = float(row[name])
    return Record(
        arch=row["arch"],
        space="nb201",
        target=float(row["final_val_acc"]),
        curves=curves,
        scores=scores,
        cost=None if row.get("train_time") is None else float(row["train_time"]),
        info={
            "index": int(row["index"]),
            "seed": row.get("seed"),
            "test_loss": row.get("test_loss"),
            "proxy_errors": dict(row.get("errors") or {}),
        },
    )


def read_live_config(path: str | Path) -> LiveBenchmarkConfig:
    """The settings a live benchmark in ``path`` was made with (its ``meta.json``)."""
    return LiveBenchmarkConfig.from_dict(_read_meta(Path(path))["config"])


def load_live_benchmark(path: str | Path) -> TabularBenchmark:
    """The cells of the live benchmark in ``path`` that trained to the end, as a benchmark.

    Named ``live:DIRNAME``; target ``final_val_acc`` (the last epoch's validation accuracy,
    percent); curves ``train_loss``, ``train_acc``, ``val_loss``, ``val_acc`` and
    ``epoch_time`` over ``max_fidelity = epochs``; scores ``params_m``, ``flops``, the proxies,
    ``test_acc`` and ``best_val_acc``; cost the training time in seconds. Records come in the
    order of the draw. Diverged and failed cells are left out (their number is logged); a
    benchmark that a run is still writing loads with the cells finished so far.
    """
    path = Path(path)
    config = read_live_config(path)
    epochs = config.epochs
    cells = _cells_file(path)
    rows = cells.read(repair=False)
    sample = select_cells(config.space, config.cells, config.seed)
    _check_rows(cells.path, rows, sample)
    records = []
    dropped: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: r["index"]):
        if row["status"] != RunStatus.OK:
            dropped[row["status"]] = dropped.get(row["status"], 0) + 1
            continue
        records.append(_record(row, epochs, cells.path))
    if dropped:
        log.warning(
            "%s: left out %s",
            path,
            ", ".join(f"{n} {status} cell{'s' * (n > 1)}" for status, n in sorted(dropped.items())),
        )
    if not records:
        raise InvalidDataError(
            f"{path} holds no cell that trained to the end yet ({len(rows)} recorded); "
            "run nasperf make-benchmark to fill it"
        )
    _seed_means(path, records)
    name = path.resolve().name
    return TabularBenchmark(f"live:{name}", "nb201", "final_val_acc", records, max_fidelity=epochs)
