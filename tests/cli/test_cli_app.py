"""The application: --version, -v/-q, the entry points, and how errors end a run."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from cli_helpers import assert_one_line_error, run

import nasperf
import nasperf.cli.benchmarks as benchmarks_command


def test_version(capsys) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"nasperf {nasperf.__version__}"


def test_version_through_the_module_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nasperf", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and proc.stdout.strip() == f"nasperf {nasperf.__version__}"


@pytest.mark.parametrize(
    "flags, level",
    [
        ([], logging.WARNING),
        (["-v"], logging.INFO),
        (["--verbose"], logging.INFO),
        (["-vv"], logging.DEBUG),
        (["-v", "-v", "-v"], logging.DEBUG),
        (["-q"], logging.ERROR),
        (["--quiet"], logging.ERROR),
    ],
)
def test_verbosity_sets_the_nasperf_logger_for_the_run(
    capsys, monkeypatch: pytest.MonkeyPatch, flags: list[str], level: int
) -> None:
    seen = []
    table = benchmarks_command.benchmarks_table

    def spy(count: bool):  # noqa: ANN202 - a rich Table
        seen.append(logging.getLogger("nasperf").getEffectiveLevel())
        return table(count)

    monkeypatch.setattr(benchmarks_command, "benchmarks_table", spy)
    logger = logging.getLogger("nasperf")
    before = logger.level
    code, _, _ = run(capsys, *flags, "benchmarks", "--no-count")
    assert code == 0 and seen == [level]
    assert logger.level == before  # restored after the run


def test_debug_logs_reach_the_handlers(capsys, caplog: pytest.LogCaptureFixture) -> None:
    code, _, _ = run(capsys, "-vv", "benchmarks", "--no-count")
    assert code == 0 and f"nasperf {nasperf.__version__}" in caplog.text
    caplog.clear()
    code, _, _ = run(capsys, "benchmarks", "--no-count")
    assert code == 0 and caplog.text == ""


def test_verbose_and_quiet_together_is_an_error(capsys) -> None:
    code, _, err = run(capsys, "-v", "-q", "benchmarks", "--no-count")
    assert_one_line_error(code, err, "not both")


def test_a_nasperf_error_is_one_line_and_exit_2(capsys) -> None:
    code, out, err = run(capsys, "evaluate", "-b", "nope", "-p", "rf")
    assert_one_line_error(code, err, "unknown benchmark 'nope'")
    assert out == ""


@pytest.mark.parametrize(
    "args",
    [
        ["evaluate", "--no-such-option"],
        ["no-such-command"],
        ["-v"],
        ["search", "sh", "--n", "x"],
        ["search", "hyperband", "--n", "3"],
        ["search", "no-such-strategy"],
    ],
)
def test_usage_errors_exit_2(capsys, args: list[str]) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2 and err.strip()


def test_help_exits_0(capsys) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in ("evaluate", "proxies", "make-benchmark", "search", "estimate"):
        assert command in out


def test_third_party_warnings_are_debug_log_messages(capsys, caplog, monkeypatch) -> None:
    import os
    import warnings

    table = benchmarks_command.benchmarks_table

    def noisy(count: bool):  # noqa: ANN202 - a rich Table
        warnings.warn("a third-party warning", UserWarning, stacklevel=1)
        assert os.environ["PYTHONWARNINGS"] == "ignore"  # and in the workers started now
        return table(count)

    monkeypatch.setattr(benchmarks_command, "benchmarks_table", noisy)
    monkeypatch.delenv("PYTHONWARNINGS", raising=False)
    code, _, err = run(capsys, "benchmarks", "--no-count")
    assert code == 0 and err == "" and caplog.text == ""  # not on stderr, not logged
    code, _, err = run(capsys, "-vv", "benchmarks", "--no-count")
    assert code == 0 and "a third-party warning" not in err
    (record,) = [r for r in caplog.records if r.name == "nasperf.warnings"]
    assert record.levelname == "DEBUG" and "UserWarning: a third-party warning" in record.message
    assert "PYTHONWARNINGS" not in os.environ  # restored after the run


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["evaluate", "--trials", "many"], "Invalid value for '--trials'"),
        (["benchmarks", "--bogus"], "No such option: --bogus"),
        (["no-such-command"], "No such command 'no-such-command'"),
        (["proxies"], "Missing option '--out'"),
    ],
)
def test_usage_errors_are_one_line(capsys, args: list[str], fragment: str) -> None:
    code, _, err = run(capsys, *args)
    assert_one_line_error(code, err, fragment)
    assert "--help" in err


def test_no_arguments_still_shows_the_help(capsys) -> None:
    code, out, err = run(capsys)
    assert "Usage" in out + err and "error:" not in err
