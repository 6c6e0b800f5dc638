"""The application's group: usage errors as one line, commands imported on first use.

Typer prints a usage error (an unknown option or command, a value of the wrong type, a missing
option) as a framed box of several lines; :class:`OneLineGroup`, the class of the ``nasperf``
application, turns it into a :class:`UsageProblem`, which the entry point prints as one line
``error: ...`` with exit code 2, like every other bad input. ``nasperf`` alone still shows the
help.

Its commands are :class:`LazyCommand` entries: a command's module, and the scientific stack
behind it, is imported only when that command runs or shows its own help, so ``nasperf
--help`` and the listing commands start in a fraction of a second.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup

from ..exceptions import ConfigurationError

try:  # typer >= 0.20 runs commands on its own copy of click
    from typer._click.core import Command
    from typer._click.exceptions import NoArgsIsHelpError, UsageError
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - older typer, on click itself
    from click import Command, get_current_context
    from click.exceptions import NoArgsIsHelpError, UsageError

__all__ = ["LazyCommand", "OneLineGroup", "UsageProblem", "get_current_context"]


@dataclass(frozen=True)
class LazyCommand:
    """A command of the application: its name, ``"module:attribute"`` (a module of the group's
    package; the attribute a command function or a :class:`typer.Typer` of subcommands) and
    the one-line summary shown by the group's help without importing the module."""

    name: str
    target: str
    summary: str

    def load(self, package: str | None) -> Command:
        """The click command (or group) behind this entry, importing its module."""
        module, _, attribute = self.target.partition(":")
        obj = getattr(importlib.import_module(f".{module}", package), attribute)
        if isinstance(obj, typer.Typer):
            command = typer.main.get_group(obj)
        else:
            single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
            single.command(self.name)(obj)
            command = typer.main.get_command(single)
        command.name = self.name
        return command

    def placeholder(self) -> Command:
        """A stand-in that carries the name and summary, for the group's help."""
        return TyperCommand(self.name, help=self.summary, short_help=self.summary)


class UsageProblem(ConfigurationError):
    """A usage error of the command line, in one sentence with where to read the help."""


def _one_line(exc: UsageError) -> UsageProblem:
    where = exc.ctx.command_path if exc.ctx is not None else "nasperf"
    return UsageProblem(f"{exc.format_message()} (see {where} --help)")


class OneLineGroup(TyperGroup):
    """The application's group: usage errors of it and of its commands become
    :class:`UsageProblem` (typer prints those of neither). The commands of
    :attr:`lazy_commands` (modules of :attr:`lazy_package`) are imported on first use."""

    lazy_commands: ClassVar[tuple[LazyCommand, ...]] = ()
    lazy_package: ClassVar[str | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False  # while the group's own help is written: placeholders will do
        self._lazy = {entry.name: entry for entry in self.lazy_commands}

    def list_commands(self, ctx: Any) -> list[str]:
        eager = [name for name in super().list_commands(ctx) if name not in self._lazy]
        return [*self._lazy, *eager]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        entry = self._lazy.get(cmd_name)
        if entry is None or cmd_name in self.commands:
            return super().get_command(ctx, cmd_name)
        if self._listing:
            return entry.placeholder()
        command = entry.load(self.lazy_package)
        self.add_command(command, cmd_name)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)  # finds the command, parses its options, runs it
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            raise _one_line(exc) from None
