"""The protocol on executors and with a journal: the rows of a serial run, resumed runs,
failed trials, and the interval metrics of predictors with a distribution."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers import synthetic_records
from nasperf.benchmarks import TabularBenchmark
from nasperf.evaluation import (
    ROWS_FILE,
    SETTINGS_FILE,
    IncompleteEvaluationError,
    ProtocolConfig,
    evaluate_predictors,
)
from nasperf.exceptions import ConfigurationError, InvalidDataError
from nasperf.execution import LocalExecutor
from nasperf.predictors import Predictor, Requirements, make_predictor

TIMES = ["fit_time", "query_time"]


class Counting(Predictor):
    """Scores by the first feature; counts its fits (in this process) and fails on demand."""

    fits: list = []

    def __init__(self, fail_trial_seed: int | None = None, random_state: int = 0) -> None:
        self.fail_trial_seed = fail_trial_seed
        self.random_state = random_state

    def _requirements(self) -> Requirements:
        return Requirements()

    def _fit(self, records, y) -> None:  # noqa: ANN001
        if self.random_state == self.fail_trial_seed:
            raise RuntimeError("this trial fails")
        Counting.fits.append((self.random_state, len(records)))

    def _predict(self, records):  # noqa: ANN001
        return np.array([r.features[0] for r in records])


@pytest.fixture
def bench() -> TabularBenchmark:
    return TabularBenchmark("synthetic", "custom", "y", synthetic_records(150))


def same_rows(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal but for the timings (the order of the rows included)."""
    pd.testing.assert_frame_equal(
        a.drop(columns=TIMES).reset_index(drop=True), b.drop(columns=TIMES).reset_index(drop=True)
    )


def trial_seed(trial: int, seed: int = 0) -> int:
    return int(np.random.default_rng([seed, trial, 1]).integers(2**31))


def test_a_pool_of_workers_gives_the_rows_of_a_serial_run(bench) -> None:
    config = ProtocolConfig(train_sizes=(10, 30), test_size=40, trials=3, seed=4)
    names = ["xgb", "gp", "mlp", "lcsvr", "col:s"]

    def predictors() -> dict[str, Predictor]:  # the MLP shortened: this test is about rows
        return {n: make_predictor(n, **({"epochs": 30} if n == "mlp" else {})) for n in names}

    serial = evaluate_predictors(bench, predictors(), config)
    with LocalExecutor(workers=2) as pool:
        parallel = evaluate_predictors(bench, predictors(), config, executor=pool)
    assert len(parallel.rows) == 3 * 2 * len(names)
    same_rows(serial.frame(), parallel.frame())
    untimed = [c for c in serial.summary() if "time" not in c]
    pd.testing.assert_frame_equal(serial.summary()[untimed], parallel.summary()[untimed])
    # rows in the serial order: trial, then train size, then predictor
    keys = [(r["trial"], r["train_size"], names.index(r["predictor"])) for r in parallel.rows]
    assert keys == sorted(keys)


def test_predictors_with_a_distribution_report_coverage_beside_width(bench) -> None:
    config = ProtocolConfig(train_sizes=(40,), test_size=60, trials=2)
    frame = evaluate_predictors(bench, ["gp", "rf"], config).frame().set_index("predictor")
    gp, rf = frame.loc["gp"], frame.loc["rf"]
    assert ((gp["coverage_90"] >= 0) & (gp["coverage_90"] <= 1)).all()
    assert (gp["width_90"] > 0).all()
    assert rf["coverage_90"].isna().all() and rf["width_90"].isna().all()  # rf has none


