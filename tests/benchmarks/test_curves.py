"""``curves:PATH``: a user's own learning curves (long CSV, JSON lines, cells.jsonl) as a
benchmark; imperfect runs handled and counted; bad files as one clear error."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nasperf.benchmarks import (
    BENCHMARKS,
    live_benchmark_dir,
    load_benchmark,
    read_curves,
    write_curves,
)
from nasperf.evaluation import ProtocolConfig, evaluate_predictors
from nasperf.exceptions import ConfigurationError, DataNotFoundError, InvalidDataError
from nasperf.search import BakerRule, MedianRule, TabularBackend, permuted, random_search


@pytest.fixture(scope="module")
def digits():  # noqa: ANN201 - the shipped benchmark
    return load_benchmark("nb201-digits")


@pytest.fixture(scope="module")
def digits_csv(digits, tmp_path_factory) -> Path:  # noqa: ANN001
    """nb201-digits' curves and scores exported as a long CSV (a row per cell and epoch)."""
    return write_curves(tmp_path_factory.mktemp("curves") / "digits.csv", digits.records())


def toy(path: Path, rows: list[tuple]) -> Path:
    """A long CSV of ``(run, epoch, val_acc, val_loss, lr)`` rows."""
    frame = pd.DataFrame(rows, columns=["run", "epoch", "val_acc", "val_loss", "lr"])
    frame.to_csv(path, index=False)
    return path


def full_run(name: str, level: float, epochs: int = 5, lr: float = 0.1) -> list[tuple]:
    return [(name, e, level * e / epochs, 2.0 / e, lr) for e in range(1, epochs + 1)]


def test_registered_beside_csv() -> None:
    assert "curves:PATH" in BENCHMARKS.patterns
    with pytest.raises(ConfigurationError, match="curve only apply to curves: benchmarks"):
        load_benchmark("nb201-digits", curve="val_loss")


def test_long_csv_export_reads_back_the_same_records(digits, digits_csv: Path) -> None:
    bench = load_benchmark(f"curves:{digits_csv}", space="nb201")
    assert (bench.name, bench.max_fidelity, len(bench)) == ("curves:digits.csv", 30, 300)
    assert bench.target_name == "val_acc (epoch 30)" and bench.target_curve == "val_acc"
    for old, new in zip(digits.records(), bench.records(), strict=True):
        assert new.arch == old.arch and new.target == pytest.approx(old.target)
        assert set(new.curves) == set(old.curves)
        for name, values in old.curves.items():
            np.testing.assert_allclose(new.curves[name], values)
        assert new.scores == pytest.approx(old.scores)
    # the metric of a candidate at an epoch, and its cost from the recorded epoch times
    rec = bench.records()[0]
    assert bench.metric(rec.arch, 3) == pytest.approx(rec.curves["val_acc"][2])
    assert bench.cost(rec.arch, 30) == pytest.approx(digits.cost(rec.arch, 30))


def test_loss_target_is_negated_and_predictors_run(digits_csv: Path) -> None:
    bench = load_benchmark(f"curves:{digits_csv}", curve="val_loss")
    rec = bench.records()[0]
    assert bench.target_curve == "-val_loss" and bench.target_name == "-val_loss (epoch 30)"
    assert rec.target == pytest.approx(-rec.curves["val_loss"][-1])
    np.testing.assert_allclose(rec.curves["-val_loss"], -rec.curves["val_loss"])
    names = ["early-stop-acc", "early-stop-loss", "sotl", "sotl-e", "lce", "lcsvr", "lc-rf",
             "lc-br"]
    from nasperf.benchmarks import on_target_curve
    from nasperf.predictors import make_predictor

    preds = on_target_curve({n: make_predictor(n) for n in names}, bench.target_curve)
    assert preds["lcsvr"].curve == "-val_loss" and preds["early-stop-loss"].curve == "val_loss"
    config = ProtocolConfig(train_sizes=(20,), test_size=40, trials=1, fidelities=(3,))
    frame = evaluate_predictors(bench, preds, config).frame().set_index("predictor")
    assert len(frame) == len(names) and frame["kendall_tau"].notna().all()
    # the early-stop value of the target's curve is that of the loss, sign included
    assert frame.at["early-stop-acc@3", "kendall_tau"] == frame.at["early-stop-loss@3",
                                                                    "kendall_tau"]
    assert frame.at["early-stop-loss@3", "kendall_tau"] > 0.2


