"""``stop_check``: Baker's rule fitted on finished runs, judging running jobs from files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nasperf.benchmarks import read_curves
from nasperf.exceptions import ConfigurationError, InvalidDataError
from nasperf.integrations.stop_check import CONTINUE, DONE, STOP, stop_check

EPOCHS = 10


def curve(level: float, epochs: int = EPOCHS) -> np.ndarray:
    t = np.arange(1, epochs + 1, dtype=float)
    return level - (level - 0.1) * t**-0.7


def write_runs(path: Path, runs: dict[str, tuple[float, int]], seed: int = 0) -> Path:
    """A long CSV: each run ``name -> (level, epochs)`` with val_acc, val_loss and lr."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, (level, epochs) in runs.items():
        acc = curve(level)[:epochs] + 0.003 * rng.normal(size=epochs)
        for e in range(epochs):
            rows.append((name, e + 1, acc[e], 2.3 * (1 - acc[e]), 0.01 + level / 10))
    pd.DataFrame(rows, columns=["run", "epoch", "val_acc", "val_loss", "lr"]).to_csv(
        path, index=False
    )
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    levels = np.random.default_rng(1).uniform(0.5, 0.9, size=30)
    done = {f"h{i}": (v, EPOCHS) for i, v in enumerate(levels)}
    history = write_runs(tmp_path / "done.csv", done)
    running = write_runs(
        tmp_path / "now.csv",
        {"bad": (0.45, 5), "leader": (0.97, 5), "middling": (0.75, 3), "finished": (0.8, EPOCHS)},
        seed=2,
    )
    return history, running


def test_bad_run_stops_and_leader_continues(files: tuple[Path, Path]) -> None:
    decisions = {d.run: d for d in stop_check(*files, delta=0.05)}
    bad, leader = decisions["bad"], decisions["leader"]
    assert bad.action == STOP and bad.probability < 0.05 and bad.epochs == 5
    assert leader.action == CONTINUE and leader.probability > 0.2
    assert bad.mean < leader.mean and bad.low < bad.mean < bad.high
    assert decisions["finished"].action == DONE and decisions["finished"].probability is None
    assert decisions["middling"].epochs == 3
    finals = pd.read_csv(files[0]).query(f"epoch == {EPOCHS}").val_acc
    assert bad.best == pytest.approx(finals.max()) and bad.last == pytest.approx(
        pd.read_csv(files[1]).query("run == 'bad'").val_acc.iloc[-1]
    )


def test_a_loss_gives_the_same_decisions_in_its_own_units(files: tuple[Path, Path]) -> None:
    acc = {d.run: d for d in stop_check(*files)}
    loss = {d.run: d for d in stop_check(*files, curve="val_loss")}
    assert {r: d.action for r, d in acc.items()} == {r: d.action for r, d in loss.items()}
    # a loss is reported as a loss: lower is better
    assert loss["leader"].mean < loss["bad"].mean and loss["bad"].best < loss["bad"].last
    assert loss["bad"].probability == pytest.approx(acc["bad"].probability, abs=0.05)


def test_a_diverged_running_job_is_stopped(files: tuple[Path, Path], tmp_path: Path) -> None:
    now = pd.read_csv(files[1])
    now.loc[(now.run == "leader") & (now.epoch == 5), ["val_acc", "val_loss"]] = np.nan
    now.to_csv(tmp_path / "nan.csv", index=False)
    decisions = {d.run: d for d in stop_check(files[0], tmp_path / "nan.csv")}
    assert decisions["leader"].action == STOP and decisions["leader"].epochs == 4
    assert "diverged" in decisions["leader"].reason


def test_a_job_diverged_from_the_start_is_listed_and_stopped(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    now = pd.read_csv(files[1])
    now.loc[now.run == "bad", ["val_acc", "val_loss"]] = np.nan  # never a finite value
    now.to_csv(tmp_path / "nan.csv", index=False)
    decisions = {d.run: d for d in stop_check(files[0], tmp_path / "nan.csv")}
    assert set(decisions) == {"bad", "leader", "middling", "finished"}
    assert decisions["bad"].action == STOP and decisions["bad"].epochs == 0
    assert "no finite value" in decisions["bad"].reason
    only = now[now.run == "bad"]
    only.to_csv(tmp_path / "only.csv", index=False)  # every running job diverged at once
    assert [d.action for d in stop_check(files[0], tmp_path / "only.csv")] == [STOP]


def test_a_metric_reported_every_few_epochs_is_not_a_divergence(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    now = pd.read_csv(files[1])
    now = now[now.run == "leader"].copy()
    now.loc[now.epoch % 2 == 1, ["val_acc", "val_loss"]] = np.nan  # validated every 2nd epoch
    now["train_loss"] = 1.0 / now.epoch  # reported every epoch
    now.to_csv(tmp_path / "sparse.csv", index=False)
    history = pd.read_csv(files[0]).assign(train_loss=lambda f: 1.0 / f.epoch)
    history.to_csv(tmp_path / "done.csv", index=False)
    (leader,) = stop_check(tmp_path / "done.csv", tmp_path / "sparse.csv")
    assert leader.action == CONTINUE and leader.epochs == 4  # epoch 5's value is not due yet
    now.loc[now.epoch == 4, ["val_acc", "val_loss"]] = np.nan  # a report overdue: diverged
    now.to_csv(tmp_path / "late.csv", index=False)
    (late,) = stop_check(tmp_path / "done.csv", tmp_path / "late.csv")
    assert late.action == STOP and "diverged" in late.reason


def test_curve_runs_are_accepted_and_inputs_checked(files: tuple[Path, Path],
                                                    tmp_path: Path) -> None:
    history = read_curves(files[0])
    assert len(stop_check(history, files[1], predictor="lc-br")) == 4
    few = write_runs(tmp_path / "few.csv", {"a": (0.6, EPOCHS), "b": (0.7, EPOCHS)})
    with pytest.raises(InvalidDataError, match="2 finished run.*needs at least 5"):
        stop_check(few, files[1])
    with pytest.raises(ConfigurationError, match="delta"):
        stop_check(*files, delta=1.5)
    with pytest.raises(ConfigurationError, match="level"):
        stop_check(*files, level=1.0)
    pd.read_csv(files[1]).drop(columns=["lr"]).to_csv(tmp_path / "nolr.csv", index=False)
    with pytest.raises(InvalidDataError, match="no configuration column 'lr'"):
        stop_check(files[0], tmp_path / "nolr.csv")
