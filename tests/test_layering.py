"""The package's layering: no module imports a private name of another subpackage."""

from __future__ import annotations

import ast
from pathlib import Path

import nasperf

ROOT = Path(nasperf.__file__).parent


def _imports(path: Path, root: Path) -> list[tuple[int, list[str], list[str]]]:
    """``(line, module parts, imported names)`` of every ``from X import`` in ``path``."""
    rel = path.relative_to(root)
    parts = ["nasperf", *rel.with_suffix("").parts]
    package = parts[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package[: len(package) - (node.level - 1)]
            module = base + (node.module.split(".") if node.module else [])
        elif (node.module or "").split(".")[0] == "nasperf":
            module = node.module.split(".")
        else:
            continue
        out.append((node.lineno, module, [a.name for a in node.names]))
    return out


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_cross_imports(root: Path = ROOT) -> list[str]:
    """Every import of a private module or name of another top-level subpackage."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        own = rel.parts[0] if len(rel.parts) > 1 else None
        for line, module, names in _imports(path, root):
            other = module[1] if len(module) > 1 else None
            if other == own:
                continue
            bad = [p for p in module[1:] if _private(p)] + [n for n in names if _private(n)]
            if bad:
                found.append(f"{rel}:{line}: from {'.'.join(module)} import {', '.join(names)}")
    return found


def test_no_module_imports_a_private_name_of_another_subpackage() -> None:
    assert private_cross_imports() == []


def test_the_check_finds_a_private_import(tmp_path: Path) -> None:
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / "x.py").write_text("from ..benchmarks._live import build_cell\n")
    (tmp_path / "search" / "y.py").write_text("from ..training import _helper\n")
    (tmp_path / "search" / "z.py").write_text("from ._own import ok\nfrom .. import __version__\n")
    found = private_cross_imports(tmp_path)
    assert len(found) == 2
    assert "benchmarks._live" in found[0] and "_helper" in found[1]
