"""Progress when stderr is not a terminal: log lines every 10% or 30 s, with an ETA."""

from __future__ import annotations

import logging
import re
import time

import pytest

from nasperf.cli.console import PROGRESS_LOGGER, LogProgress, progress


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == PROGRESS_LOGGER]


def test_not_a_terminal_gives_log_lines() -> None:
    assert isinstance(progress(), LogProgress)  # pytest's captured stderr is no terminal


def test_a_line_every_tenth_with_an_eta(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with LogProgress(seconds=3600) as bar:
        task = bar.add_task("evaluating", total=40)
        for _ in range(40):
            bar.advance(task)
    got = lines(caplog)
    assert len(got) == 10
    assert got[0].startswith("evaluating: 4/40 (10%) in 0:00:00, ETA ")
    assert re.search(r"ETA \d+:\d\d:\d\d$", got[0])
    assert got[-1] == "evaluating: 40/40 (100%) in 0:00:00"


def test_the_eta_ignores_work_resumed_from_a_previous_run(caplog) -> None:  # noqa: ANN001
    caplog.set_level(logging.DEBUG)
    with LogProgress(seconds=3600) as bar:
        task = bar.add_task("rows", total=100)
        bar.update(task, completed=50)  # already made: no pace to learn from
        time.sleep(0.3)
        bar.update(task, completed=60)  # 10 rows in ~0.3 s: 40 more take ~1.2 s
    eta = lines(caplog)[-1].rsplit("ETA ", 1)[1]
    assert lines(caplog)[0].endswith("ETA unknown")
    assert eta in ("0:00:01", "0:00:02", "0:00:03")  # ~1.2 s, on a loaded machine more


def test_a_line_after_a_quiet_while(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with LogProgress(seconds=0.2) as bar:
        bar.add_task("estimating 3 cells", total=None)
        time.sleep(0.7)
    got = lines(caplog)
    assert got and all(g.startswith("estimating 3 cells: 0:00:0") for g in got)


def test_quiet_shows_no_progress(caplog: pytest.LogCaptureFixture) -> None:
    nasperf = logging.getLogger("nasperf")
    before = nasperf.level
    nasperf.setLevel(logging.ERROR)  # -q
    try:
        with LogProgress(seconds=3600) as bar:
            task = bar.add_task("rows", total=2)
            bar.update(task, completed=2)
    finally:
        nasperf.setLevel(before)
    assert lines(caplog) == []
