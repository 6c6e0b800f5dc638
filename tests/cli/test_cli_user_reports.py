"""Bad cases a new user found: a target that changed silently, constant predictions read as
τ 0, results of training as baselines, a csv: table that could not be searched, a
semicolon-separated curves file, options named after internal fields, and a running job longer
than the history of stop-check."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import assert_one_line_error, run, write_csv


def write_curves(path: Path, *, runs: int = 30, epochs: int = 10, diverge_after: int | None = None,
                 rename: str | None = None, sep: str = ",") -> Path:  # fmt: skip
    """A long CSV of ``runs`` rising runs (val_acc in %, val_loss, train_loss); every run's
    validation metrics NaN after ``diverge_after``; val_acc named ``rename``."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(runs):
        level = rng.uniform(0.5, 0.9)
        acc = level - (level - 0.1) * np.arange(1, epochs + 1) ** -0.7
        for e in range(epochs):
            gone = diverge_after is not None and e + 1 > diverge_after
            val = (np.nan, np.nan) if gone else (100 * acc[e], 2.3 * (1 - acc[e]))
            rows.append((f"r{i}", e + 1, *val, 1.05 - acc[e]))
    frame = pd.DataFrame(rows, columns=["run", "epoch", "val_acc", "val_loss", "train_loss"])
    frame.rename(columns={"val_acc": rename or "val_acc"}).to_csv(path, index=False, sep=sep)
    return path


ONE_TRIAL = ["--train-sizes", "0", "--test-size", "all", "--trials", "1"]


def evaluate_curves(path: Path, *more: str) -> list[str]:
    return ["evaluate", "-b", f"curves:{path}", "-p", "early-stop-acc", *ONE_TRIAL, *more]


# -- 1. the target does not change silently ------------------------------------------------------
def test_runs_that_all_diverge_early_need_the_target_epoch_named(tmp_path, capsys) -> None:
    path = write_curves(tmp_path / "diverged.csv", diverge_after=5)
    code, _, err = run(capsys, *evaluate_curves(path))
    assert_one_line_error(code, err, "--target-epoch 5")
    assert "go on to epoch 10" in err
    code, _, err = run(capsys, "search", "hyperband", "-b", f"curves:{path}", "--budget", "100")
    assert_one_line_error(code, err, "--target-epoch 5")
    out_dir = tmp_path / "out"
    code, out, err = run(capsys, *evaluate_curves(path, "--target-epoch", "5", "--out",
                                                  str(out_dir)))  # fmt: skip
    assert code == 0, err
    assert "target val_acc (epoch 5)" in " ".join(out.split())
    assert json.loads((out_dir / "result.json").read_text())["target"] == "val_acc (epoch 5)"


def test_a_renamed_val_acc_does_not_fall_back_to_val_loss(tmp_path, capsys) -> None:
    path = write_curves(tmp_path / "renamed.csv", rename="val_top1")
    code, _, err = run(capsys, *evaluate_curves(path))
    assert_one_line_error(code, err, "--curve")
    assert "val_top1" in err and "val_loss" in err
    code, out, err = run(capsys, *evaluate_curves(path, "--curve", "val_loss", "--format", "json"))
    assert code == 0, err
    assert json.loads(out)["target"] == "-val_loss (epoch 10)"
    code, out, err = run(capsys, *evaluate_curves(path, "--curve", "val_top1"))
    assert code == 0, err
    assert "target val_top1 (epoch 10)" in " ".join(out.split())


