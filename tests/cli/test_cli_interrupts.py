"""Ctrl-C, resuming and damaged settings files on the command line: ``evaluate`` and
``estimate`` keep what finished under ``--out``, and the same command continues from there."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import assert_one_line_error, run, write_csv

import nasperf.evaluation
import nasperf.search
from nasperf.evaluation import ROWS_FILE, SETTINGS_FILE

SHIPPED = Path(nasperf.__file__).parent / "benchmarks" / "_shipped" / "nb201-digits"


@pytest.fixture
def results(tmp_path: Path) -> Path:
    write_csv(tmp_path / "r.csv", n=80)
    return tmp_path / "r.csv"


def evaluate_args(results: Path, *more: str) -> list[str]:
    """``evaluate`` on the CSV with 10 training and 30 test candidates (unless ``more`` says)."""
    sizes = [] if "--train-sizes" in more else ["--train-sizes", "10", "--test-size", "30"]
    return ["evaluate", "-b", f"csv:{results}", "--target", "acc", *sizes, *more]


def resume_line(word: str, what: str, out: Path) -> str:
    """The line printed when Ctrl-C (``interrupted``) or SIGTERM ends a resumable command."""
    return f"{word}; {what} kept in {out}: run the same command again to resume from them"


def signalled(command: list[str], sig: int, journal: Path) -> tuple[int, str]:
    """Run ``command``, send its process group ``sig`` once ``journal`` has a row (as a
    terminal's Ctrl-C, or a batch scheduler's SIGTERM to the job, reaches the workers too);
    the exit code and stderr."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,
        # a runner started in the background (no job control) hands its children SIGINT
        # ignored, and Python then installs no KeyboardInterrupt handler: restore the default
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_text().count("\n") >= 1:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


@pytest.mark.parametrize("with_out", [True, False])
def test_ctrl_c_is_one_line_and_exit_130(results, tmp_path, capsys, monkeypatch, with_out):
    def interrupted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise KeyboardInterrupt

    monkeypatch.setattr(nasperf.evaluation, "evaluate_predictors", interrupted)
    out = ["--out", str(tmp_path / "out")] if with_out else []
    code, _, err = run(capsys, *evaluate_args(results, "-p", "rf", "--trials", "1", *out))
    assert code == 130
    expected = resume_line("interrupted", "finished trials", tmp_path / "out")
    expected = expected if with_out else "interrupted"
    assert [ln for ln in err.splitlines() if ln.strip()] == [expected]
    monkeypatch.undo()
    code, _, err = run(capsys, *evaluate_args(results, "-p", "col:x1", "--trials", "1"))
    assert code == 0  # the next command starts afresh


def test_sigint_to_a_parallel_evaluation_then_the_same_command_resumes(results, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "nasperf", "-q", *evaluate_args(results)]
    command += ["-p", "rf", "--train-sizes", "10,20", "--test-size", "30", "--trials", "16"]
    command += ["--workers", "2", "--out", str(out)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # a terminal sends Ctrl-C's SIGINT to the whole foreground process group: the workers too
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True,
        # a runner started in the background (no job control) hands its children SIGINT
        # ignored, and Python then installs no KeyboardInterrupt handler: restore the default
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    journal = out / ROWS_FILE
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_text().count("\n") >= 1:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == [resume_line("interrupted", "finished trials", out)], err
    kept = journal.read_text().count("\n")
    assert 1 <= kept < 16

    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    assert sorted(e["trial"] for e in entries) == list(range(16))  # each trial once
    rows = pd.read_csv(out / "rows.csv")
    assert len(rows) == 32 and list(rows["trial"]) == sorted(rows["trial"])


def test_sigterm_to_a_parallel_evaluation_is_one_line_then_the_same_command_resumes(
    results, tmp_path, capsys
) -> None:
    args = evaluate_args(results, "-p", "rf", "--train-sizes", "10,20", "--test-size", "30")
    args += ["--trials", "16"]
    out = tmp_path / "out"
    command = [sys.executable, "-m", "nasperf", "-q", *args, "--workers", "2", "--out", str(out)]
    code, err = signalled(command, signal.SIGTERM, out / ROWS_FILE)  # a batch scheduler's
    assert code == 143, err
    assert err.strip().splitlines() == [resume_line("terminated (SIGTERM)", "finished trials", out)]
    assert 1 <= (out / ROWS_FILE).read_text().count("\n") < 16

    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    code, _, err = run(capsys, *args, "--out", str(tmp_path / "whole"))  # never interrupted
    assert code == 0, err
    timing = ["fit_time", "query_time"]
    resumed, whole = (
        pd.read_csv(d / "rows.csv").drop(columns=timing) for d in (out, tmp_path / "whole")
    )
    pd.testing.assert_frame_equal(resumed, whole)


@pytest.mark.ray
def test_sigterm_on_the_ray_executor_is_the_same_one_line(results, tmp_path) -> None:
    """ray.init installs SIGTERM handlers of its own (exit 15 and a crash report): nasperf's
    are put back, so a batch scheduler's SIGTERM ends a Ray run as it ends a pool's."""
    args = evaluate_args(results, "-p", "rf", "--train-sizes", "10,20", "--test-size", "30")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "nasperf", "-q", *args, "--trials", "40",
               "--executor", "ray", "--workers", "2", "--out", str(out)]  # fmt: skip
    code, err = signalled(command, signal.SIGTERM, out / ROWS_FILE)
    assert code == 143, err
    assert err.strip().splitlines() == [resume_line("terminated (SIGTERM)", "finished trials", out)]


