"""Every code block of the guides (and the README's first example) runs, and the site builds.

The fenced ``bash`` and ``python`` blocks of ``docs/getting-started.md`` and ``docs/guides/*.md``
are run in order, each page in its own temporary directory, so a block may read what an earlier
block of its page wrote. Bash blocks run with the ``nasperf`` console script of this environment
first on PATH, Python blocks with ``sys.executable``. An HTML comment on the line before a fence
says how its block is tested:

- ``<!-- no-test: REASON -->``: not run (an install, or a run of hours); the reason is required.
- ``<!-- test: slow -->``: marked ``slow`` (over about 10 s), left out of ``make test``.
- ``<!-- test: data -->``: needs the real benchmark tables; skipped without ``NASPERF_DATA``.
  Both can be given: ``<!-- test: slow data -->``.

A block that no-one marks runs in the default suite. A default block must not depend on a slow
one: when a block runs, the earlier default blocks of its page that have not run yet in this
session run first (in its directory), so ``-k`` and ``pytest -n`` select blocks freely.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
GUIDES = [
    "getting-started.md",
    *sorted(str(p.relative_to(DOCS)) for p in (DOCS / "guides").glob("*.md")),
]
#: seconds one block may take (the slow ones take up to about two minutes on two cores)
TIMEOUT = 900
#: blocks that are not run, at most: each is an install or a published run of hours
MAX_NO_TEST = 8

_FENCE = re.compile(r"^```(\w+)\s*$")
_MARK = re.compile(r"^<!--\s*(no-test|test):?\s*(.*?)\s*-->\s*$")


@dataclass
class Block:
    page: str
    index: int
    lang: str
    code: str
    line: int
    marks: set[str] = field(default_factory=set)
    reason: str = ""

    @property
    def id(self) -> str:
        return f"{self.page}:{self.index}"

    @property
    def runnable(self) -> bool:
        return self.lang in ("bash", "python") and "no-test" not in self.marks


def parse(path: Path, page: str) -> list[Block]:
    """The fenced blocks of ``path`` with the marks of the comment just before each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        start = i
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        i += 1
        block = Block(page, len(blocks), fence.group(1), "\n".join(body) + "\n", start + 1)
        mark = _MARK.match(lines[start - 1]) if start else None
        if mark and mark.group(1) == "no-test":
            block.marks.add("no-test")
            block.reason = mark.group(2)
        elif mark:
            block.marks.update(mark.group(2).split())
        blocks.append(block)
    return blocks


def _readme_first() -> list[Block]:
    """The README's first example: its first runnable block."""
    blocks = [b for b in parse(ROOT / "README.md", "README.md") if b.runnable]
    return blocks[:1]


PAGES: dict[str, list[Block]] = {page: parse(DOCS / page, page) for page in GUIDES}
PAGES["README.md"] = _readme_first()
ALL = [b for blocks in PAGES.values() for b in blocks]
RUNNABLE = [b for b in ALL if b.runnable]


def _data_found() -> bool:
    root = os.environ.get("NASPERF_DATA")
    return bool(root) and Path(root).is_dir()


def _skip_reason(block: Block) -> str | None:
    if "data" in block.marks and not _data_found():
        return "needs the real benchmark tables: set NASPERF_DATA"
    for module in ("optuna", "ray"):
        uses = re.search(rf"^\s*(import|from) {module}\b", block.code, re.M)
        if uses and importlib.util.find_spec(module) is None:
            return f"needs the {module} extra (pip install 'nasperf[{module}]')"
    return None


def _param(block: Block):
    marks = [pytest.mark.slow] if "slow" in block.marks else []
    if block.lang == "python" and re.search(r"^\s*(import|from) ray\b", block.code, re.M):
        marks.append(pytest.mark.ray)
    return pytest.param(block, id=block.id, marks=marks)


def run_block(block: Block, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("MPLBACKEND", "Agg")
    if block.lang == "bash":
        cmd = ["bash", "-e", "-o", "pipefail", "-c", block.code]
    else:
        script = cwd / f"block_{block.index}.py"
        script.write_text(block.code, encoding="utf-8")
        cmd = [sys.executable, script.name]
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def _check(block: Block, proc: subprocess.CompletedProcess) -> None:
    if proc.returncode != 0:
        pytest.fail(
            f"{block.id} (line {block.line}) exited with {proc.returncode}\n"
            f"--- code\n{block.code}--- stdout (end)\n{proc.stdout[-3000:]}\n"
            f"--- stderr (end)\n{proc.stderr[-3000:]}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def page_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, set[int]]]:
    """Per page: its working directory and the indices of the blocks already run there."""
    return {page: (tmp_path_factory.mktemp(re.sub(r"\W", "_", page)), set()) for page in PAGES}


@pytest.mark.parametrize("block", [_param(b) for b in RUNNABLE])
def test_block_runs(block: Block, page_dirs: dict[str, tuple[Path, set[int]]]) -> None:
    reason = _skip_reason(block)
    if reason:
        pytest.skip(reason)
    cwd, done = page_dirs[block.page]
    for before in PAGES[block.page][: block.index]:
        # a default block replays only default ones; a slow block (run where any worker
        # takes it) replays the slow ones before it too
        if before.index in done or not before.runnable:
            continue
        if "slow" in before.marks and "slow" not in block.marks:
            continue
        if _skip_reason(before):
            continue
        _check(before, run_block(before, cwd))
        done.add(before.index)
    _check(block, run_block(block, cwd))
    done.add(block.index)


def test_blocks_are_marked_with_a_known_convention() -> None:
    """Every block is bash, python or text; every mark is known; every no-test has a reason;
    the blocks left out stay few."""
    known = {"slow", "data", "no-test"}
    for block in ALL:
        assert block.lang in ("bash", "python", "text"), f"{block.id}: unknown language"
        assert block.marks <= known, f"{block.id}: unknown marks {block.marks - known}"
        if "no-test" in block.marks:
            assert block.reason, f"{block.id}: a no-test block needs its reason"
    no_test = [b for b in ALL if "no-test" in b.marks and b.lang != "text"]
    assert len(no_test) <= MAX_NO_TEST, [b.id for b in no_test]
    assert PAGES["README.md"], "the README has no runnable first example"
    assert len(PAGES) >= 7  # getting started, six guides and the README


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    """``mkdocs build --strict``: a broken link, anchor, page or API reference fails."""
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers", "mkdocs_click"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed: pip install -e '.[docs]'")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-q",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(tmp_path / "site"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "cli" / "index.html").read_text().count("nasperf evaluate") > 0
