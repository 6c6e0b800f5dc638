"""Start-up: ``import nasperf``, ``--help`` and the listings import no scientific stack; the
lazy command table and the predictor catalog agree with what they stand for."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
import textwrap

import pytest

from helpers import needs_data

#: modules that cost hundreds of milliseconds to import; a listing needs none of them
HEAVY = ("numpy", "pandas", "scipy", "sklearn", "torch", "matplotlib", "xgboost", "ray")


def _heavy_after(code: str) -> list[str]:
    """The heavy modules imported by ``code``, run in a fresh interpreter."""
    probe = "\n".join(
        [
            "import sys",
            textwrap.dedent(code),
            f'print("heavy:" + ",".join(m for m in {HEAVY!r} if m in sys.modules))',
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("heavy:"), done.stdout
    return [m for m in last[len("heavy:") :].split(",") if m]


def _cli(*args: str) -> str:
    return f"""
import contextlib, io
from nasperf.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main({list(args)!r})
assert code == 0, code
"""


@pytest.mark.parametrize(
    "code",
    [
        "import nasperf",
        "import nasperf.cli",
        "import nasperf.predictors.registry",
        "import nasperf.benchmarks",
        _cli("--help"),
        _cli("predictors"),
        _cli("benchmarks"),
    ],
    ids=["import", "import-cli", "registry", "benchmarks-pkg", "help", "predictors", "benchmarks"],
)
def test_start_up_imports_no_scientific_stack(code: str) -> None:
    assert _heavy_after(code) == []


def test_a_command_imports_what_it_needs() -> None:
    """The probe can see imports: running a command that fits a model does pull them in."""
    assert "numpy" in _heavy_after("from nasperf.predictors import make_predictor; "
                                   "make_predictor('rf')")  # fmt: skip


def _first_paragraph(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())


def test_lazy_command_summaries_are_the_commands_docstrings() -> None:
    """``nasperf --help`` shows the stored summaries; they must say what the commands say."""
    import typer

    from nasperf.cli.app import COMMANDS

    for entry in COMMANDS:
        module, _, attribute = entry.target.partition(":")
        obj = getattr(importlib.import_module(f"nasperf.cli.{module}"), attribute)
        said = obj.info.help if isinstance(obj, typer.Typer) else _first_paragraph(obj)
        assert " ".join(str(said).split()) == entry.summary, entry.name


def test_every_command_loads_and_the_help_lists_each_once(capsys) -> None:
    from cli_helpers import run

    from nasperf.cli.app import COMMANDS

    code, out, _ = run(capsys, "--help")
    assert code == 0
    for entry in COMMANDS:
        assert sum(line.strip("│ ").startswith(entry.name + " ") for line in out.splitlines()) == 1
        code, out_cmd, _ = run(capsys, *entry.name.split(), "--help")
        assert code == 0 and f"nasperf {entry.name}" in out_cmd


def test_the_predictor_catalog_is_what_the_predictors_say() -> None:
    """The listing reads a generated copy of each predictor's capabilities."""
    from nasperf.predictors._catalog import CATALOG
    from nasperf.predictors.registry import predictor_catalog

    assert CATALOG == predictor_catalog(), (
        "the catalog is stale: run python -m nasperf.predictors.registry"
    )


def test_the_catalog_module_is_plain_data() -> None:
    """Generated text only: a literal dict, so reading it imports nothing."""
    from nasperf.predictors import _catalog

    tree = ast.parse(inspect.getsource(_catalog))
    (assign,) = [n for n in tree.body if isinstance(n, ast.AnnAssign)]
    assert isinstance(assign.value, ast.Dict)
    ast.literal_eval(assign.value)


@needs_data("nb201/nb201_cifar10_curves.json.gz")
@needs_data("suite_zero/zc_nasbench201.json")
@pytest.mark.parametrize(
    "name", ["nb201-digits", "nb201-mnist", "nb201-cifar10-curves", "suite-zero-nb201"]
)
def test_listed_candidate_counts_are_the_loaded_ones(name: str) -> None:
    from nasperf.benchmarks import BENCHMARKS, load_benchmark

    assert BENCHMARKS[name].meta["candidates"] == len(load_benchmark(name))