SEARCH = ["search", "re", "-b", "nb201-digits", "--queries", "100", "--seeds", "6"]


def test_sigterm_to_a_parallel_search_then_the_same_command_gives_the_rows_of_one_run(
    tmp_path, capsys
) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "nasperf", "-q", *SEARCH, "--workers", "2", "--out", str(out)]
    journal = out / "seeds" / "seeds.jsonl"
    code, err = signalled(command, signal.SIGTERM, journal)
    assert code == 143, err
    assert err.strip().splitlines() == [resume_line("terminated (SIGTERM)", "finished seeds", out)]
    assert 1 <= journal.read_text().count("\n") < 6

    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    code, _, err = run(capsys, *SEARCH, "--out", str(tmp_path / "whole"))  # never interrupted
    assert code == 0, err
    resumed, whole = (pd.read_csv(d / "seeds.csv") for d in (out, tmp_path / "whole"))
    pd.testing.assert_frame_equal(resumed, whole)


def test_ctrl_c_on_a_search_with_out_says_how_to_resume(tmp_path, capsys, monkeypatch) -> None:
    def interrupted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise KeyboardInterrupt

    monkeypatch.setattr(nasperf.search, "run_seeds", interrupted)
    out = tmp_path / "out"
    code, _, err = run(capsys, "search", "random", "-b", "nb201-digits", "--out", str(out))
    assert code == 130
    assert [ln for ln in err.splitlines() if ln.strip()] == [
        resume_line("interrupted", "finished seeds", out)
    ]


def test_two_workers_give_the_rows_of_one(tmp_path, capsys) -> None:
    base = ["evaluate", "-b", "nb201-digits", "-p", "xgb,lgb,gp,mlp", "--train-sizes", "10,20"]
    base += ["--test-size", "30", "--trials", "2"]
    frames = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        code, _, err = run(capsys, *base, "--workers", workers, "--out", str(out))
        assert code == 0, err
        frames.append(pd.read_csv(out / "rows.csv").drop(columns=["fit_time", "query_time"]))
    pd.testing.assert_frame_equal(*frames)
    assert len(frames[0]) == 2 * 2 * 4


def test_a_damaged_settings_file_is_one_line_naming_it(results, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    args = evaluate_args(results, "-p", "col:x1", "--trials", "1", "--out", str(out))
    assert run(capsys, *args)[0] == 0
    (out / SETTINGS_FILE).write_text("{not json")
    code, _, err = run(capsys, *args)
    assert_one_line_error(code, err, f"{out / SETTINGS_FILE} is not valid JSON")


def test_a_damaged_benchmark_meta_json_is_one_line_naming_it(tmp_path, capsys) -> None:
    bench = tmp_path / "bench"
    shutil.copytree(SHIPPED, bench)
    (bench / "meta.json").write_text('{"format": 1, "config": ')
    code, _, err = run(capsys, "evaluate", "-b", f"live:{bench}", "-p", "xgb", "--trials", "1")
    assert_one_line_error(code, err, str(bench / "meta.json"))


def test_other_settings_under_the_same_out_are_refused(results, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    common = ["-p", "col:x1", "--trials", "1", "--out", str(out)]
    assert run(capsys, *evaluate_args(results, *common))[0] == 0
    code, _, err = run(capsys, *evaluate_args(results, *common, "--seed", "3"))
    assert_one_line_error(code, err, "other settings (--seed)")


ESTIMATE = ["estimate", "--cells", "3", "--short-epochs", "1", "--epochs", "3", "--nb201-c", "4"]
ESTIMATE += ["--nb201-n", "1", "--limit", "200", "--batch-size", "64", "--probe-size", "32"]


def test_estimate_keeps_finished_cells_and_the_same_command_resumes(tmp_path, capsys, monkeypatch):
    pytest.importorskip("torch")
    path = tmp_path / "est.csv"
    code, _, err = run(capsys, *ESTIMATE, "--out", str(path))
    assert code == 0, err
    first = list(csv.DictReader(path.open()))
    assert len(first) == 3 and path.with_name("est.csv.meta.json").exists()

    # as if interrupted during the last cell: two rows kept, a third cut short
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:3]) + lines[3][:10])
    asked = []
    real = nasperf.search.estimate_cells

    def spy(config, archs, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        asked.append(list(archs))
        return real(config, archs, *args, **kwargs)

    monkeypatch.setattr(nasperf.search, "estimate_cells", spy)
    code, out, err = run(capsys, *ESTIMATE, "--out", str(path))
    assert code == 0, err
    assert asked == [[first[2]["arch"]]]  # only the missing cell was trained
    again = list(csv.DictReader(path.open()))
    assert [r["arch"] for r in again] == [r["arch"] for r in first]
    assert again[:2] == first[:2] and again[2]["status"] == "ok"

    asked.clear()
    assert run(capsys, *ESTIMATE, "--out", str(path))[0] == 0
    assert asked == []  # all done: nothing trained
    code, _, err = run(capsys, *ESTIMATE, "--k", "1", "--out", str(path))
    assert_one_line_error(code, err, "other settings (feature_history.k)")