def test_searches_and_rules_run_on_a_loss_only_file(digits_csv: Path, tmp_path: Path) -> None:
    frame = pd.read_csv(digits_csv)[["run", "epoch", "val_loss", "train_loss", "epoch_time"]]
    frame.to_csv(tmp_path / "loss.csv", index=False)
    bench = load_benchmark(f"curves:{tmp_path / 'loss.csv'}")  # loss: minimised, inferred
    assert bench.target_curve == "-val_loss" and bench.space == "custom"
    archs = list(permuted([r.arch for r in bench.records()], 0))[:40]
    best = max(bench.query(a).target for a in archs)
    for rule in (BakerRule(min_completed=5, predictor_params={"n_iter": 3, "residual": True}),
                 MedianRule(min_completed=5)):
        res = random_search(TabularBackend(bench), archs, rule=rule)
        assert res.best_value == bench.query(res.best_arch).target <= 0  # minus a loss
        assert res.best_value >= best - 0.05 and rule.decisions > 0


def test_json_lines_per_run_and_per_epoch(tmp_path: Path) -> None:
    runs = [{"run": f"r{i}", "lr": 0.1 * (i + 1), "opt": "sgd" if i % 2 else "adam",
             "curves": {"val_acc": [0.1 * i, 0.2 * i, 0.3 * i]}, "train_loss": [3, 2, 1 - i / 9]}
            for i in range(6)]
    per_run = tmp_path / "runs.jsonl"
    per_run.write_text("".join(json.dumps(r) + "\n" for r in runs))
    per_epoch = tmp_path / "epochs.jsonl"
    per_epoch.write_text("".join(
        json.dumps({"run": r["run"], "epoch": e + 1, "lr": r["lr"], "opt": r["opt"],
                    "val_acc": r["curves"]["val_acc"][e], "train_loss": r["train_loss"][e]}) + "\n"
        for r in runs for e in range(3)
    ))
    a, b = (load_benchmark(f"curves:{p}") for p in (per_run, per_epoch))
    assert len(a) == len(b) == 6 and a.max_fidelity == b.max_fidelity == 3
    assert a.runs.feature_names == b.runs.feature_names == ("lr", "opt=adam", "opt=sgd")
    for x, y in zip(a.records(), b.records(), strict=True):
        assert x.arch == y.arch and x.target == pytest.approx(y.target)
        np.testing.assert_allclose(x.features, y.features)
        np.testing.assert_allclose(x.curves["train_loss"], y.curves["train_loss"])


def test_cells_jsonl_of_make_benchmark(digits, tmp_path: Path) -> None:
    shutil.copy(live_benchmark_dir("nb201-digits") / "cells.jsonl", tmp_path / "cells.jsonl")
    for name in (f"curves:{tmp_path}", f"curves:{tmp_path / 'cells.jsonl'}"):
        bench = load_benchmark(name)
        assert bench.space == "nb201" and len(bench) == len(digits) and bench.max_fidelity == 30
        for old in digits.records():
            new = bench.query(old.arch)
            assert new.target == pytest.approx(old.target)
            assert new.scores["params_m"] == old.scores["params_m"]
        assert "index" not in bench.runs.feature_names and "seed" not in bench.runs.feature_names


