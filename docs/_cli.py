"""The nasperf command line as plain click objects, for mkdocs-click (docs/cli.md).

typer >= 0.29 builds its commands on its own copy of click, whose options are not
``click.Option`` instances, so mkdocs-click would list no options. This module walks the typer
app (loading each lazily imported command) and copies every command, group, option and argument
into real click objects that carry the same names, help, types and defaults.
"""

from __future__ import annotations

from typing import Any

import click
import typer

from nasperf.cli.app import app

_SIMPLE = (str, int, float, bool, type(None))


class _Named(click.ParamType):
    """A parameter type that only carries the name typer shows (``<int>``, ``<path>``, ...)."""

    def __init__(self, name: str) -> None:
        self.name = name


def _type_name(param: Any, ctx: Any) -> str:
    try:
        name = param.display_type(ctx)
    except (AttributeError, TypeError):  # an older typer: a click type
        name = getattr(getattr(param, "type", None), "name", "text")
    name = str(name).strip("<>").replace("|", ", ") or "text"
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None or high is not None:
        name += " (" + (f"{low} ≤ " if low is not None else "") + "x"
        name += (f" ≤ {high}" if high is not None else "") + ")"
    return name


def _help(text: str | None) -> str | None:
    """Help text for a Markdown table cell: a pipe would end the cell."""
    return None if text is None else " ".join(text.split()).replace("|", "\\|")


def _param(param: Any, ctx: Any) -> click.Parameter:
    default = param.default if isinstance(param.default, _SIMPLE) else None
    default = None if default == "" else default
    if getattr(param, "param_type_name", "option") == "argument":
        return click.Argument(
            [param.name],
            required=param.required,
            nargs=param.nargs,
            type=_Named(_type_name(param, ctx)),
        )
    decls = list(param.opts)
    if param.secondary_opts:
        decls = [f"{param.opts[0]}/{param.secondary_opts[0]}", *param.opts[1:]]
    options: dict[str, Any] = {
        "help": _help(param.help),
        "required": param.required,
        "hidden": param.hidden,
        "default": default,
        "show_default": True,
    }
    if param.count:
        options["count"] = True
    elif param.is_flag:
        options["is_flag"] = True
    else:
        options["type"] = _Named(_type_name(param, ctx))
        options["multiple"] = param.multiple
    return click.Option(decls, **options)


def _command(command: Any, name: str) -> click.Command:
    ctx = command.context_class(command, info_name=name)
    params = [_param(p, ctx) for p in command.params]
    texts = {"help": command.help, "short_help": command.short_help, "epilog": command.epilog}
    # every command takes --help; mkdocs-click would show click's own with an odd default
    texts["add_help_option"] = False
    if hasattr(command, "list_commands"):
        commands = [(n, command.get_command(ctx, n)) for n in command.list_commands(ctx)]
        return click.Group(
            name, commands={n: _command(c, n) for n, c in commands if c}, params=params, **texts
        )
    return click.Command(name, params=params, **texts)


cli = _command(typer.main.get_command(app), "nasperf")
