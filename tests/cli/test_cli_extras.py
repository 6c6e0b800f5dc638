"""Optional dependencies are checked before any work: a missing extra that a command would
import (a search's surrogate, fitness or curve model, live training, the ray executor, the
predictors of ``evaluate``) is one line naming the extra ``nasperf predictors`` lists, exit 2,
and nothing is run or written."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable

import pytest
from cli_helpers import assert_one_line_error, run

import nasperf.evaluation
import nasperf.search

DIGITS = ["-b", "nb201-digits"]


@pytest.fixture
def hide(monkeypatch) -> Callable[..., None]:  # noqa: ANN001 - pytest's monkeypatch
    """``hide(*modules)``: as if they were not installed (find_spec finds nothing; importing
    fails, except torch, which scipy looks up in sys.modules)."""
    real = importlib.util.find_spec

    def hide_modules(*modules: str) -> None:
        def find_spec(name: str, *args: object, **kwargs: object) -> object:
            return None if name.split(".")[0] in modules else real(name, *args, **kwargs)

        monkeypatch.setattr(importlib.util, "find_spec", find_spec)
        for module in modules:
            if module != "torch":
                monkeypatch.setitem(sys.modules, module, None)

    return hide_modules


@pytest.fixture
def no_work(monkeypatch) -> list:  # noqa: ANN001
    """The calls that would start a search's seeds or an evaluation (none are expected)."""
    calls: list = []

    def record(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError("the work started")

    monkeypatch.setattr(nasperf.search, "run_seeds", record)
    monkeypatch.setattr(nasperf.evaluation, "evaluate_predictors", record)
    return calls


def assert_refused_before_work(capsys, no_work: list, out, args: list[str], message: str) -> None:  # noqa: ANN001
    """``nasperf ARGS --out OUT`` is one line with ``message``, exit 2, nothing run or written."""
    code, _, err = run(capsys, *args, "--out", str(out))
    assert_one_line_error(code, err, message)
    assert no_work == [] and not out.exists()


@pytest.mark.parametrize(
    ("hidden", "args", "message"),
    [
        (("xgboost", "lightgbm", "ngboost"), ["bananas", "--predictor", "xgb"],
         "bananas's surrogate xgb needs the 'trees' extra: pip install 'nasperf[trees]'"),
        (("gpytorch",), ["npenas", "--predictor", "sparse-gp"],
         "npenas's surrogate sparse-gp needs the 'gp' extra: pip install 'nasperf[gp]'"),
        (("torch",), ["bananas"],  # its default surrogate, the BANANAS ensemble of MLPs
         "bananas's surrogate bananas needs the 'torch' extra: pip install 'nasperf[torch]'"),
        (("torch",), ["random", "--fitness", "lc-pfn", "--queries", "5"],
         "the fitness lc-pfn needs the 'torch' extra"),
        (("torch",), ["hyperband", "--rule", "baker:lc-pfn"],
         "the baker rule's curve model lc-pfn needs the 'torch' extra"),
        (("ray",), ["random", "--queries", "5", "--executor", "ray"],
         "the ray executor (--executor ray) needs the 'ray' extra: pip install 'nasperf[ray]'"),
    ],
)  # fmt: skip
def test_a_search_without_an_extra_it_needs_is_one_line_before_any_work(
    hide, no_work, tmp_path, capsys, hidden, args, message
) -> None:
    hide(*hidden)
    search = ["search", args[0], *DIGITS, *args[1:]]
    assert_refused_before_work(capsys, no_work, tmp_path / "out", search, message)


def test_the_extra_named_is_the_one_the_listing_names(hide, capsys) -> None:
    hide("gpytorch")
    code, listing, _ = run(capsys, "predictors")
    assert code == 0
    row = next(line for line in listing.splitlines() if " sparse-gp " in line)
    assert "gp (missing)" in row and "torch" not in row.split("gp (missing)")[0]


def test_the_listing_says_missing_when_part_of_an_extra_is(hide, capsys) -> None:
    hide("ngboost")  # the trees extra installs xgboost, lightgbm and ngboost
    code, listing, _ = run(capsys, "predictors")
    assert code == 0
    row = next(line for line in listing.splitlines() if " xgb " in line)
    assert "trees (missing)" in row


def test_a_live_search_without_torch_is_one_line_before_the_data_loads(
    hide, no_work, tmp_path, capsys
) -> None:
    hide("torch")
    args = ["search", "random", "--live", "--cells", "2", "--epochs", "1"]
    message = "a live search (it trains the cells) needs the 'torch' extra"
    assert_refused_before_work(capsys, no_work, tmp_path / "out", args, message)


@pytest.mark.parametrize(
    ("hidden", "more", "message"),
    [
        (("xgboost", "lightgbm", "ngboost"), ["-p", "rf,xgb"],
         "predictor xgb needs the 'trees' extra: pip install 'nasperf[trees]'"),
        (("ray",), ["-p", "rf", "--executor", "ray"],
         "the ray executor (--executor ray) needs the 'ray' extra"),
    ],
)  # fmt: skip
def test_evaluate_without_an_extra_is_one_line_before_any_trial(
    hide, no_work, tmp_path, capsys, hidden, more, message
) -> None:
    hide(*hidden)
    args = ["evaluate", *DIGITS, *more, "--trials", "1", "--train-sizes", "10", "--test-size", "20"]
    assert_refused_before_work(capsys, no_work, tmp_path / "out", args, message)


def test_with_the_extras_installed_the_checks_let_the_work_start(no_work, tmp_path, capsys):
    args = ["search", "bananas", *DIGITS, "--predictor", "xgb", "--out", str(tmp_path / "o")]
    with pytest.raises(AssertionError, match="the work started"):
        run(capsys, *args)
    assert len(no_work) == 1
