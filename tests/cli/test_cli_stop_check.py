"""``nasperf stop-check`` and ``nasperf evaluate -b curves:PATH``: output, options, and bad
files as one line with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import assert_one_line_error, run


def write_runs(path: Path, levels: list[float], epochs: list[int], seed: int = 0) -> Path:
    """A long CSV of runs ``r0, r1, ...`` rising to ``levels`` over their ``epochs``."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, (level, n) in enumerate(zip(levels, epochs, strict=True)):
        t = np.arange(1, n + 1, dtype=float)
        acc = level - (level - 0.1) * t**-0.7 + 0.003 * rng.normal(size=n)
        rows += [(f"r{i}", e + 1, acc[e], 2.3 * (1 - acc[e]), 1 - acc[e] + 0.05)
                 for e in range(n)]
    pd.DataFrame(rows, columns=["run", "epoch", "val_acc", "val_loss", "train_loss"]).to_csv(
        path, index=False
    )
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    levels = list(np.random.default_rng(1).uniform(0.5, 0.9, size=40))
    done = write_runs(tmp_path / "done.csv", levels, [10] * 40)
    now = write_runs(tmp_path / "now.csv", [0.45, 0.97], [5, 5], seed=3)
    return done, now


def test_stop_check_table_and_json(files: tuple[Path, Path], capsys) -> None:  # noqa: ANN001
    code, out, err = run(capsys, "stop-check", "--history", str(files[0]), "--running",
                         str(files[1]))
    assert code == 0, err
    text = " ".join(out.split())  # the table wraps at the terminal's width
    assert "40 finished runs of 10 epochs" in text and "1 of 2 running jobs to stop" in text
    assert "STOP" in text and "P(beats best)" in text
    code, out, err = run(capsys, "stop-check", "--history", str(files[0]), "--running",
                         str(files[1]), "--curve", "val_loss", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["curve"] == "val_loss" and data["minimize"] is True and data["finished"] == 40
    actions = {d["run"]: d["action"] for d in data["decisions"]}
    assert actions == {"r0": "STOP", "r1": "CONTINUE"}


@pytest.mark.parametrize(
    "edit, extra, fragment",
    [
        (lambda f: f.drop(columns=["epoch"]), (), "no epoch column (epoch or epochs)"),
        (lambda f: pd.concat([f, f.head(1)]), (), "has epoch 1 twice"),
        (lambda f: f.assign(val_acc="x"), (), "curve column 'val_acc' in"),
        (lambda f: f, ("--curve", "val_f1"), "has no curve 'val_f1'"),
        (lambda f: f, ("--run-column", "trial"), "no run id column 'trial'"),
        (lambda f: f, ("--delta", "2"), "delta is a probability"),
        (lambda f: f, ("--format", "xml"), "--format must be"),
    ],
)
def test_stop_check_bad_input_is_one_line(files, tmp_path, capsys, edit, extra,  # noqa: ANN001
                                          fragment: str) -> None:
    edit(pd.read_csv(files[0])).to_csv(tmp_path / "bad.csv", index=False)
    code, _, err = run(capsys, "stop-check", "--history", str(tmp_path / "bad.csv"),
                       "--running", str(files[1]), *extra)
    assert_one_line_error(code, err, fragment)


def test_evaluate_curves_with_options(files: tuple[Path, Path], capsys) -> None:  # noqa: ANN001
    options = ["-p", "early-stop-acc,early-stop-loss,sotl-e,lce,lcsvr", "--fidelities", "2,5",
               "--train-sizes", "10", "--test-size", "20", "--trials", "1", "--format", "json"]
    code, out, err = run(capsys, "evaluate", "-b", f"curves:{files[0]}", "--curve", "val_loss",
                         *options)
    assert code == 0, err
    data = json.loads(out)
    assert data["pool_size"] == 40 and len(data["summary"]) == 10
    assert all(np.isfinite(row["kendall_tau_mean"]) for row in data["summary"])


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (("-b", "nb201-digits", "--curve", "val_loss"), "--curve only applies to curves:"),
        (("-b", "nb201-digits", "--minimize"), "--minimize only applies to curves:"),
        (("--run-column", "x"), "no run id column 'x'"),
        (("--curve", "nope"), "has no curve 'nope'"),
    ],
)
def test_evaluate_curves_bad_options(files, capsys, extra, fragment: str) -> None:  # noqa: ANN001
    args = ["evaluate", "-b", f"curves:{files[0]}", "-p", "early-stop-acc", "--train-sizes",
            "10", "--test-size", "20", "--trials", "1", *extra]
    code, _, err = run(capsys, *args)
    assert_one_line_error(code, err, fragment)


