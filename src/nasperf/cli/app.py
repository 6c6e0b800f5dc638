"""The ``nasperf`` application: its commands, global options and entry point."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.logging import RichHandler
from rich.markup import escape

from ..exceptions import ConfigurationError, NasperfError
from ..version import __version__
from .console import (
    err,
    interrupted_message,
    mark_resumable,
    out,
    sigterm_as_interrupt,
    terminated,
    warnings_to_log,
)
from .usage import LazyCommand, OneLineGroup

__all__ = [
    "app",
    "COMMANDS",
    "NasperfGroup",
    "main",
    "LOGGER",
    "INTERRUPTED",
    "TERMINATED",
    "log_level",
    "root",
    "one_blas_thread",
]

#: the logger whose level -v and -q set
LOGGER = "nasperf"
#: the exit code after Ctrl-C (128 + SIGINT, as shells report it)
INTERRUPTED = 130
#: the exit code after SIGTERM (128 + SIGTERM), which ends a command as Ctrl-C does
TERMINATED = 143

#: the commands, in the order of the help: each module is imported when its command runs (or
#: shows its own help), so listing commands and ``--help`` import no scientific stack. The
#: summaries are the first lines of the commands' docstrings (a test keeps them equal).
COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand(
        "evaluate", "evaluate:evaluate", "Evaluate predictors with the White et al. 2021 protocol."
    ),
    LazyCommand(
        "proxies",
        "proxies:proxies",
        "Compute zero-cost proxies on real networks and data; resumable, one row per cell.",
    ),
    LazyCommand(
        "make-benchmark",
        "make_benchmark:make_benchmark",
        "Train sampled cells on a dataset into a benchmark (live:DIR); resumable.",
    ),
    LazyCommand(
        "search",
        "search:search_app",
        "Search on a table (simulated time, -b NAME) or live (--live): one subcommand per "
        "strategy.",
    ),
    LazyCommand(
        "estimate",
        "estimate:estimate",
        "Estimate sampled cells' trained accuracy from a short run (feature histories).",
    ),
    LazyCommand(
        "benchmarks",
        "benchmarks:benchmarks",
        "List the benchmarks, whether their data is found, and their sizes.",
    ),
    LazyCommand(
        "predictors",
        "predictors:predictors",
        "List the predictors: family, what each needs, its paper, and White et al.'s 31 marked.",
    ),
    LazyCommand(
        "map",
        "map:budget_map",
        "Map the best predictor at each initialisation and query budget (White et al.'s Fig. 1).",
    ),
    LazyCommand(
        "stop-check",
        "stop_check:stop_check",
        "Say STOP or CONTINUE for each running job, with P(final >= best so far).",
    ),
    LazyCommand(
        "train-pfn",
        "train_pfn:train_pfn",
        "Train the curve PFN; run it again with the same options to resume after a stop.",
    ),
)


class NasperfGroup(OneLineGroup):
    """The application's group, with :data:`COMMANDS` imported on first use."""

    lazy_commands = COMMANDS
    lazy_package = __package__


app = typer.Typer(
    cls=NasperfGroup,  # usage errors as one line, exit code 2; commands imported on use
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Estimate how well neural network candidates will perform, long before training ends.",
)


def _print_version(value: bool) -> None:
    if value:
        out.print(f"nasperf {__version__}", highlight=False, markup=False)
        raise typer.Exit()


def log_level(verbose: int, quiet: bool) -> int:
    """The level of the ``nasperf`` logger: WARNING, INFO for -v, DEBUG for -vv, ERROR for -q."""
    if quiet and verbose:
        raise ConfigurationError("give -v (more messages) or -q (fewer), not both")
    if quiet:
        return logging.ERROR
    return (logging.WARNING, logging.INFO)[verbose] if verbose < 2 else logging.DEBUG


@app.callback()
def root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More log messages: -v info, -vv debug."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Log errors only."),
) -> None:
    """Estimate how well neural network candidates will perform, long before training ends."""
    level = log_level(verbose, quiet)
    logging.getLogger(LOGGER).setLevel(level)
    logging.getLogger(__name__).debug(
        "nasperf %s, log level %s", __version__, logging.getLevelName(level)
    )


def _interrupted() -> int:
    """After Ctrl-C or SIGTERM (the workers are ended already, what finished is kept): one
    line, and exit code 130 or 143."""
    err.print(interrupted_message(), highlight=False, markup=False, soft_wrap=True)
    return TERMINATED if terminated() else INTERRUPTED


#: the thread variables of the BLAS and OpenMP runtimes (read when a process starts them)
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run with one BLAS/OpenMP thread in this process and in the workers it starts (unless the
    user's environment says otherwise): nasperf's models are small, its parallelism is its
    workers, and a multi-threaded BLAS beside another job slows a run down many times."""
    from threadpoolctl import threadpool_limits

    before = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    user = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "1"
    try:
        with threadpool_limits(limits=int(user) if user.isdigit() else 1, user_api="blas"):
            yield
    finally:  # an in-process caller's environment is left as it was
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def main(argv: list[str] | None = None) -> int:
    """Entry point: NasperfError becomes one line on stderr and exit code 2 (usage errors too);
    Ctrl-C one line (``interrupted``, what was kept and how a rerun resumes) and exit code
    130; SIGTERM (a batch scheduler's) the same line, ``terminated``, and exit code 143.

    The ``nasperf`` logger's level is set for the run (-v, -q) and restored after it.
    """
    logging.basicConfig(
        level=logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_time=False, show_path=False)],
    )
    logger = logging.getLogger(LOGGER)
    level = logger.level
    try:
        with warnings_to_log(), one_blas_thread(), sigterm_as_interrupt():  # -vv: warnings
            app(args=argv, prog_name="nasperf")  # usage errors: typer prints them, exits 2
    except NasperfError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2
    except SystemExit as exc:
        if exc.code == INTERRUPTED:  # typer turns Ctrl-C's KeyboardInterrupt into exit 130
            return _interrupted()
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:  # Ctrl-C outside a command
        return _interrupted()
    finally:
        logger.setLevel(level)
        mark_resumable(False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
