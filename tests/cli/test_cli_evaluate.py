"""``nasperf evaluate``: success paths, and bad input as one line with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import GOOD_CELL, assert_one_line_error, run, write_csv


def on_csv(path: Path, options: str, *more: str) -> list[str]:
    """``evaluate`` on the CSV ``path`` (target ``acc``) with ``options`` (split on spaces)."""
    return ["evaluate", "-b", f"csv:{path}", "--target", "acc", *options.split(), *more]


@pytest.fixture
def results(tmp_path: Path) -> Path:
    write_csv(tmp_path / "r.csv")
    return tmp_path / "r.csv"


def test_evaluate_csv_table_and_files(results: Path, tmp_path, capsys) -> None:
    out_dir = tmp_path / "out"
    options = "--predictors rf,col:x1 --train-sizes 10,20 --test-size 30 --trials 2"
    code, out, err = run(capsys, *on_csv(results, options, "--out", str(out_dir)))
    assert code == 0, err
    assert "kendall_tau" in out and "rf" in out and "col:x1" in out
    assert (out_dir / "plot.png").is_file() and (out_dir / "summary.csv").is_file()


def test_evaluate_json_format(results: Path, capsys) -> None:
    options = "-p col:x1 --train-sizes 0 --test-size all --trials 1 --format json"
    code, out, _ = run(capsys, *on_csv(results, options))
    assert code == 0
    data = json.loads(out)
    assert data["summary"][0]["kendall_tau_mean"] > 0.5 and data["pool_size"] == 60


def test_evaluate_json_format_still_writes_out(results: Path, tmp_path, capsys) -> None:
    out_dir = tmp_path / "out"
    options = "-p col:x1 --train-sizes 10 --test-size all --trials 1 --format json"
    code, out, _ = run(capsys, *on_csv(results, options, "--out", str(out_dir)))
    assert code == 0 and json.loads(out)["pool_size"] == 60
    assert (out_dir / "summary.csv").is_file()


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["-b", "nope"], "unknown benchmark 'nope'"),
        (["-p", "xgb,nope"], "unknown predictor 'nope'"),
        (["--train-sizes", "50", "--test-size", "30"], "exceeds the 60"),
        (["--train-sizes", "a,b"], "comma-separated integers"),
        (["--format", "xml"], "--format"),
        (["--metric", "accuracy"], "unknown metric"),
    ],
)
def test_bad_options(results: Path, tmp_path, capsys, extra: list[str], fragment: str) -> None:
    out_dir = tmp_path / "out"
    args = on_csv(results, "-p rf --train-sizes 10 --test-size 20 --trials 1 --out", str(out_dir))
    for key, value in zip(extra[::2], extra[1::2], strict=True):
        if key in args:
            args[args.index(key) + 1] = value
        else:
            args += [key, value]
    code, _, err = run(capsys, *args)
    assert_one_line_error(code, err, fragment)
    assert not out_dir.exists()  # nothing written half-way


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("id,x1,score\na,1,2\n", "no column 'acc'"),
        ("id,x1,acc\na,1,high\nb,2,low\n", "not numeric"),
        ("id,x1,acc\na,1,90\nb,2,\nc,3,91\n", "missing or infinite"),
    ],
)
def test_bad_csv(tmp_path, capsys, content: str, fragment: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    out_dir = tmp_path / "out"
    code, _, err = run(
        capsys, *on_csv(path, "-p rf --train-sizes 2 --test-size 2 --out", str(out_dir))
    )
    assert_one_line_error(code, err, fragment)
    assert not out_dir.exists()


def test_malformed_nb201_string(tmp_path, capsys) -> None:
    path = tmp_path / "cells.csv"
    path.write_text(f"arch_str,acc\n{GOOD_CELL},90\n|nor_conv_9x9~0|+|oops|,80\n")
    options = "--space nb201 -p xgb --train-sizes 2 --test-size 2"
    code, _, err = run(capsys, *on_csv(path, options))
    assert_one_line_error(code, err, "nor_conv_9x9")


def test_csv_without_target_option(capsys) -> None:
    code, _, err = run(capsys, "evaluate", "-b", "csv:x.csv", "-p", "rf")
    assert_one_line_error(code, err, "--target")


def test_help_lists_every_form_of_benchmark_name(capsys) -> None:
    code, out, _ = run(capsys, "evaluate", "--help")
    assert code == 0
    for form in ("nb201-DATASET", "nb201:PATH", "live:DIR", "csv:PATH", "col:-NAME"):
        assert form in out


def test_each_column_baseline_on_its_own_pool(tmp_path, capsys) -> None:
    rng = np.random.default_rng(0)
    lines = ["id,x1,x2,loss,acc"]
    for i in range(60):
        x1, x2 = rng.normal(size=2)
        loss = "" if i % 4 == 0 else f"{x2:.4f}"  # present on 45 of the 60 rows
        lines.append(f"c{i},{x1:.4f},{x2:.4f},{loss},{80 + 3 * x1 - x2:.4f}")
    path = tmp_path / "partial.csv"
    path.write_text("\n".join(lines) + "\n")
    options = "-p col:x1,col:-loss,rf --train-sizes 10 --test-size 12 --trials 1 --format json"
    allow = "--allow-results"  # a loss is a result of training: a baseline only when asked
    code, out, err = run(capsys, *on_csv(path, options, "--features", "x1,x2", allow))
    assert code == 0, err
    data = json.loads(out)
    assert data["pool_sizes"] == {"col:x1": 60, "col:-loss": 45, "rf": 60}
    minus = [r for r in data["summary"] if r["predictor"] == "col:-loss"][0]
    assert minus["kendall_tau_mean"] > 0  # lower loss, higher accuracy: a positive rank
    options = "-p col:x1,col:-loss --train-sizes 0 --test-size all --trials 1"
    code, out, err = run(capsys, *on_csv(path, options, allow))
    assert code == 0, err
    assert "pool per row" in out and "45" in out and "60" in out