def test_search_on_curves_with_options(files: tuple[Path, Path], capsys) -> None:  # noqa: ANN001
    code, out, err = run(capsys, "search", "random", "-b", f"curves:{files[0]}", "--curve",
                         "val_loss", "--rule", "median", "--min-completed", "5")
    assert code == 0, err
    assert "random" in out and "curves:" in out
    code, _, err = run(capsys, "search", "hyperband", "-b", "nb201-digits", "--curve", "val_loss")
    assert_one_line_error(code, err, "--curve only applies to curves:")


def renamed(source: Path, path: Path, name: str, column: str = "val_loss") -> Path:
    """``source``'s runs with only ``column``, named ``name`` (a name that says no direction)."""
    frame = pd.read_csv(source)[["run", "epoch", column]].rename(columns={column: name})
    frame.to_csv(path, index=False)
    return path


def test_an_unnamed_loss_goes_its_runs_way_and_the_flags_win(files, tmp_path, capsys) -> None:  # noqa: ANN001
    done = renamed(files[0], tmp_path / "done.csv", "valid")
    now = renamed(files[1], tmp_path / "now.csv", "valid")
    code, out, err = run(capsys, "stop-check", "--history", str(done), "--running", str(now),
                         "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["curve"] == "valid" and data["minimize"] is True  # it falls in every run
    assert data["best"] < 1.0  # the lowest final loss, not the highest
    actions = {d["run"]: d["action"] for d in data["decisions"]}
    assert actions == {"r0": "STOP", "r1": "CONTINUE"}  # as with --curve val_loss
    code, out, err = run(capsys, "stop-check", "--history", str(done), "--running", str(now),
                         "--maximize", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["minimize"] is False  # an explicit choice wins


def test_an_unnamed_metric_its_runs_do_not_settle_is_one_line(files, tmp_path, capsys) -> None:  # noqa: ANN001
    frame = pd.read_csv(files[0])
    odd = frame["run"].str[1:].astype(int) % 2 == 1  # half the runs a loss, half an accuracy
    frame["metric"] = frame["val_acc"].where(~odd, frame["val_loss"])
    frame[["run", "epoch", "metric"]].to_csv(tmp_path / "mixed.csv", index=False)
    now = renamed(files[1], tmp_path / "now.csv", "metric", "val_acc")
    fragment = "is 'metric' better lower or higher? Its name does not say"
    evaluate = ["evaluate", "-b", f"curves:{tmp_path / 'mixed.csv'}", "-p", "early-stop-acc",
                "--train-sizes", "10", "--test-size", "20", "--trials", "1"]
    for args in (
        ["stop-check", "--history", str(tmp_path / "mixed.csv"), "--running", str(now)],
        evaluate,
        ["search", "random", "-b", f"curves:{tmp_path / 'mixed.csv'}", "--queries", "5"],
    ):
        code, _, err = run(capsys, *args)
        assert_one_line_error(code, err, fragment)
        assert "pass --minimize or --maximize" in err
    code, out, err = run(capsys, *evaluate, "--maximize", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["pool_size"] == 40


def test_search_on_a_loss_names_it_in_its_own_units(files, capsys) -> None:  # noqa: ANN001
    code, out, err = run(capsys, "search", "random", "-b", f"curves:{files[0]}", "--curve",
                         "val_loss", "--queries", "10")
    assert code == 0, err
    text = " ".join(out.split())
    assert "(val_loss: lower is better)" in text and "final val acc" not in text
    header = next(line for line in out.splitlines() if line.startswith("┃"))
    row = next(line for line in out.splitlines() if line.startswith("│"))
    values = dict(zip((c.strip() for c in header.strip("┃").split("┃")),
                      (c.strip() for c in row.strip("│").split("│")), strict=True))
    assert 0 < float(values["final val_loss"]) == float(values["true final"]) < 2.3


@pytest.mark.parametrize("predictor", ["lc-pfn", "lc-pfn-study"])
def test_stop_check_with_the_curve_pfn(files, capsys, predictor: str) -> None:  # noqa: ANN001
    code, out, err = run(capsys, "stop-check", "--history", str(files[0]), "--running",
                         str(files[1]), "--predictor", predictor, "--format", "json")
    assert code == 0, err
    rows = {d["run"]: d for d in json.loads(out)["decisions"]}
    # the job heading for 0.97 is more likely to beat the best (~0.9) than the one for 0.45
    assert rows["r1"]["probability"] > rows["r0"]["probability"]
    assert rows["r1"]["action"] == "CONTINUE"
    if predictor == "lc-pfn-study":  # the single-curve form's tails are too wide at Δ = 0.05
        assert rows["r0"]["action"] == "STOP"
    assert all(0.0 <= d["mean"] <= 1.0 for d in rows.values())
