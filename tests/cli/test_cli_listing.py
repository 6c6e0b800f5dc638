"""``nasperf predictors`` and ``nasperf benchmarks``: the listings."""

from __future__ import annotations

from cli_helpers import run

from conftest import needs_data


def test_predictors_lists_every_registered_name(capsys) -> None:
    from nasperf.predictors import PREDICTORS

    code, out, _ = run(capsys, "predictors")
    assert code == 0 and "bananas" in out and "col:NAME" in out
    assert all(name in out for name in PREDICTORS)


def test_predictor_row_reads_what_a_predictor_needs() -> None:
    from nasperf.cli.predictors import predictor_row
    from nasperf.predictors import PREDICTORS

    name, family, requires, extra, summary = predictor_row("rf", PREDICTORS["rf"])
    assert (name, family) == ("rf", "model-based") and requires
    assert extra == "" and summary == PREDICTORS["rf"].summary
    assert predictor_row("xgb", PREDICTORS["xgb"])[3].startswith("trees (")


def test_benchmarks_without_counting(capsys) -> None:
    code, out, _ = run(capsys, "benchmarks", "--no-count")
    assert code == 0 and "nbgraph-cora" in out and "installed" in out and "csv:PATH" in out


@needs_data("nb201/nb201_cifar10.csv.gz")
def test_benchmarks_lists_found_data(capsys) -> None:
    code, out, _ = run(capsys, "benchmarks", "--no-count")
    assert code == 0
    assert "nb201-cifar10" in out
    assert "found" in out
