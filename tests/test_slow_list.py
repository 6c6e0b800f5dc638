"""The list of slow tests names tests that exist (a renamed test would silently come back into
the fast suite, or a stale line would hide nothing)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SLOW_LIST = ROOT / "tests" / "slow_tests.txt"


def _slow_ids() -> set[str]:
    lines = SLOW_LIST.read_text().splitlines()
    return {line.split("#")[0].strip() for line in lines} - {""}


def test_every_listed_slow_test_exists() -> None:
    missing = []
    for node in sorted(_slow_ids()):
        path, _, rest = node.partition("::")
        function = re.split(r"[\[:]", rest.split("::")[-1])[0]
        source = ROOT / path
        if not source.is_file() or not re.search(
            rf"^\s*def {re.escape(function)}\(", source.read_text(), re.MULTILINE
        ):
            missing.append(node)
    assert missing == [], f"stale lines in {SLOW_LIST.name}: {missing}"
