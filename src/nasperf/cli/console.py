"""The consoles, the progress bar and the table helper every command prints with."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = [
    "out",
    "err",
    "progress",
    "LogProgress",
    "PROGRESS_LOGGER",
    "new_table",
    "warnings_to_log",
    "WARNINGS_LOGGER",
    "mark_resumable",
    "interrupted_message",
    "terminated",
    "sigterm_as_interrupt",
]

#: the logger of the progress lines written when stderr is not a terminal
PROGRESS_LOGGER = "nasperf.progress"

#: the logger Python warnings go to during a command, at DEBUG (``-vv`` shows them)
WARNINGS_LOGGER = "nasperf.warnings"

#: results; piped output keeps whole tables instead of squeezing them into 80 columns
out = Console(width=None if sys.stdout.isatty() else 200)
#: errors, log messages and progress bars
err = Console(stderr=True)


def progress() -> Progress | LogProgress:
    """A transient progress bar on stderr when it is a terminal; else (a log file, a batch
    job) a :class:`LogProgress` writing a log line at least every 10% or 30 s, with an ETA
    (none with ``-q``)."""
    if not err.is_terminal:
        return LogProgress()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _clock(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class _Tracked:
    """One task of a :class:`LogProgress`: its counts, when it started and last logged."""

    def __init__(self, description: str, total: float | None, completed: float, now: float):
        self.description = description
        self.total = total
        self.completed = completed
        self.start = now
        self.base: tuple[float, float] | None = None  # (completed, time) the ETA counts from
        self.logged_at = now
        self.logged_step = 0

    def line(self, now: float) -> str:
        """``description: done/total (pct) in elapsed, ETA left`` (the time alone when the total
        is unknown)."""
        elapsed = _clock(now - self.start)
        if not self.total:
            return f"{self.description}: {elapsed} so far"
        done = f"{self.completed:g}/{self.total:g} ({100 * self.completed / self.total:.0f}%)"
        if self.completed >= self.total:
            return f"{self.description}: {done} in {elapsed}"
        base_done, base_time = self.base or (0.0, self.start)
        rate = (self.completed - base_done) / max(now - base_time, 1e-9)
        eta = _clock((self.total - self.completed) / rate) if rate > 0 else "unknown"
        return f"{self.description}: {done} in {elapsed}, ETA {eta}"


class LogProgress:
    """The part of rich's ``Progress`` the commands use (``add_task``, ``update``,
    ``advance``), written as INFO lines of the :data:`PROGRESS_LOGGER` logger: one whenever
    another ``step`` of the total is done, and at least every ``seconds`` (a background
    thread), each with the time elapsed and an ETA. Used when stderr is not a terminal.

    The ETA counts from a task's first update: a resumed job first reports what it had
    already done, which is not work done at this run's pace.
    """

    def __init__(self, step: float = 0.1, seconds: float = 30.0) -> None:
        self.step = step
        self.seconds = seconds
        self._tasks: dict[int, _Tracked] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._log = logging.getLogger(PROGRESS_LOGGER)
        self._level: int | None = None

    def __enter__(self) -> LogProgress:
        # shown unless -q raised the nasperf logger above WARNING
        if logging.getLogger("nasperf").getEffectiveLevel() <= logging.WARNING:
            self._level = self._log.level
            self._log.setLevel(logging.INFO)
        self._thread = threading.Thread(target=self._tick, name="nasperf-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._level is not None:
            self._log.setLevel(self._level)

    def add_task(self, description: str, total: float | None = None, **kwargs: Any) -> int:
        """Start tracking a task; returns its id."""
        with self._lock:
            task_id = len(self._tasks)
            completed = float(kwargs.get("completed", 0))
            self._tasks[task_id] = _Tracked(description, total, completed, time.monotonic())
        return task_id

    def advance(self, task_id: int, advance: float = 1) -> None:
        """Count ``advance`` more done."""
        self.update(task_id, advance=advance)

    def update(
        self,
        task_id: int,
        *,
        total: float | None = None,
        completed: float | None = None,
        advance: float | None = None,
        description: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Set the counts of ``task_id`` (as rich's ``Progress.update``), logging a line when
        another step of the total is done."""
        now = time.monotonic()
        with self._lock:
            task = self._tasks[task_id]
            if task.base is None:  # the ETA counts from a first "completed", else from 0
                task.base = (completed, now) if completed is not None else (0.0, task.start)
            if total is not None:
                task.total = total
            if completed is not None:
                task.completed = completed
            if advance is not None:
                task.completed += advance
            if description is not None:
                task.description = description
            if task.total:
                reached = int(task.completed / task.total / self.step + 1e-9)
                if reached > task.logged_step:
                    task.logged_step = reached
                    self._emit(task, now)

    def _emit(self, task: _Tracked, now: float) -> None:
        task.logged_at = now
        self._log.info("%s", task.line(now))

    def _tick(self) -> None:
        """Log each unfinished task that has said nothing for ``seconds``."""
        while not self._stop.wait(min(1.0, self.seconds)):
            now = time.monotonic()
            with self._lock:
                for task in self._tasks.values():
                    finished = task.total and task.completed >= task.total
                    if not finished and now - task.logged_at >= self.seconds:
                        self._emit(task, now)