def test_a_file_of_losses_still_falls_back_to_val_loss(tmp_path, capsys) -> None:
    frame = pd.read_csv(write_curves(tmp_path / "c.csv")).drop(columns=["val_acc"])
    frame.to_csv(tmp_path / "losses.csv", index=False)
    code, out, err = run(capsys, "evaluate", "-b", f"curves:{tmp_path / 'losses.csv'}", "-p",
                         "early-stop-loss", *ONE_TRIAL, "--format", "json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["target"] == "-val_loss (epoch 10)"


# -- 2. constant predictions: undefined, not τ 0 -------------------------------------------------
@pytest.fixture
def flat_csv(tmp_path: Path) -> Path:
    """x1 follows acc; ``flat`` is one value everywhere; ``half`` is one value on odd rows."""
    rng = np.random.default_rng(0)
    lines = ["id,x1,flat,half,acc"]
    for i in range(40):
        x1 = rng.normal()
        half = 1.0 if i % 2 else x1
        lines.append(f"c{i},{x1:.4f},1.0,{half:.4f},{80 + 3 * x1 + rng.normal():.4f}")
    path = tmp_path / "flat.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_constant_predictions_leave_tau_undefined(flat_csv: Path, tmp_path, capsys,
                                                  caplog) -> None:  # fmt: skip
    args = ["evaluate", "-b", f"csv:{flat_csv}", "--target", "acc", "-p",
            "col:half,col:flat,col:x1", "--train-sizes", "0", "--test-size", "3", "--trials", "8"]
    code, out, err = run(capsys, *args, "--out", str(tmp_path / "ev"))
    assert code == 0, err
    text = caplog.text
    assert "col:flat: constant predictions in 8 of 8 trials" in text
    assert "col:half: constant predictions in 2 of 8 trials" in text
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if "col:" in line}
    assert "n/a" in rows["col:flat"] and "0.000±0.000" not in rows["col:flat"]
    assert "(6/8)" in rows["col:half"] and "(" not in rows["col:x1"].split("│")[2]
    code, out, err = run(capsys, *args, "--format", "json")
    assert code == 0, err
    summary = {r["predictor"]: r for r in json.loads(out)["summary"]}
    assert summary["col:flat"]["kendall_tau_mean"] is None
    assert summary["col:flat"]["constant_trials"] == 8
    assert summary["col:half"]["constant_trials"] == 2
    assert summary["col:flat"]["mae_mean"] is not None  # an error is defined for one value
    code, out, err = run(capsys, "map", str(tmp_path / "ev"), "--out", str(tmp_path / "map"))
    assert code == 0, err
    assert "left out of the map" in caplog.text and "col:flat n=0" in caplog.text
    assert "col:flat" not in out


# -- 3. results of training are not baselines ----------------------------------------------------
def test_result_columns_are_refused_as_baselines(tmp_path, capsys) -> None:
    rng = np.random.default_rng(0)
    lines = ["id,x1,best_val_acc,val_acc_mean,acc"]
    for i in range(40):
        x1 = rng.normal()
        acc = 80 + 3 * x1 + rng.normal()
        lines.append(f"c{i},{x1:.4f},{acc + 0.3 * rng.normal():.4f},{acc:.4f},{acc:.4f}")
    path = tmp_path / "results.csv"
    path.write_text("\n".join(lines) + "\n")
    base = ["evaluate", "-b", f"csv:{path}", "--target", "acc", *ONE_TRIAL]
    for column in ("best_val_acc", "val_acc_mean"):
        code, _, err = run(capsys, *base, "-p", f"col:x1,col:{column}")
        assert_one_line_error(code, err, "--allow-results")
        assert column in err
    code, out, err = run(capsys, *base, "-p", "col:x1,col:best_val_acc", "--allow-results")
    assert code == 0, err
    assert "col:best_val_acc" in out


# -- 4. a csv: table can be searched -------------------------------------------------------------
def test_search_on_a_csv_table(tmp_path, capsys) -> None:
    write_csv(tmp_path / "t.csv")
    table = f"csv:{tmp_path / 't.csv'}"
    code, _, err = run(capsys, "search", "random", "-b", table, "--queries", "10")
    assert_one_line_error(code, err, "--target COLUMN")
    code, out, err = run(capsys, "search", "random", "-b", table, "--target", "acc", "--queries",
                         "10")  # fmt: skip
    assert code == 0, err
    assert "random" in out and "t.csv" in out
    assert "final acc" in out and "val acc" not in out  # the table names the column searched
    code, _, err = run(capsys, "search", "re", "-b", table, "--target", "acc", "--queries", "40")
    assert_one_line_error(code, err, "use search random")