def test_ragged_stopped_and_diverged_runs_are_counted(tmp_path: Path, caplog) -> None:  # noqa: ANN001
    rows = full_run("a", 0.9) + full_run("b", 0.8) + full_run("c", 0.7)
    rows += full_run("short", 0.95)[:3]  # stopped early at epoch 3
    rows += [r if r[1] < 4 else (r[0], r[1], np.nan, np.inf, r[4]) for r in full_run("div", 0.5)]
    gap = full_run("gap", 0.6)
    rows += [gap[0], gap[1], gap[3], gap[4]]  # epoch 3 missing
    rows += [(r[0], r[1], np.nan, r[3], r[4]) for r in full_run("empty", 0.5)]
    path = toy(tmp_path / "t.csv", rows)
    with caplog.at_level(logging.WARNING, logger="nasperf"):
        bench = load_benchmark(f"curves:{path}")
    counts = bench.runs.counts
    assert (counts.runs, counts.complete, counts.short, counts.diverged) == (7, 4, 2, 1)
    assert (counts.filled, counts.empty) == (1, 1)
    assert sorted(r.arch for r in bench.records()) == ["a", "b", "c", "gap"]
    partial = {r.arch: r for r in bench.runs.partial()}
    assert partial["short"].info["epochs"] == 3 and partial["div"].info["epochs"] == 3
    assert partial["div"].info["diverged"] and partial["div"].target is None
    assert len(partial["div"].curves["val_loss"]) == 3  # every curve cut at the divergence
    np.testing.assert_allclose(bench.query("gap").curves["val_acc"], [0.12, 0.24, 0.36, 0.48, 0.6])
    line = caplog.records[-1].getMessage()
    assert "7 runs, 4 complete (5 epochs)" in line and "1 diverged" in line
    assert "1 with missing epochs filled" in line and "1 without a finite value" in line


def test_epochs_from_zero_time_and_aliases(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "trial_id": np.repeat(["x", "y", "z"], 3), "epoch_idx": np.tile([0, 1, 2], 3),
        "val_accuracy": [0.1, 0.5, 0.6, 0.2, 0.3, 0.4, 0.3, 0.6, 0.9],
        "loss": [2.0, 1.0, 0.5] * 3, "time": [1.0, 3.0, 6.0] * 3,
    })
    frame.to_csv(tmp_path / "k.csv", index=False)
    bench = load_benchmark(f"curves:{tmp_path / 'k.csv'}", epoch_column="epoch_idx")
    rec = bench.query("z")
    assert rec.target == 0.9 and set(rec.curves) == {"val_acc", "train_loss", "epoch_time"}
    np.testing.assert_allclose(rec.curves["epoch_time"], [1.0, 2.0, 3.0])
    assert bench.cost("z", 2) == pytest.approx(3.0)


def test_target_column_and_minimize(tmp_path: Path) -> None:
    rows = [r + (10.0 * i,) for i in range(4) for r in full_run(f"r{i}", 0.5 + 0.1 * i)]
    frame = pd.DataFrame(rows, columns=["run", "epoch", "val_acc", "val_loss", "lr", "test_err"])
    frame.to_csv(tmp_path / "t.csv", index=False)
    bench = load_benchmark(f"curves:{tmp_path / 't.csv'}", target="test_err")
    assert bench.target_name == "-test_err" and bench.query("r3").target == -30.0
    assert bench.target_curve == "val_acc"  # the curve's direction: from its own name
    up = load_benchmark(f"curves:{tmp_path / 't.csv'}", target="test_err", minimize=False)
    assert up.query("r3").target == 30.0 and up.target_curve == "val_acc"
    down = load_benchmark(f"curves:{tmp_path / 't.csv'}", curve="val_acc", minimize=True)
    assert down.target_curve == "-val_acc" and down.query("r3").target == -0.8


