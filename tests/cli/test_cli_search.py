"""``nasperf search``: the shared options reach a live search; errors before any training."""

from __future__ import annotations

import pytest
from cli_helpers import Stop, assert_one_line_error, run

import nasperf.search


@pytest.fixture
def live_config(monkeypatch: pytest.MonkeyPatch) -> list:
    """The config a live search hands its evaluator (the search stops there)."""
    seen = []

    def evaluator(config, executor, workdir, seed=0, device="cpu"):  # noqa: ANN001, ANN202
        seen.append((config, seed))
        raise Stop

    monkeypatch.setattr(nasperf.search, "LiveBackend", evaluator)
    return seen


def test_live_search_uses_the_shared_defaults(tmp_path, capsys, live_config) -> None:
    with pytest.raises(Stop):
        run(capsys, "search", "--live", "--out", str(tmp_path))
    ((config, seed),) = live_config
    assert (config.C, config.N, config.val_fraction, config.train.batch_size) == (16, 5, 0.1, 256)
    assert (config.epochs, config.cells, config.dataset, seed) == (30, 100, "digits", 0)


def test_live_search_takes_the_shared_options(tmp_path, capsys, live_config) -> None:
    args = ["--val-fraction", "0.25", "--batch-size", "64", "--nb201-c", "8", "--nb201-n", "1"]
    args += ["--epochs", "9", "--cells", "27", "--seed", "4", "--lr", "0.05", "--limit", "300"]
    with pytest.raises(Stop):
        run(capsys, "search", "--live", *args, "--out", str(tmp_path))
    ((config, seed),) = live_config
    assert (config.val_fraction, config.train.batch_size, config.C, config.N) == (0.25, 64, 8, 1)
    assert (config.epochs, config.cells, config.train.lr, config.limit, seed) == (
        9,
        27,
        0.05,
        300,
        4,
    )


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--live"], "--live needs --out"),
        (["--live", "--strategy", "sample-and-estimate", "--estimator", "sotl"], "estimator"),
        (["--live", "--val-fraction", "1.5"], "val_fraction"),
        (["--live", "--nb201-c", "0"], "C must be"),
        (["--strategy", "hyperband"], "--benchmark"),
        (["-b", "nb201-digits", "--rule", "nope"], "unknown rule"),
    ],
)
def test_bad_input_before_any_training(tmp_path, capsys, live_config, args, fragment) -> None:
    out = (
        ["--out", str(tmp_path / "s")]
        if "--live" in args and fragment != "--live needs --out"
        else []
    )
    code, _, err = run(capsys, "search", *args, *out)
    assert_one_line_error(code, err, fragment)
    assert live_config == [] and not (tmp_path / "s").exists()


def test_sample_and_estimate_on_a_table_draws_cells(capsys) -> None:
    args = ["search", "-b", "nb201-digits", "--strategy", "sample-and-estimate"]
    args += ["--estimator", "early-stop-acc", "--cells", "10", "--short-epochs", "2"]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert "sample-and-estimate on nb201-digits (simulated, 1 workers)" in out
    assert "2/10" not in out and "10/10" in out


class Bars:
    """A stand-in of the progress bar: each task's total and what was last completed."""

    def __init__(self) -> None:
        self.tasks: dict[str, list] = {}

    def __call__(self) -> Bars:
        return self

    def __enter__(self) -> Bars:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: float | None = None, **_: object) -> str:
        self.tasks[description] = [total, 0]
        return description

    def update(self, task: str, completed: float | None = None, **_: object) -> None:
        if completed is not None:
            self.tasks[task][1] = completed


def test_search_progress_counts_epochs_against_the_budget(capsys, monkeypatch) -> None:
    import nasperf.cli.search as command

    bars = Bars()
    monkeypatch.setattr(command, "progress", bars)
    code, _, err = run(capsys, "search", "-b", "nb201-digits", "--budget", "300")
    assert code == 0, err
    assert list(bars.tasks.values()) == [[300, 270]]  # done/total, not 0/?


def _curves_without_time(monkeypatch) -> None:  # noqa: ANN001
    """``load_benchmark`` gives a synthetic table with 10-epoch curves and no recorded time."""
    import nasperf.benchmarks
    from conftest import synthetic_records
    from nasperf.benchmarks import TabularBenchmark

    recs = synthetic_records(40)
    for r in recs:
        r.curves = {k: v for k, v in r.curves.items() if k != "train_loss"}
    bench = TabularBenchmark("untimed", "custom", "y", recs, max_fidelity=10)
    monkeypatch.setattr(nasperf.benchmarks, "load_benchmark", lambda name: bench)


def test_a_table_without_recorded_time_counts_in_epochs(capsys, monkeypatch) -> None:
    from nasperf.benchmarks import load_benchmark
    from nasperf.cli.search import records_time

    assert records_time(load_benchmark("nb201-digits"))
    _curves_without_time(monkeypatch)
    code, out, err = run(capsys, "search", "-b", "untimed", "--strategy", "random")
    assert code == 0, err
    assert "no recorded time: cost in epochs" in out and "seconds" not in out
    args = ["--strategy", "sample-and-estimate", "--estimator", "early-stop-acc", "--cells", "8"]
    code, out, err = run(capsys, "search", "-b", "untimed", *args)
    assert code == 0, err
    assert "estimate epochs" in out and "estimate s" not in out


def test_a_table_estimator_needs_what_the_table_records(capsys, monkeypatch) -> None:
    _curves_without_time(monkeypatch)
    args = ["--strategy", "sample-and-estimate", "--estimator", "sotl", "--cells", "8"]
    code, _, err = run(capsys, "search", "-b", "untimed", *args)
    assert_one_line_error(code, err, "untimed records no train_loss curve; sotl needs it")


def test_every_started_run_is_counted_once(capsys) -> None:
    code, out, err = run(capsys, "search", "--strategy", "sh", "-b", "nb201-digits")
    assert code == 0, err
    header = next(line for line in out.splitlines() if "started" in line)
    row = next(line for line in out.splitlines() if line.startswith("│"))
    names = [c.strip() for c in header.strip("┃").split("┃")]
    values = dict(zip(names, (c.strip() for c in row.strip("│").split("│")), strict=True))
    counts = [int(values[k]) for k in ("completed", "stopped", "failed", "left at a rung")]
    assert sum(counts) == int(values["started"]) == 300 and int(values["left at a rung"]) > 0
