"""The ``nasperf`` application: its commands, global options and entry point."""

from __future__ import annotations

import logging
import sys

import typer
from rich.logging import RichHandler
from rich.markup import escape

from .. import __version__
from ..exceptions import ConfigurationError, NasperfError
from .benchmarks import benchmarks
from .console import err, out
from .estimate import estimate
from .evaluate import evaluate
from .make_benchmark import make_benchmark
from .predictors import predictors
from .proxies import proxies
from .search import search

__all__ = [
    "app",
    "main",
    "LOGGER",
    "log_level",
    "root",
]

#: the logger whose level -v and -q set
LOGGER = "nasperf"

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Estimate how well neural network candidates will perform, long before training ends.",
)
app.command("evaluate")(evaluate)
app.command("proxies")(proxies)
app.command("make-benchmark")(make_benchmark)
app.command("search")(search)
app.command("estimate")(estimate)
app.command("benchmarks")(benchmarks)
app.command("predictors")(predictors)


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


def main(argv: list[str] | None = None) -> int:
    """Entry point: NasperfError becomes one line on stderr and exit code 2 (usage errors too).

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
        app(args=argv, prog_name="nasperf")  # usage errors: typer prints them, exits with 2
    except NasperfError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        logger.setLevel(level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