@pytest.mark.parametrize(
    "content, options, fragment",
    [
        ("epoch,val_acc\n1,0.5\n", {}, "no run id column (run or run_id"),
        ("run,val_acc\na,0.5\n", {}, "no epoch column (epoch or epochs)"),
        ("run,epoch,val_acc\na,1,0.5\n", {"run_column": "trial"}, "no run id column 'trial'"),
        ("run,epoch,val_acc\na,1,0.5\na,1,0.6\n", {}, "run 'a' has epoch 1 twice (row 2)"),
        ("run,epoch,val_acc\na,1.5,0.5\n", {}, "holds 1.5 at row 1; epochs are whole"),
        ("run,epoch,val_acc\na,one,0.5\n", {}, "epoch column 'epoch' in"),
        ("run,epoch,val_acc\na,1,high\n", {}, "curve column 'val_acc' in"),
        ("run,epoch,val_acc\na,1,0.5\n", {"curve": "val_loss"}, "has no curve 'val_loss'"),
        ("run,epoch,a,b\nr,1,0.5,1\nr,2,0.6,2\n", {}, "which curve holds the target? name it"),
        ("run,epoch,val_acc\na,1,0.5\n", {"target": "nope"}, "has no target column 'nope'"),
        ("run,epoch,val_acc\na,1,0.5\n", {"features": ["lr"]}, "no configuration column 'lr'"),
        ("run,epoch,val_acc\na,1,\n", {}, "no run has a finite value of 'val_acc'"),
        ('{"run": "a", "val_acc": [1]}\n{"run": "b", "epoch": 1}\n', {}, "mixes objects"),
        ('{"run": "a", "val_acc": [1]}\n[1]\n', {}, "line 2 is not a JSON object"),
    ],
)
def test_bad_files_are_one_clear_error(tmp_path: Path, content: str, options: dict,
                                       fragment: str) -> None:
    path = tmp_path / ("bad.jsonl" if content.startswith("{") else "bad.csv")
    path.write_text(content)
    with pytest.raises(InvalidDataError) as info:
        read_curves(path, **options)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_no_complete_run(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="not found"):
        load_benchmark(f"curves:{tmp_path / 'nope.csv'}")
    path = toy(tmp_path / "t.csv", full_run("a", 0.9)[:2] + full_run("b", 0.9)[:3])
    with pytest.raises(InvalidDataError, match="no run reaches 4 epochs of 'val_acc'"):
        load_benchmark(f"curves:{path}", full=4)


# -- which way is better, and exploding losses ---------------------------------------------------
def unnamed(path: Path, name: str, runs: dict[str, list[float]]) -> Path:
    """A long CSV of ``run, epoch, NAME`` rows: each run's values in epoch order."""
    rows = [(run, e, v) for run, values in runs.items() for e, v in enumerate(values, start=1)]
    pd.DataFrame(rows, columns=["run", "epoch", name]).to_csv(path, index=False)
    return path


def falling(i: int) -> list[float]:
    return [2.0 / e + 0.1 * i for e in range(1, 6)]


def rising(i: int) -> list[float]:
    return [0.1 * e + 0.01 * i for e in range(1, 6)]


@pytest.mark.parametrize(
    "name, minimize",
    [("val_loss", True), ("top1_err", True), ("valid_mse", True), ("trainPerplexity", True),
     ("nll", True), ("val_acc", False), ("roc_auc", False), ("F1", False), ("valAccuracy", False),
     ("valid", None), ("score", None), ("metric", None), ("acc_loss", None)],
)
def test_the_name_settles_the_direction_where_it_says_it(name: str, minimize) -> None:  # noqa: ANN001
    from nasperf.benchmarks._direction import named_direction

    assert named_direction(name) is minimize


def test_an_unnamed_metric_goes_its_runs_way_said_in_a_line(tmp_path: Path, caplog) -> None:  # noqa: ANN001
    loss = unnamed(tmp_path / "l.csv", "valid", {f"r{i}": falling(i) for i in range(6)})
    with caplog.at_level(logging.INFO, logger="nasperf"):
        runs = read_curves(loss)
    assert runs.minimize and runs.target_curve == "-valid"
    assert runs.complete()[0].target == pytest.approx(-(2.0 / 5))
    said = [r.getMessage() for r in caplog.records if "'valid' is read as" in r.getMessage()]
    assert said == ["l.csv: 'valid' is read as lower-is-better, as its runs say (it falls in 6, "
                    "rises in 0 of 6 runs); pass --maximize (minimize=False) if higher is better"]
    score = unnamed(tmp_path / "s.csv", "score", {f"r{i}": rising(i) for i in range(6)})
    up = read_curves(score)
    assert not up.minimize and up.target_curve == "score"
    # an explicit choice always wins, against the runs and against the name
    assert read_curves(loss, minimize=False).target_curve == "valid"
    named = unnamed(tmp_path / "a.csv", "val_acc", {f"r{i}": falling(i) for i in range(6)})
    assert not read_curves(named).minimize  # the name says it: the runs are not asked


