"""``nasperf estimate``: --epochs is the full run, --short-epochs the budget E."""

from __future__ import annotations

import csv

import pytest
from cli_helpers import assert_one_line_error, run

import nasperf.cli.estimate
import nasperf.search


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list:
    """What ``estimate`` hands :func:`estimate_cells` (which returns no rows)."""
    seen = []

    def estimate_cells(config, archs, executor, settings, seed, *_, **__):  # noqa: ANN001, ANN002, ANN003, ANN202
        seen.append((config, archs, settings, seed))
        return []

    monkeypatch.setattr(nasperf.search, "estimate_cells", estimate_cells)
    monkeypatch.setattr(nasperf.cli.estimate, "check_data", lambda config: None)  # no data read
    return seen


def test_defaults(capsys, calls) -> None:
    code, out, err = run(capsys, "estimate")
    assert code == 0, err
    ((config, archs, settings, seed),) = calls
    assert (config.epochs, settings.epochs, len(archs), seed) == (30, 2, 100, 0)
    assert (config.C, config.N, config.val_fraction, config.limit) == (16, 5, 0.1, None)
    assert config.train.batch_size == 256 and config.proxies == ()
    assert "E=2" in out


def test_options_reach_the_settings(capsys, calls) -> None:
    args = ["--short-epochs", "1", "--epochs", "3", "--variant", "consensus", "--k", "1"]
    args += ["--probe-size", "32", "--cells", "4", "--seed", "2", "--dataset", "mnist"]
    code, _, err = run(capsys, "estimate", *args)
    assert code == 0, err
    ((config, archs, settings, seed),) = calls
    assert (config.epochs, config.dataset, len(archs), seed) == (3, "mnist", 4, 2)
    assert (settings.epochs, settings.variant, settings.k, settings.probe_size) == (
        1,
        "consensus",
        1,
        32,
    )


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--full-epochs", "30"], "--full-epochs is now --epochs"),
        (["--method", "sotl"], "unknown method 'sotl'"),
        (["--variant", "mean"], "variant"),
        (["--short-epochs", "0"], "epochs"),
        (["--val-fraction", "0"], "--val-fraction"),
    ],
)
def test_bad_input_before_any_training(capsys, calls, args: list[str], fragment: str) -> None:
    code, _, err = run(capsys, "estimate", *args)
    assert_one_line_error(code, err, fragment)
    assert calls == []


def test_a_short_budget_longer_than_the_full_run(capsys) -> None:
    code, _, err = run(capsys, "estimate", "--short-epochs", "5", "--epochs", "3", "--cells", "1")
    assert_one_line_error(code, err, "longer than a full run")


def test_estimates_of_real_cells(tmp_path, capsys) -> None:
    pytest.importorskip("torch")
    path = tmp_path / "est.csv"
    args = ["--cells", "2", "--short-epochs", "1", "--epochs", "3", "--nb201-c", "4"]
    args += ["--nb201-n", "1", "--limit", "200", "--batch-size", "64", "--probe-size", "32"]
    code, out, err = run(capsys, "estimate", *args, "--out", str(path))
    assert code == 0, err
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 2 and all(r["status"] == "ok" and float(r["estimate"]) > 0 for r in rows)
    assert rows[0].keys() >= {"est_concat", "est_consensus", "est_ema"}


def test_progress_counts_the_cells(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    import nasperf.cli.estimate as command

    seen: dict[str, list] = {}

    class Bar:
        def __enter__(self) -> Bar:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def add_task(self, description: str, total: float | None = None) -> str:
            seen[description] = [total, 0]
            return description

        def update(self, task: str, completed: float) -> None:
            seen[task][1] = completed

    def estimate_cells(config, archs, executor, *_, on_cell=None, **__):  # noqa: ANN001, ANN002, ANN003, ANN202
        for i in range(len(archs)):
            on_cell(i + 1, len(archs))
        return []

    monkeypatch.setattr(command, "progress", Bar)
    monkeypatch.setattr(nasperf.search, "estimate_cells", estimate_cells)
    code, _, err = run(capsys, "estimate", "--cells", "3")
    assert code == 0, err
    assert seen == {"estimating 3 cells": [3, 3]}  # done/total, not 0/?