def new_table(title: str, columns: Iterable[str], *, left: bool = True) -> Table:
    """A table titled ``title`` (left-justified unless ``left`` is False) with ``columns``."""
    table = Table(title=title, title_justify="left") if left else Table(title=title)
    for column in columns:
        table.add_column(column)
    return table


@contextmanager
def warnings_to_log() -> Iterator[None]:
    """Inside the block, Python warnings (matplotlib's, scikit-learn's, scipy's) are logged
    at DEBUG on :data:`WARNINGS_LOGGER` instead of printed, and worker processes started
    meanwhile ignore theirs (``PYTHONWARNINGS``); both are restored afterwards."""
    log = logging.getLogger(WARNINGS_LOGGER)

    def show(
        message: Warning | str, category: type[Warning], filename: str, lineno: int, *_: object
    ) -> None:  # warnings.showwarning's signature; the file and the line are not needed
        log.debug("%s:%s: %s: %s", filename, lineno, category.__name__, message)

    before = os.environ.get("PYTHONWARNINGS")
    with warnings.catch_warnings():  # restores showwarning and the filters on exit
        warnings.showwarning = show
        os.environ["PYTHONWARNINGS"] = "ignore"
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("PYTHONWARNINGS", None)
            else:
                os.environ["PYTHONWARNINGS"] = before


# -- Ctrl-C and SIGTERM ----------------------------------------------------------------------------
_resumable = threading.Event()  # set by a command that a rerun continues
_kept: list[str] = []  # what such a command keeps, and where (empty: not said)
_terminated = threading.Event()  # set when SIGTERM ended the command


def mark_resumable(
    resumable: bool = True, *, kept: str | Path | None = None, what: str = ""
) -> None:
    """Say whether rerunning the running command continues its work (it writes as it goes):
    ``what`` it keeps (``"finished trials"``) in the directory ``kept``; the line printed on
    Ctrl-C or SIGTERM says so, and how to resume."""
    _kept.clear()
    if resumable:
        _resumable.set()
        if kept is not None:
            _kept.append(f"{what or 'what finished'} kept in {kept}")
    else:
        _resumable.clear()


def terminated() -> bool:
    """Whether SIGTERM (not Ctrl-C) ended the last command run in :func:`sigterm_as_interrupt`."""
    return _terminated.is_set()


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Inside the block SIGTERM (a batch scheduler's, ``kill``) ends a command as Ctrl-C does:
    a KeyboardInterrupt in the main thread, so the workers are ended and what finished is kept;
    :func:`terminated` tells the two apart afterwards. A second SIGTERM meanwhile is ignored, so
    the clean-up is not cut short. Outside the main thread (no handler can be set) nothing."""
    _terminated.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        _terminated.set()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def interrupted_message() -> str:
    """The one line printed when Ctrl-C or SIGTERM ends a command: what ended it, what was
    kept and how to resume."""
    word = "terminated (SIGTERM)" if _terminated.is_set() else "interrupted"
    if not _resumable.is_set():
        return word
    if _kept:
        return f"{word}; {_kept[0]}: run the same command again to resume from them"
    return f"{word}; rerun the same command to resume"