@pytest.mark.parametrize(
    "runs",
    [
        {f"r{i}": falling(i) if i % 2 else rising(i) for i in range(10)},  # half and half
        {f"r{i}": [0.5, 0.5, 0.501] for i in range(6)},  # flat
        {"a": falling(0), "b": falling(1)},  # too few runs to tell
    ],
)
def test_an_unnamed_metric_the_runs_do_not_settle_is_an_error(tmp_path: Path, runs) -> None:  # noqa: ANN001
    path = unnamed(tmp_path / "m.csv", "metric", runs)
    with pytest.raises(InvalidDataError) as info:
        read_curves(path)
    message = str(info.value)
    assert "is 'metric' better lower or higher? Its name does not say" in message
    assert "pass --minimize or --maximize (minimize=True or False)" in message
    assert read_curves(path, minimize=True).target_curve == "-metric"


def test_a_target_column_named_neither_way_needs_a_direction(tmp_path: Path) -> None:
    rows = [r + (10.0 * i,) for i in range(4) for r in full_run(f"r{i}", 0.5 + 0.1 * i)]
    frame = pd.DataFrame(rows, columns=["run", "epoch", "val_acc", "val_loss", "lr", "test"])
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InvalidDataError, match="is the target 'test' better lower or higher"):
        read_curves(tmp_path / "t.csv", target="test")
    runs = read_curves(tmp_path / "t.csv", target="test", minimize=True)
    assert runs.target_curve == "val_acc" and runs.complete()[3].target == -30.0


def test_an_exploding_loss_is_a_divergence(tmp_path: Path, caplog) -> None:  # noqa: ANN001
    runs = {f"r{i}": falling(i) for i in range(6)}
    runs["boom"] = [2.0, 1.5, 40.0, 3e4, 1e17]  # 3e4 > 1000 x its first value 2.0: exploded
    runs["spike"] = [2.0, 1.5, 1e9, 0.6, 0.5]  # back to finite: a gap, filled
    runs["high"] = [900.0, 800.0, 700.0, 600.0, 500.0]  # large, but not against its own start
    path = unnamed(tmp_path / "x.csv", "val_loss", runs)
    with caplog.at_level(logging.WARNING, logger="nasperf"):
        bench = load_benchmark(f"curves:{path}")
    counts = bench.runs.counts
    assert (counts.exploded, counts.diverged, counts.filled) == (2, 1, 1)
    assert counts.typical_start == pytest.approx(2.2)  # the median of the runs' first values
    boom = next(r for r in bench.runs.partial() if r.arch == "boom")
    assert boom.info["diverged"] and boom.target is None
    np.testing.assert_allclose(boom.curves["val_loss"], [2.0, 1.5, 40.0])  # cut before 3e4
    np.testing.assert_allclose(bench.query("spike").curves["val_loss"], [2.0, 1.5, 1.05, 0.6, 0.5])
    assert bench.query("high").target == -500.0
    assert all(abs(r.target) < 1e3 for r in bench.records())
    line = caplog.records[-1].getMessage()
    assert "1 diverged" in line and ("2 with the metric exploding (over 1000 times the typical "
                                     "first value 2.2: read as inf)") in line
    # a metric maximised is left alone: a huge value there is not a loss exploding
    up = read_curves(path, minimize=False)
    assert up.counts.exploded == 0 and up.counts.diverged == 0
