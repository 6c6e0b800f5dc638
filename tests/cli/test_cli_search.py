"""``nasperf search``: the shared options reach a live search; errors before any training."""

from __future__ import annotations

import pytest
from cli_helpers import Stop, assert_one_line_error, run

import nasperf.search


@pytest.fixture
def live_config(monkeypatch: pytest.MonkeyPatch) -> list:
    """The config a live search hands its evaluator (the search stops there)."""
    seen = []

    def evaluator(config, executor, workdir, seed=0):  # noqa: ANN001, ANN202
        seen.append((config, seed))
        raise Stop

    monkeypatch.setattr(nasperf.search, "LiveCurveEvaluator", evaluator)
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
