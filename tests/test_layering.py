"""The package's layering: imports point one way down the layers declared in
docs/ARCHITECTURE.md, no module imports a private name of another subpackage, and no modules
import each other in a circle (lazy imports included)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import nasperf

ROOT = Path(nasperf.__file__).parent
ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "ARCHITECTURE.md"


def declared_layers(text: str | None = None) -> dict[str, int]:
    """The layer of each top-level module or subpackage, from the ```layers block of
    ARCHITECTURE.md (the first line is the ground floor)."""
    if text is None:
        if not ARCHITECTURE.exists():
            pytest.skip(f"{ARCHITECTURE} is not here (an installed package without its docs)")
        text = ARCHITECTURE.read_text(encoding="utf-8")
    match = re.search(r"```layers\n(.*?)```", text, re.DOTALL)
    assert match, "ARCHITECTURE.md has no ```layers block"
    lines = [line.split() for line in match.group(1).strip().splitlines() if line.strip()]
    return {name: level for level, names in enumerate(lines) for name in names}


def _module_name(path: Path, root: Path) -> list[str]:
    parts = ["nasperf", *path.relative_to(root).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imports(path: Path, root: Path) -> Iterator[tuple[int, list[str], list[str]]]:
    """``(line, module parts, imported names)`` of every import of nasperf in ``path``, at
    module level or inside a function."""
    rel = path.relative_to(root)
    package = ["nasperf", *rel.parts[:-1]]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = base + (node.module.split(".") if node.module else [])
            elif (node.module or "").split(".")[0] == "nasperf":
                module = node.module.split(".")
            else:
                continue
            yield node.lineno, module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "nasperf":
                    yield node.lineno, alias.name.split("."), []


def _owner(path: Path, root: Path) -> str:
    rel = path.relative_to(root)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


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


def upward_imports(root: Path = ROOT, layers: dict[str, int] | None = None) -> list[str]:
    """Every import of a module from a higher layer than the importer's (and of a top-level
    module no layer declares)."""
    layers = declared_layers() if layers is None else layers
    found = []
    for path in sorted(root.rglob("*.py")):
        own = _owner(path, root)
        rel = path.relative_to(root)
        for line, module, names in _imports(path, root):
            targets = [module[1]] if len(module) > 1 else names  # `from nasperf import x`
            for other in targets:
                if other == own:
                    continue
                if own not in layers or other not in layers:
                    found.append(f"{rel}:{line}: {own} or {other} is in no declared layer")
                elif layers[other] > layers[own]:
                    found.append(f"{rel}:{line}: {own} imports {other}, a higher layer")
    return found


def import_circles(root: Path = ROOT) -> list[list[str]]:
    """The groups of modules that import each other in a circle (lazy imports included;
    ``from package import name`` counts as importing the module ``package.name`` when there is
    one, else the package)."""
    modules = {".".join(_module_name(p, root)): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for _, module, names in _imports(path, root):
            base = ".".join(module)
            for imported in names or [""]:
                target = f"{base}.{imported}" if imported else base
                target = target if target in modules else base
                if target in modules and target != name:
                    graph[name].add(target)
    return _strongly_connected(graph)


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one node."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return circles


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


def test_imports_point_down_the_declared_layers() -> None:
    assert upward_imports() == []


def test_every_subpackage_is_in_a_layer() -> None:
    layers = declared_layers()
    tops = {_owner(p, ROOT) for p in ROOT.rglob("*.py")}
    assert tops <= set(layers), sorted(tops - set(layers))


def test_the_direction_check_finds_a_planted_upward_import(tmp_path: Path) -> None:
    layers = declared_layers()
    (tmp_path / "training").mkdir()
    (tmp_path / "training" / "ok.py").write_text("from ..data import load_dataset\n")
    planted = "def f():\n    from ..search import run_search  # lazy, still upward\n"
    (tmp_path / "training" / "bad.py").write_text(planted)
    (tmp_path / "records.py").write_text("import nasperf.evaluation.metrics\n")
    found = upward_imports(tmp_path, layers)
    assert len(found) == 2, found
    assert "records imports evaluation" in found[0] and "training imports search" in found[1]
    assert upward_imports(ROOT, layers) == []  # the real tree, with the same layers


def test_the_layers_come_from_the_architecture_page() -> None:
    layers = declared_layers("text\n```layers\nexceptions store\nsearch\ncli\n```\n")
    assert layers == {"exceptions": 0, "store": 0, "search": 1, "cli": 2}


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert import_circles() == []


def test_the_circle_check_finds_a_planted_circle(tmp_path: Path) -> None:
    (tmp_path / "evaluation").mkdir()
    (tmp_path / "evaluation" / "__init__.py").write_text("")
    (tmp_path / "evaluation" / "a.py").write_text("from .b import g\n")
    (tmp_path / "evaluation" / "b.py").write_text("def g():\n    from .a import f\n")
    assert import_circles(tmp_path) == [["nasperf.evaluation.a", "nasperf.evaluation.b"]]
