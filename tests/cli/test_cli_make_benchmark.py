"""``nasperf make-benchmark``: the live-training options and --proxies/--proxy-batch reach the
config (the training itself is tested in tests/benchmarks/test_live.py)."""

from __future__ import annotations

import pytest
from cli_helpers import assert_one_line_error, run

import nasperf.benchmarks


class FakeRun:
    def summary(self) -> str:
        return "0 cells"


@pytest.fixture
def configs(monkeypatch: pytest.MonkeyPatch) -> list:
    seen = []

    def make_benchmark(out_dir, config, executor, on_cell=None, threads=1):  # noqa: ANN001, ANN202
        seen.append((config, threads))
        return FakeRun()

    monkeypatch.setattr(nasperf.benchmarks, "make_benchmark", make_benchmark)
    return seen


def test_defaults(tmp_path, capsys, configs) -> None:
    from nasperf.benchmarks import LiveBenchmarkConfig

    code, out, err = run(capsys, "make-benchmark", "--out", str(tmp_path / "b"))
    assert code == 0, err
    ((config, threads),) = configs
    assert config == LiveBenchmarkConfig() and threads == 1
    assert "make-benchmark: 0 cells" in out


def test_options(tmp_path, capsys, configs) -> None:
    args = ["--proxies", "none", "--proxy-batch", "16", "--threads", "2", "--epochs", "3"]
    args += ["--batch-size", "32", "--lr", "0.05", "--optimizer", "adam", "--size", "16"]
    args += ["--channels", "3", "--data-root", str(tmp_path), "--nb201-c", "4", "--nb201-n", "1"]
    code, _, err = run(capsys, "make-benchmark", *args, "--out", str(tmp_path / "b"))
    assert code == 0, err
    ((config, threads),) = configs
    assert (config.proxies, config.proxy_batch, threads) == ((), 16, 2)
    assert (config.epochs, config.train.batch_size, config.train.lr) == (3, 32, 0.05)
    assert (config.train.optimizer, config.size, config.channels) == ("adam", 16, 3)
    assert (config.data_root, config.C, config.N) == (str(tmp_path), 4, 1)


def test_chosen_proxies(tmp_path, capsys, configs) -> None:
    code, _, _ = run(
        capsys, "make-benchmark", "--proxies", "synflow,params", "--out", str(tmp_path / "b")
    )
    assert code == 0 and configs[0][0].proxies == ("synflow", "params")


def test_out_is_required(capsys, configs) -> None:
    code, _, err = run(capsys, "make-benchmark")
    assert code == 2 and "--out" in err and configs == []


def test_a_bad_proxy_batch(tmp_path, capsys, configs) -> None:
    code, _, err = run(capsys, "make-benchmark", "--proxy-batch", "1", "--out", str(tmp_path))
    assert_one_line_error(code, err, "proxy_batch")
    assert configs == []
