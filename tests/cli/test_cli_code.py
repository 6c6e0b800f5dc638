"""The CLI turns options into library calls: its functions take few positional parameters
(settings travel as objects, the rest by keyword) and its signatures need no formatter escape."""

from __future__ import annotations

import ast
from pathlib import Path

import nasperf.cli

CLI = Path(nasperf.cli.__file__).parent


def _functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def positional(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The parameters of ``node`` that may be given by position (``self`` and ``cls`` aside)."""
    args = node.args.posonlyargs + node.args.args
    return [a.arg for a in args if a.arg not in ("self", "cls")]


def test_no_cli_function_takes_more_than_five_positional_parameters() -> None:
    found = [
        f"{path.name}:{node.lineno} {node.name} ({len(positional(node))})"
        for path in sorted(CLI.glob("*.py"))
        for node in _functions(path)
        if len(positional(node)) > 5
    ]
    assert found == []


def test_no_signature_in_the_cli_needs_fmt_skip() -> None:
    found = []
    for path in sorted(CLI.glob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in _functions(path):
            body = node.body[0].lineno if node.body else node.lineno
            signature = lines[node.lineno - 1 : body - 1]
            if any("fmt: skip" in line for line in signature):
                found.append(f"{path.name}:{node.lineno} {node.name}")
    assert found == []


def test_the_check_counts_positional_parameters() -> None:
    tree = ast.parse("def f(a, b, /, c, *, d): ...\nclass C:\n    def m(self, a): ...")
    f, m = (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))
    assert positional(f) == ["a", "b", "c"] and positional(m) == ["a"]
