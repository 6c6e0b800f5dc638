"""Usage errors (an unknown option or command, a value of the wrong type, a missing option)
as one line ``error: ...`` and exit code 2, like every other bad input.

Typer prints a usage error as a framed box of several lines; :class:`OneLineGroup`, the class
of the ``nasperf`` application, turns it into a :class:`UsageProblem`, which the entry point
prints as one line. ``nasperf`` alone still shows the help.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

from ..exceptions import ConfigurationError

try:  # typer >= 0.20 runs commands on its own copy of click
    from typer._click.exceptions import NoArgsIsHelpError, UsageError
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover - older typer, on click itself
    from click import get_current_context
    from click.exceptions import NoArgsIsHelpError, UsageError

__all__ = ["OneLineGroup", "UsageProblem", "get_current_context"]


class UsageProblem(ConfigurationError):
    """A usage error of the command line, in one sentence with where to read the help."""


def _one_line(exc: UsageError) -> UsageProblem:
    where = exc.ctx.command_path if exc.ctx is not None else "nasperf"
    return UsageProblem(f"{exc.format_message()} (see {where} --help)")


class OneLineGroup(TyperGroup):
    """The application's group: usage errors of it and of its commands become
    :class:`UsageProblem` (typer prints those of neither)."""

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
