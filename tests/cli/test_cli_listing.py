"""``nasperf predictors`` and ``nasperf benchmarks``: the listings."""

from __future__ import annotations

from cli_helpers import run

from helpers import needs_data


def test_predictors_lists_every_registered_name(capsys) -> None:
    from nasperf.predictors import PREDICTORS, make_predictor

    code, out, _ = run(capsys, "predictors")
    assert code == 0
    for name in [*PREDICTORS, "col:NAME"]:
        row = row_of(out, name)  # one row each, with the family its capabilities give
        if name != "col:NAME":
            assert make_predictor(name).capabilities().family in row, row
    assert "baseline" in row_of(out, "col:NAME")
    assert "lower is better" in row_of(out, "col:-NAME")


def test_predictors_lists_what_a_name_implies(capsys) -> None:
    code, out, _ = run(capsys, "predictors")
    assert code == 0
    assert "curve=val_loss[:5]" in row_of(out, "early-stop-loss")  # its registered curve
    assert "curve=val_acc[:5]" in row_of(out, "early-stop-acc")
    assert "curve=train_loss[:5]" in row_of(out, "sotl-e")


def test_predictor_row_reads_what_a_predictor_needs() -> None:
    from nasperf.cli.predictors import predictor_row
    from nasperf.predictors import PREDICTORS

    name, family, requires, extra, summary = predictor_row("rf", PREDICTORS["rf"])
    assert (name, family) == ("rf", "model-based") and requires
    assert extra == "" and summary == PREDICTORS["rf"].summary
    assert predictor_row("xgb", PREDICTORS["xgb"])[3].startswith("trees (")


def row_of(out: str, name: str) -> str:
    """The line of the listing whose first cell is ``name``."""
    rows = [line for line in out.splitlines() if line.strip("│┃ ").split(" ")[0] == name]
    assert len(rows) == 1, (name, out)
    return rows[0]


def test_benchmarks_without_counting(capsys) -> None:
    from nasperf.benchmarks import BENCHMARKS

    code, out, _ = run(capsys, "benchmarks", "--no-count")
    assert code == 0
    for name in [*BENCHMARKS, *BENCHMARKS.patterns]:
        row_of(out, name)  # every benchmark and name form is listed once
    for name in ("nb201-digits", "nbgraph-cora"):  # shipped or from a package: never missing
        assert "installed" in row_of(out, name)


@needs_data("nb201/nb201_cifar10.csv.gz")
def test_benchmarks_lists_found_data(capsys) -> None:
    code, out, _ = run(capsys, "benchmarks", "--no-count")
    assert code == 0
    row = row_of(out, "nb201-cifar10")
    assert "found" in row and " MB" in row and "missing" not in row


def test_benchmarks_lists_missing_data(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("NASPERF_DATA", str(tmp_path))  # an empty data directory
    code, out, _ = run(capsys, "benchmarks", "--no-count")
    assert code == 0
    row = row_of(out, "nb201-cifar10")
    assert "missing" in row and "found" not in row and " MB" not in row


def test_white_et_al_31_are_registered_in_their_families_and_every_entry_cites_a_paper(
    capsys,
) -> None:
    from nasperf.predictors import PREDICTORS, make_predictor
    from nasperf.predictors.registry import WHITE_ET_AL

    names = [n for group in WHITE_ET_AL.values() for n in group]
    assert len(names) == len(set(names)) == 31
    for family, group in WHITE_ET_AL.items():
        for name in group:
            assert make_predictor(name).capabilities().family == family, name
    assert all(spec.meta.get("paper") for spec in PREDICTORS.values())
    code, out, _ = run(capsys, "predictors")
    assert code == 0
    marked = [n for n in PREDICTORS if row_of(out, n).split("│")[3].strip() == "W"]
    assert sorted(marked) == sorted(names)
