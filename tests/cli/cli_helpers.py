"""Helpers of the command-line tests: run ``nasperf`` in-process, check one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nasperf.cli import main

GOOD_CELL = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"
    "+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
)


def write_csv(path: Path, n: int = 60, seed: int = 0) -> None:
    """A CSV of ``n`` candidates: an id, two features and an accuracy that follows them."""
    rng = np.random.default_rng(seed)
    lines = ["id,x1,x2,acc"]
    for i in range(n):
        x1, x2 = rng.normal(size=2)
        lines.append(f"c{i},{x1:.4f},{x2:.4f},{80 + 3 * x1 - x2:.4f}")
    path.write_text("\n".join(lines) + "\n")


def run(capsys, *args: str) -> tuple[int, str, str]:  # noqa: ANN001 - pytest's capsys
    """``nasperf ARGS``: the exit code, stdout and stderr."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, fragment: str) -> None:
    """Exit code 2 and one line ``error: ...`` holding ``fragment`` on stderr."""
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error:") and fragment in lines[0], err


class Stop(Exception):
    """Raised by a stand-in to end a command once it has what the test checks."""
