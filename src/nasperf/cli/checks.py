"""Checks a command makes of its whole input before its first unit of work.

Where it writes (``--out``: a directory or a file, in a place that can be written), which
options were given on the command line (an option that means nothing for the chosen command
or combination is an error, not silently ignored), and the seed.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..exceptions import ConfigurationError
from .usage import get_current_context

__all__ = [
    "given",
    "flag",
    "refuse",
    "check_out",
    "check_seed",
    "check_address",
    "check_executor",
    "check_predictor_extras",
    "check_data",
    "check_feature_history",
]


def given(name: str) -> bool:
    """Whether the option of parameter ``name`` was given on the command line (False outside
    a command, e.g. when the command function is called directly)."""
    ctx = get_current_context(silent=True)
    if ctx is None:
        return False
    source = ctx.get_parameter_source(name)  # a ParameterSource, None for an unknown name
    return getattr(source, "name", "DEFAULT") not in ("DEFAULT", "DEFAULT_MAP")


def flag(name: str) -> str:
    """The command-line spelling of parameter ``name`` (``top_k`` -> ``--top-k``)."""
    ctx = get_current_context(silent=True)
    params = ctx.command.params if ctx is not None else []
    opts = next((p.opts for p in params if p.name == name), None)
    if opts:
        return max(opts, key=len)
    return "--" + name.replace("_", "-")


def refuse(names: Iterable[str], applies: str) -> None:
    """Raise ConfigurationError if an option of ``names`` (parameter names) was given:
    ``applies`` says where it means something (``"only applies to --live"``)."""
    for name in names:
        if given(name):
            raise ConfigurationError(f"{flag(name)} {applies}")


#: the output formats of the commands that print a table (``--format``)
FORMATS = ("table", "json")


def check_format(fmt: str) -> None:
    """``--format`` is one of :data:`FORMATS`."""
    if fmt not in FORMATS:
        raise ConfigurationError(f"--format must be 'table' or 'json', got {fmt!r}")


def check_seed(seed: int) -> None:
    """A seed is a whole number >= 0."""
    if seed < 0:
        raise ConfigurationError(f"--seed must be >= 0, got {seed}")


def check_address(executor: str, address: str | None) -> None:
    """``--address`` names a Ray cluster: it means nothing without ``--executor ray``, and
    the cluster is found and answers within a few seconds, before any work (else one error
    saying what to do; Ray itself would wait for ever)."""
    if address is not None and executor != "ray":
        raise ConfigurationError(
            f"--address {address} only applies to the ray executor (--executor ray), "
            f"not {executor!r}"
        )
    if address is not None:
        from ..execution import RayExecutor

        RayExecutor.check_address(address)


def check_executor(name: str) -> None:
    """``--executor NAME`` is known and the extra it imports is installed (ray: ``ray``),
    found without importing it."""
    from ..execution import EXECUTORS
    from ..registry import require_extra

    require_extra(EXECUTORS[name].extra, f"the {name} executor (--executor {name})")


def check_predictor_extras(predictors: Mapping[str, Any]) -> None:
    """The extra each predictor declares (``nasperf predictors`` lists it) is installed:
    ``predictors`` maps the names given to the predictors made of them."""
    from ..registry import require_extra

    for name, predictor in predictors.items():
        require_extra(getattr(predictor, "extra", None), f"predictor {name}")


def check_data(config: Any) -> None:
    """The dataset of a live command's ``config`` (a LiveBenchmarkConfig) loads here, before
    any worker starts: missing files or impossible splits are one error, not a failed task
    per cell. It stays cached for the cells trained in this process."""
    from ..benchmarks import cell_data

    cell_data(config)


def check_feature_history(settings: Any) -> None:
    """``--ema-decay`` belongs to the ema variant, ``--k`` to concat and consensus."""
    if settings.variant == "ema":
        refuse(("k",), "does not apply to --variant ema (it weighs every epoch)")
    else:
        refuse(("ema_decay",), "only applies to --variant ema")


def check_out(path: Path | None, *, directory: bool) -> None:
    """``--out`` can be written: a directory (``directory``) or a file, where the user may
    create it. An existing file where a directory is wanted, the reverse, a parent that is a
    file or a place that cannot be written raise ConfigurationError; nothing is created."""
    if path is None:
        return
    want = "a directory" if directory else "a file"
    if path.exists():
        if path.is_dir() != directory:
            found = "a directory" if path.is_dir() else "a file"
            raise ConfigurationError(f"--out {path} is {found}; give {want}")
        _check_writable(path if directory else path.parent, path)
        return
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigurationError(f"--out {path}: {parent} is a file, so {want} cannot go there")
    _check_writable(parent, path)


def _check_writable(directory: Path, path: Path) -> None:
    """Raise ConfigurationError unless a new entry can be made in ``directory`` (probed with
    an empty temporary directory that is removed at once)."""
    problem = None
    if not os.access(directory, os.W_OK | os.X_OK):
        problem = "permission denied"
    else:
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".nasperf-probe-", dir=directory))
        except OSError as exc:
            problem = exc.strerror or str(exc)
    if problem is not None:
        raise ConfigurationError(f"--out {path}: cannot write in {directory} ({problem})")


@contextmanager
def options_named(owner: str, options: Mapping[str, str]) -> Iterator[None]:
    """Inside the block, a ConfigurationError about the fields of the library object ``owner``
    names the command's options instead (``options``: field to flag), without the Python
    example: the user typed ``--budget 0``, not ``SearchSpec(budget_epochs=0)``."""
    try:
        yield
    except ConfigurationError as exc:
        if type(exc) is not ConfigurationError:  # a named kind (an unknown name) says it well
            raise
        text = str(exc).removeprefix(f"{owner}: ")
        text = re.sub(rf"; e\.g\. {owner}\(.*\)$", "", text)
        if options:  # one pass, longest first: batch_size is not batch_--size
            fields = "|".join(sorted(map(re.escape, options), key=len, reverse=True))
            text = re.sub(rf"(?<![\w-])({fields})\b", lambda m: options[m[1]], text)
        raise ConfigurationError(text) from exc
