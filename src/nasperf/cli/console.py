"""The consoles, the progress bar and the table helper every command prints with."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["out", "err", "progress", "new_table"]

#: results; piped output keeps whole tables instead of squeezing them into 80 columns
out = Console(width=None if sys.stdout.isatty() else 200)
#: errors, log messages and progress bars
err = Console(stderr=True)


def progress() -> Progress:
    """A transient progress bar on stderr, shown only when stderr is a terminal."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def new_table(title: str, columns: Iterable[str], *, left: bool = True) -> Table:
    """A table titled ``title`` (left-justified unless ``left`` is False) with ``columns``."""
    table = Table(title=title, title_justify="left") if left else Table(title=title)
    for column in columns:
        table.add_column(column)
    return table