def test_journal_keeps_finished_trials_and_a_rerun_makes_only_the_rest(bench, tmp_path) -> None:
    config = ProtocolConfig(train_sizes=(5, 20), test_size=30, trials=4, seed=1)
    fresh = evaluate_predictors(bench, {"c": Counting()}, config)

    Counting.fits = []
    journal = tmp_path / "run"
    evaluate_predictors(bench, {"c": Counting()}, config, journal=journal)
    assert len(Counting.fits) == 8
    lines = (journal / ROWS_FILE).read_bytes().splitlines(keepends=True)
    assert len(lines) == 4
    # as if killed while writing the third trial: two whole lines and half of one
    (journal / ROWS_FILE).write_bytes(b"".join(lines[:2]) + lines[2][: len(lines[2]) // 2])

    Counting.fits = []
    progress = []
    resumed = evaluate_predictors(
        bench, {"c": Counting()}, config, journal=journal, on_progress=lambda *a: progress.append(a)
    )
    assert sorted({seed for seed, _ in Counting.fits}) == sorted(trial_seed(t, 1) for t in (2, 3))
    assert progress[0] == (4, 8) and progress[-1] == (8, 8)
    same_rows(fresh.frame(), resumed.frame())
    assert len((journal / ROWS_FILE).read_bytes().splitlines()) == 4


def test_a_journal_run_extends_to_more_trials(bench, tmp_path) -> None:
    few = ProtocolConfig(train_sizes=(5,), test_size=30, trials=2)
    more = ProtocolConfig(train_sizes=(5,), test_size=30, trials=3)
    evaluate_predictors(bench, {"c": Counting()}, few, journal=tmp_path)
    Counting.fits = []
    extended = evaluate_predictors(bench, {"c": Counting()}, more, journal=tmp_path)
    assert [seed for seed, _ in Counting.fits] == [trial_seed(2)]
    same_rows(evaluate_predictors(bench, {"c": Counting()}, more).frame(), extended.frame())
    assert json.loads((tmp_path / SETTINGS_FILE).read_text())["config"]["trials"] == 3


def test_a_journal_of_other_settings_is_refused(bench, tmp_path) -> None:
    config = ProtocolConfig(train_sizes=(5,), test_size=30, trials=1)
    evaluate_predictors(bench, {"c": Counting()}, config, journal=tmp_path)
    other = ProtocolConfig(train_sizes=(5,), test_size=30, trials=1, seed=3)
    with pytest.raises(ConfigurationError, match=r"other settings \(--seed\)"):
        evaluate_predictors(bench, {"c": Counting()}, other, journal=tmp_path)
    with pytest.raises(ConfigurationError, match=r"--predictors \(c\)"):
        evaluate_predictors(bench, {"c": Counting(fail_trial_seed=5)}, config, journal=tmp_path)


def test_a_damaged_settings_file_is_one_error_naming_it(bench, tmp_path) -> None:
    config = ProtocolConfig(train_sizes=(5,), test_size=30, trials=1)
    evaluate_predictors(bench, {"c": Counting()}, config, journal=tmp_path)
    (tmp_path / SETTINGS_FILE).write_text('{"format": 1, "config": ')
    with pytest.raises(InvalidDataError, match=f"{tmp_path / SETTINGS_FILE} is not valid JSON"):
        evaluate_predictors(bench, {"c": Counting()}, config, journal=tmp_path)


def test_a_failing_trial_on_an_executor_lets_the_others_finish(bench, tmp_path) -> None:
    config = ProtocolConfig(train_sizes=(5,), test_size=30, trials=3)
    broken = Counting(fail_trial_seed=trial_seed(1))
    with LocalExecutor(workers=1) as ex, pytest.raises(
        IncompleteEvaluationError, match=r"1 of 3 trial tasks failed \(first: trial 1 c: .*"
        r"this trial fails\).*rerun the same command"
    ):
        evaluate_predictors(bench, {"c": broken}, config, executor=ex, journal=tmp_path)
    kept = [json.loads(line) for line in (tmp_path / ROWS_FILE).read_text().splitlines()]
    assert sorted(e["trial"] for e in kept) == [0, 2]
    with pytest.raises(RuntimeError, match="this trial fails"):  # in this process: raised
        evaluate_predictors(bench, {"c": broken}, config)


def test_one_thread_per_trial_task(bench, monkeypatch) -> None:
    import torch

    seen = []
    original = make_predictor("rf").__class__._fit

    def spy(self, records, y):  # noqa: ANN001, ANN202
        from threadpoolctl import threadpool_info

        seen.append((torch.get_num_threads(), {i["num_threads"] for i in threadpool_info()}))
        return original(self, records, y)

    monkeypatch.setattr(make_predictor("rf").__class__, "_fit", spy)
    torch.set_num_threads(2)
    try:
        evaluate_predictors(bench, ["rf"], ProtocolConfig((10,), 30, 1))
        assert torch.get_num_threads() == 2  # restored after the task
    finally:
        torch.set_num_threads(1)
    assert seen and all(t == 1 and blas <= {1} for t, blas in seen)