# -- 5. a semicolon-separated curves file --------------------------------------------------------
def test_semicolon_separated_curves_are_read(tmp_path, capsys) -> None:
    path = write_curves(tmp_path / "semi.csv", sep=";")
    code, out, err = run(capsys, *evaluate_curves(path, "--format", "json"))
    assert code == 0, err
    assert json.loads(out)["target"] == "val_acc (epoch 10)"


# -- 6., 7. messages name the options, not the fields of internal classes -------------------------
def nb201_table(path: Path, n: int = 40) -> Path:
    """A csv: table of ``n`` NB201 cells (``--space nb201``) with an accuracy."""
    from nasperf.spaces import get_space

    space, rng = get_space("nb201"), np.random.default_rng(0)
    cells = list(dict.fromkeys(str(space.sample(rng)) for _ in range(3 * n)))[:n]
    lines = ["id,acc"] + [f"{c},{80 + rng.normal():.4f}" for c in cells]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_bananas_batch_names_the_option(tmp_path, capsys) -> None:
    table = f"csv:{nb201_table(tmp_path / 'cells.csv')}"
    code, _, err = run(capsys, "search", "bananas", "-b", table, "--target", "acc", "--space",
                       "nb201", "--queries", "20", "--batch", "0")  # fmt: skip
    assert_one_line_error(code, err, "--batch must be an integer >= 1, got 0")
    assert "BANANAS" not in err and "k=" not in err


@pytest.mark.parametrize(
    "option, fragment",
    [
        (("--epochs", "0"), "--epochs must be an integer >= 1, got 0"),
        (("--batch-size", "0"), "--batch-size must be an integer >= 1"),
        (("--nb201-c", "0"), "--nb201-c must be an integer >= 1"),
        (("--size", "-3"), "--size must be an integer >= 1, got -3"),
        (("--val-fraction", "2"), "--val-fraction must be"),
    ],
)
def test_make_benchmark_messages_name_options(tmp_path, capsys, option, fragment) -> None:
    code, _, err = run(capsys, "make-benchmark", "--out", str(tmp_path / "b"), *option)
    assert_one_line_error(code, err, fragment)
    assert "Config" not in err and "e.g." not in err


# -- 8. stop-check: a running job longer than the history ----------------------------------------
def test_stop_check_says_a_job_ran_past_the_history(tmp_path, capsys, caplog) -> None:
    history = write_curves(tmp_path / "done.csv", epochs=10)
    frame = pd.read_csv(write_curves(tmp_path / "long.csv", runs=2, epochs=15))
    frame[~((frame["run"] == "r1") & (frame["epoch"] > 5))].to_csv(tmp_path / "now.csv",
                                                                    index=False)  # fmt: skip
    args = ["stop-check", "--history", str(history), "--running", str(tmp_path / "now.csv")]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert "r0 ran 15 epochs, past the 10 of the history" in caplog.text
    code, out, err = run(capsys, *args, "--format", "json")
    assert code == 0, err
    decisions = {d["run"]: d for d in json.loads(out)["decisions"]}
    assert decisions["r0"]["action"] == "DONE" and decisions["r0"]["epochs"] == 15
    assert "past the 10" in decisions["r0"]["reason"]
    assert decisions["r1"]["action"] in ("STOP", "CONTINUE")


def test_sample_and_estimate_on_a_table_keeps_epochs_and_simulated_seconds_apart(
    tmp_path, capsys
) -> None:
    """Reported: simulated time shown as epochs (200/396 with one job in flight, 100/198 with
    two). Epochs are work and do not depend on how many jobs run at once; the simulated
    seconds do, and each has its own column."""
    traces = {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        code, _, _ = run(capsys, "search", "sample-and-estimate", "-b", "nb201-digits",
                         "--estimator", "early-stop-acc", "--in-flight", str(jobs),
                         "--out", str(out))  # fmt: skip
        assert code == 0
        traces[jobs] = pd.read_csv(out / "trace.csv").iloc[-1]
        summary = pd.read_csv(out / "summary.csv")
        assert {"epochs", "seconds"} <= set(summary.columns)
    assert traces[1]["epochs"] == traces[2]["epochs"]
    assert traces[2]["seconds"] < 0.7 * traces[1]["seconds"]
