"""``nasperf proxies``: the shared options reach the proxy table's config (the table itself is
tested in tests/benchmarks/test_proxy_table.py)."""

from __future__ import annotations

import pytest
from cli_helpers import assert_one_line_error, run

import nasperf.benchmarks


@pytest.fixture
def tables(monkeypatch: pytest.MonkeyPatch) -> list:
    seen = []

    def compute_proxy_table(out, config, archs, workers=1, on_cell=None, device="auto"):  # noqa: ANN001, ANN202, E501
        seen.append((config, archs, workers))
        return out

    monkeypatch.setattr(nasperf.benchmarks, "compute_proxy_table", compute_proxy_table)
    return seen


def test_defaults(tmp_path, capsys, tables) -> None:
    code, out, err = run(capsys, "proxies", "--out", str(tmp_path / "zc.csv"))
    assert code == 0, err
    ((config, archs, workers),) = tables
    assert (config.dataset, config.size, config.channels) == ("digits", None, None)
    assert (config.batch_size, config.proxies, len(archs), workers) == (64, (), 100, 1)
    assert "(100 cells)" in out


def test_options(tmp_path, capsys, tables) -> None:
    args = ["--proxy-batch", "8", "--size", "32", "--channels", "3", "--cells", "all"]
    args += ["--proxies", "synflow,params", "--dataset", "mnist", "--workers", "2"]
    code, _, err = run(capsys, "proxies", *args, "--out", str(tmp_path / "zc.csv"))
    assert code == 0, err
    ((config, archs, workers),) = tables
    assert (config.batch_size, config.size, config.channels) == (8, 32, 3)
    assert (config.proxies, config.dataset, len(archs), workers) == (
        ("synflow", "params"),
        "mnist",
        15625,
        2,
    )


def test_batch_size_is_the_old_name_of_proxy_batch(tmp_path, capsys, tables) -> None:
    code, _, _ = run(capsys, "proxies", "--batch-size", "16", "--out", str(tmp_path / "a.csv"))
    assert code == 0 and tables[0][0].batch_size == 16
    code, _, err = run(
        capsys,
        "proxies",
        "--batch-size",
        "16",
        "--proxy-batch",
        "8",
        "--out",
        str(tmp_path / "b.csv"),
    )
    assert_one_line_error(code, err, "not --batch-size")
    assert len(tables) == 1
