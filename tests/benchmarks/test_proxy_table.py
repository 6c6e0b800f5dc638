"""``nasperf proxies``: the table, resuming, settings checks, and joining it onto a benchmark."""

from __future__ import annotations

import csv

import pytest

from helpers import needs_data
from nasperf.benchmarks import (
    IncompleteTableError,
    ProxyTableConfig,
    compute_proxy_table,
    read_proxy_table,
    select_cells,
)
from nasperf.cli import main
from nasperf.execution import LocalExecutor

pytest.importorskip("torch")

ARGS = [
    "proxies",
    "--dataset",
    "digits",
    "--size",
    "0",
    "--channels",
    "0",
    "--proxy-batch",
    "16",
    "--proxies",
    "synflow,params,flops,snip",
]


def rows(path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_table_resume_and_truncated_row(tmp_path, capsys) -> None:
    out = tmp_path / "zc.csv"
    assert main([*ARGS, "--cells", "3", "--out", str(out)]) == 0
    first = rows(out)
    assert [r["arch"] for r in first] == select_cells("nb201", 3, 0)
    assert list(first[0]) == [
        "arch", "zc_synflow", "zc_params", "zc_flops", "zc_snip", "seconds", "errors",
    ]  # fmt: skip
    for r in first:
        assert float(r["zc_params"]) > 0.07 and float(r["zc_synflow"]) >= 0
    # Rerun with more cells: the first three are kept, only the new ones are computed.
    assert main([*ARGS, "--cells", "5", "--out", str(out)]) == 0
    second = rows(out)
    assert second[:3] == first and len(second) == 5
    # A kill mid-write leaves half a row: it is dropped and that cell recomputed, once.
    text = out.read_text()
    out.write_text(text[: text.rstrip("\n").rfind("\n") + 12])
    assert main([*ARGS, "--cells", "5", "--out", str(out)]) == 0
    third = rows(out)
    assert sorted(r["arch"] for r in third) == sorted(r["arch"] for r in second)
    assert third[-1]["zc_synflow"] == second[-1]["zc_synflow"]  # same seed, same value
    assert set(read_proxy_table(out)) == {r["arch"] for r in third}


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--proxies", "synflow,nope"], "unknown proxy 'nope'"),
        (["--cells", "0"], "--cells must be between 1"),
        (["--dataset", "imagenet"], "unknown dataset 'imagenet'"),
        (["--space", "nb101"], "use nb201"),
        (["--proxy-batch", "1"], "--proxy-batch"),
    ],
)
def test_bad_input_writes_nothing(tmp_path, capsys, extra: list[str], fragment: str) -> None:
    out = tmp_path / "zc.csv"
    args = [*ARGS, "--cells", "2", "--out", str(out)]
    for key, value in zip(extra[::2], extra[1::2], strict=True):
        if key in args:
            args[args.index(key) + 1] = value
        else:
            args += [key, value]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and fragment in err[0], err
    assert not out.exists()


def test_resume_with_other_settings_is_refused(tmp_path, capsys) -> None:
    out = tmp_path / "zc.csv"
    assert main([*ARGS, "--cells", "2", "--out", str(out)]) == 0
    before = out.read_text()
    args = [*ARGS, "--cells", "2", "--out", str(out), "--seed", "1"]
    assert main(args) == 2
    assert "other settings (seed)" in capsys.readouterr().err
    assert out.read_text() == before


@needs_data("nb201/nb201_cifar10.csv.gz")
def test_params_and_flops_match_the_published_table(tmp_path, capsys) -> None:
    """Our params and flops proxies on 3x32x32 inputs equal the NB201 table's columns."""
    from nasperf.benchmarks import load_benchmark, with_scores

    out = tmp_path / "zc.csv"
    args = ["proxies", "--dataset", "digits", "--proxies", "params,flops", "--cells", "8"]
    args += ["--proxy-batch", "8", "--size", "32", "--channels", "3"]
    assert main([*args, "--out", str(out)]) == 0
    bench = with_scores(load_benchmark("nb201-cifar10"), out)
    for arch in select_cells("nb201", 8, 0):
        s = bench.query(arch).scores
        assert s["zc_params"] == pytest.approx(s["params_m"], rel=5e-6)
        if "sz_flops" in s:
            assert s["zc_flops"] == pytest.approx(s["sz_flops"], rel=5e-6)
    # and the joined table is usable by `nasperf evaluate` as column baselines
    code = main(
        [
            "evaluate", "-b", "nb201-cifar10", "--scores", str(out), "-p", "col:zc_params",
            "--train-sizes", "0", "--test-size", "all", "--trials", "1", "--format", "json",
        ]
    )  # fmt: skip
    assert code == 0 and '"pool_size": 8' in capsys.readouterr().out


def test_a_cell_that_fails_is_left_out_and_computed_by_a_rerun(tmp_path, monkeypatch) -> None:
    from nasperf.benchmarks import _proxy_table

    config = ProxyTableConfig(
        dataset="digits", size=None, channels=None, batch_size=16, proxies=("params", "flops")
    )
    cells = select_cells("nb201", 3, 0)
    score = _proxy_table._score_cell

    def flaky(task):  # noqa: ANN001, ANN202
        if task.arch == cells[1]:
            raise RuntimeError("out of memory (test)")
        return score(task)

    monkeypatch.setattr(_proxy_table, "_score_cell", flaky)
    out = tmp_path / "zc.csv"
    with pytest.raises(IncompleteTableError, match=r"1 of 3 cells could not be scored"):
        compute_proxy_table(out, config, cells, retries=1)
    assert [r["arch"] for r in rows(out)] == [cells[0], cells[2]]
    monkeypatch.undo()
    seen: list[tuple[int, int]] = []
    with LocalExecutor(1) as executor:
        compute_proxy_table(
            out, config, cells, executor=executor, on_cell=lambda *a: seen.append(a)
        )
    assert [r["arch"] for r in rows(out)] == [cells[0], cells[2], cells[1]]
    assert seen == [(2, 3), (3, 3)]
    assert all(float(r["zc_params"]) > 0 and r["errors"] == "" for r in rows(out))
