"""The protocol's trials as tasks: one per (trial, predictor), run in this process or on an
executor, their rows appended to a journal as each finishes and read back on a rerun.

A task carries the predictor, its trial's test set and largest training set (the smaller ones
are its prefixes), so it runs anywhere: the seeds come from ``(seed, trial)`` alone, and a
task runs on one thread (torch and BLAS), so a parallel run gives the rows of a serial one.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import InvalidDataError, NasperfError
from ..store import Journal, json_ready
from ._config import ProtocolConfig
from .metrics import ORDER_METRICS, compute_metrics, interval_metrics

if TYPE_CHECKING:  # pragma: no cover
    from ..predictors import Predictor
    from ..records import Record

__all__ = [
    "TrialTask",
    "IncompleteEvaluationError",
    "TrialJournal",
    "journal_settings",
    "one_thread",
    "run_trial",
    "run_trials",
    "sort_rows",
    "SETTINGS_FILE",
    "ROWS_FILE",
    "option_of",
]

logger = logging.getLogger(__name__)

#: the settings of an evaluation written with a journal (checked before it is resumed)
SETTINGS_FILE = "settings.json"
#: the journal: one line per finished (trial, predictor) with its rows
ROWS_FILE = "trials.jsonl"
_FORMAT = 1


class IncompleteEvaluationError(NasperfError, RuntimeError):
    """Some trials failed every attempt (they raised, or their worker died); the others ran."""


@dataclass(frozen=True)
class TrialTask:
    """One predictor in one trial: fitted on each train size (prefixes of ``train``), scored
    on ``test``; ``row_fields`` are added to every row (its pool size, its fidelity)."""

    trial: int
    name: str
    template: Predictor
    train: list[Record]
    test: list[Record]
    sizes: tuple[int, ...]
    config: ProtocolConfig
    row_fields: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"trial {self.trial} {self.name}"


@contextmanager
def one_thread(torch: bool = False) -> Iterator[None]:
    """One BLAS/OpenMP thread inside the block, and one torch thread when torch is imported
    already or ``torch`` says it will be (the PyTorch predictors set their own, see their
    ``num_threads``; importing torch only to limit it would cost a second and a half)."""
    with ExitStack() as stack:
        wanted = torch and importlib.util.find_spec("torch") is not None
        if "torch" in sys.modules or wanted:
            from ..training import torch_threads

            stack.enter_context(torch_threads(1))
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - scikit-learn brings it
            pass
        else:
            stack.enter_context(threadpool_limits(1))
        yield


#: the predictor classes this process has fitted once already (see :func:`_warm_up`)
_WARM: set[type] = set()


def _warm_up(task: TrialTask) -> None:
    """Fit ``task``'s predictor once on its smallest training set, untimed, the first time
    this process meets its class: imports and first-call set-up (a library loaded inside
    ``fit``, torch's first operation) then count in no trial's fit time. Errors are left to
    the timed fit."""
    from sklearn.base import clone

    if type(task.template) in _WARM:
        return
    _WARM.add(type(task.template))
    train = task.train[: min(task.sizes)]
    try:
        clone(task.template).fit(train)
    except Exception as exc:  # the timed fit raises it again, or not: nothing to report here
        logger.debug("warm-up of %s: %s", task.name, exc)


def run_trial(task: TrialTask) -> list[dict[str, Any]]:
    """The rows of ``task``, one per train size (a picklable top-level function)."""
    from ..records import targets_of

    y_test = targets_of(task.test)
    rows = []
    with one_thread(torch=task.template.capabilities().requires.live_model):
        _warm_up(task)
        for n in task.sizes:
            row = fit_and_score(
                task.name, task.template, task.train[:n], task.test, y_test, task.config, task.trial
            )
            row.update(predictor=task.name, train_size=n, trial=task.trial)
            row.update(task.row_fields)
            rows.append(json_ready(row))
    return rows


def _is_entry(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("trial"), int)
        and isinstance(entry.get("predictor"), str)
        and isinstance(entry.get("rows"), list)
        and all(isinstance(r, dict) for r in entry["rows"])
    )


class TrialJournal(Journal):
    """The rows of an evaluation as they finish, in ``directory``: ``settings.json`` (what the
    rows were made with) and ``trials.jsonl`` (one line per finished trial of a predictor), a
    :class:`~nasperf.store.Journal` whose settings may differ in the number of trials only
    (trials are independent, so a run can be extended)."""

    def __init__(self, directory: str | Path, settings: Mapping[str, Any]) -> None:
        super().__init__(
            directory,
            settings,
            rows=ROWS_FILE,
            settings_file=SETTINGS_FILE,
            is_row=_is_entry,
            may_differ=("config.trials",),
            names=option_of,
            what="evaluation rows",
            row_what="a finished trial (trial, predictor, rows)",
        )
        self._appender: Any = None

    def check(self) -> None:
        saved = self.saved_settings()
        if saved is not None and saved.get("format") != _FORMAT:
            what = "is not the settings of a nasperf evaluation"
            raise InvalidDataError(f"{self.settings_path} {what}")
        super().check()

    def done(self, trials: int) -> dict[tuple[int, str], list[dict[str, Any]]]:
        """The rows already made, by (trial, predictor), of the first ``trials`` trials."""
        out: dict[tuple[int, str], list[dict[str, Any]]] = {}
        for entry in self.rows.read(repair=True):  # a line cut short by a kill is dropped
            if entry["trial"] < trials and entry["predictor"] in self.settings["predictors"]:
                out[(entry["trial"], entry["predictor"])] = entry["rows"]
        return out

    @contextmanager
    def open(self) -> Iterator[TrialJournal]:  # type: ignore[override]
        """Lock the directory, check the settings and hold the journal open for appending."""
        with super().open() as appender:
            self._appender = appender
            try:
                yield self
            finally:
                self._appender = None

    def append(self, task: TrialTask, rows: list[dict[str, Any]]) -> None:
        """Make ``task``'s rows durable (one line: all its train sizes or none of them)."""
        self._appender.append({"trial": task.trial, "predictor": task.name, "rows": rows})


def option_of(key: str) -> str:
    """The command-line option behind a flattened settings key (``config.test_size`` is
    ``--test-size``; a predictor's settings and pool are ``--predictors (NAME)``)."""
    head, _, rest = key.partition(".")
    if head == "format":
        return "the journal's format (another nasperf version)"
    if head in ("predictors", "pool_sizes"):
        return f"--predictors ({rest.split('.')[0]})"  # which predictor's settings or pool
    if head == "config":
        return "--" + rest.split(".")[0].replace("_", "-")
    return "--" + head.replace("_", "-")


def journal_settings(
    benchmark: str,
    config: ProtocolConfig,
    predictors: Mapping[str, Predictor],
    pool_sizes: Mapping[str, int],
) -> dict[str, Any]:
    """What the rows of an evaluation depend on: a rerun resumes only with the same."""
    return {
        "format": _FORMAT,
        "benchmark": benchmark,
        "config": asdict(config),
        "predictors": {name: p.get_params(deep=False) for name, p in predictors.items()},
        "pool_sizes": dict(pool_sizes),
    }


def _failure(failed: list[str], total: int, journal: TrialJournal | None) -> NasperfError:
    kept = (
        f"; the rows of the others are kept in {journal.directory}: rerun the same command "
        "to retry the failed ones"
        if journal is not None
        else ""
    )
    return IncompleteEvaluationError(
        f"{len(failed)} of {total} trial tasks failed (first: {failed[0]}){kept}"
    )


def run_trials(
    make_tasks: Callable[[set[tuple[int, str]]], Iterable[TrialTask]],
    *,
    trials: int,
    total: int,
    executor: Any = None,
    journal: TrialJournal | None = None,
    callback: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the tasks ``make_tasks(done)`` gives (``done``: the (trial, predictor) pairs the
    journal already has) and return every row, the journal's included, unsorted.

    ``executor`` None runs them here, one after another (an exception propagates); on an
    :class:`~nasperf.execution.Executor` a failed task is retried once and then reported, the
    others going on, and :class:`IncompleteEvaluationError` is raised at the end.
    ``callback(description)`` is called per new row, ``on_progress(rows done, total rows)``
    once before any work and after each task; ``total`` is the number of rows of the
    ``trials`` trials.
    """
    done = journal.done(trials) if journal is not None else {}
    rows = [row for part in done.values() for row in part]
    if on_progress is not None:
        on_progress(len(rows), total)
    if done:
        logger.info("resuming: %d of %d rows already made", len(rows), total)
    tasks = make_tasks(set(done))
    if executor is None:
        outcomes: Iterable[tuple[TrialTask, list[dict] | None, str | None]] = (
            (task, run_trial(task), None) for task in tasks
        )
    else:
        outcomes = (
            (o.item, o.result, o.error)
            for o in executor.map_unordered(run_trial, tasks, retries=1)
        )
    failed: list[str] = []
    count = 0
    for task, result, error in outcomes:
        count += 1
        if result is None:
            failed.append(f"{task!r}: {error}")
            continue
        if journal is not None:
            journal.append(task, result)
        rows.extend(result)
        if callback is not None:
            for row in result:
                callback(f"trial {task.trial + 1}/{trials} n={row['train_size']} {task.name}")
        if on_progress is not None:
            on_progress(len(rows), total)
    if failed:
        raise _failure(failed, count, journal)
    return rows


def sort_rows(rows: list[dict[str, Any]], sizes: Sequence[int], names: Sequence[str]) -> None:
    """Order ``rows`` as a serial run makes them: by trial, train size, then predictor."""
    size_at = {n: i for i, n in enumerate(sizes)}
    name_at = {n: i for i, n in enumerate(names)}
    rows.sort(key=lambda r: (r["trial"], size_at[r["train_size"]], name_at[r["predictor"]]))


def _constant(y_pred: Any) -> bool:
    """Whether the predictions give every candidate the same value."""
    values = np.asarray(y_pred, dtype=np.float64)
    return bool(values.size > 1 and np.all(values == values[0]))


def fit_and_score(
    name: str,
    template: Predictor,
    train: list[Record],
    test: list[Record],
    y_test: np.ndarray,
    config: ProtocolConfig,
    trial: int,
) -> dict:
    """Fit a clone of ``template`` on ``train`` (its seed from the protocol's seed and the
    trial), query it on ``test`` and score it against ``y_test``: the metrics, the fit time and
    the query time per candidate, and the interval metrics of a predictive distribution.
    Predictions that are all equal (``constant``) leave the :data:`ORDER_METRICS` undefined
    (None)."""
    from sklearn.base import clone

    pred = clone(template)
    if "random_state" in pred.get_params():
        pred.set_params(
            random_state=int(np.random.default_rng([config.seed, trial, 1]).integers(2**31))
        )
    t0 = time.perf_counter()
    pred.fit(train)
    t1 = time.perf_counter()
    y_pred = pred.predict(test)
    t2 = time.perf_counter()
    row: dict = compute_metrics(y_test, y_pred, config.metrics)
    row["constant"] = _constant(y_pred)
    if row["constant"]:  # one value for every candidate: no order to compare (not a τ of 0)
        row.update({name: None for name in ORDER_METRICS if name in row})
    row["fit_time"] = t1 - t0
    row["query_time"] = (t2 - t1) / len(test)
    if hasattr(pred, "predict_dist"):  # its interval's coverage beside its width
        mean, std = pred.predict_dist(test)
        row.update(interval_metrics(y_test, mean, std))
    return row
