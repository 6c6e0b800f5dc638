"""``nasperf make-benchmark``: the live-training options and --proxies/--proxy-batch reach the
config (the training itself is tested in tests/benchmarks/test_live.py)."""

from __future__ import annotations

import pytest
from cli_helpers import assert_one_line_error, run

import nasperf.benchmarks

devices: list[str] = []  # the --device each fake run was given


class FakeRun:
    def summary(self) -> str:
        return "0 cells"


@pytest.fixture
def configs(monkeypatch: pytest.MonkeyPatch) -> list:
    seen = []
    devices.clear()

    def make_benchmark(out_dir, config, executor, on_cell=None, threads=1, device="cpu"):  # noqa: ANN001, ANN202
        seen.append((config, threads))
        devices.append(device)
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
    args = ["--proxies", "synflow", "--proxy-batch", "16", "--threads", "2", "--epochs", "3"]
    args += ["--batch-size", "32", "--lr", "0.05", "--optimizer", "adam", "--size", "16"]
    args += ["--channels", "3", "--data-root", str(tmp_path), "--nb201-c", "4", "--nb201-n", "1"]
    code, _, err = run(capsys, "make-benchmark", *args, "--out", str(tmp_path / "b"))
    assert code == 0, err
    ((config, threads),) = configs
    assert (config.proxies, config.proxy_batch, threads) == (("synflow",), 16, 2)
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
    assert_one_line_error(code, err, "--proxy-batch must be")
    assert configs == []


def test_device_is_passed_on(tmp_path, capsys, configs) -> None:
    code, _, err = run(capsys, "make-benchmark", "--device", "cpu", "--out", str(tmp_path / "b"))
    assert code == 0, err
    assert devices == ["cpu"]
    code, _, err = run(capsys, "make-benchmark", "--out", str(tmp_path / "c"))
    assert code == 0 and devices[-1] == "auto"  # the library resolves auto: a GPU if any


def test_resolve_device_on_this_machine() -> None:
    torch = pytest.importorskip("torch")
    from nasperf.exceptions import ConfigurationError
    from nasperf.training import resolve_device

    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ConfigurationError, match="unknown device"):
        resolve_device("tpu7")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigurationError, match="not available here"):
            resolve_device("cuda")


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("torch") is None, reason="needs the torch extra"
)
def test_a_live_benchmark_on_the_cpu_device(tmp_path) -> None:
    """The device path end to end on the CPU: the cells and their proxies run on it."""
    from nasperf.benchmarks import LiveBenchmarkConfig, load_live_benchmark
    from nasperf.benchmarks import make_benchmark as make
    from nasperf.training import TrainConfig

    config = LiveBenchmarkConfig(
        cells=2, C=4, N=1, limit=100, train=TrainConfig(epochs=1, batch_size=64),
        proxies=("synflow", "params"),
    )
    run_ = make(tmp_path / "b", config, device="cpu")
    assert run_.ok == 2 and len(load_live_benchmark(tmp_path / "b")) == 2

