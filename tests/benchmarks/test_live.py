"""Live benchmarks: train tiny cells, resume after a kill, load them as ``live:DIR``."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nasperf.benchmarks import (
    CELLS_FILE,
    LIVE_CURVES,
    LiveBenchmarkConfig,
    load_benchmark,
    load_live_benchmark,
    make_benchmark,
    select_cells,
)
from nasperf.cli import main
from nasperf.exceptions import ConfigurationError, DataNotFoundError, UnknownNameError
from nasperf.execution import LocalExecutor, TaskOutcome, make_executor
from nasperf.training import TrainConfig

pytest.importorskip("torch")

PROXIES = ("synflow", "params", "flops", "jacov")
TINY = LiveBenchmarkConfig(
    dataset="digits", cells=4, C=4, N=1, train=TrainConfig(epochs=2, batch_size=64),
    proxies=PROXIES,
)
# per-cell times differ from run to run; everything else must not
TIMES = ("train_time", "proxy_time")


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in (path / CELLS_FILE).read_text().splitlines()]


def comparable(row: dict) -> dict:
    row = {k: v for k, v in row.items() if k not in TIMES}
    row["curves"] = {k: v for k, v in row["curves"].items() if k != "epoch_time"}
    return row


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """The tiny benchmark made in this process (one worker)."""
    path = tmp_path_factory.mktemp("live") / "tiny"
    run = make_benchmark(path, TINY)
    assert (run.ok, run.failed, run.new, run.resumed) == (4, 0, 4, 0)
    return path


def test_tiny_benchmark_loads_with_curves_and_scores(tiny: Path) -> None:
    meta = json.loads((tiny / "meta.json").read_text())
    assert LiveBenchmarkConfig.from_dict(meta["config"]) == TINY
    written = rows(tiny)
    assert sorted(r["index"] for r in written) == [0, 1, 2, 3]
    sample = select_cells("nb201", 4, 0)  # the same draw as nasperf proxies
    assert all(sample[r["index"]] == r["arch"] for r in written)
    first = written[0]
    assert first["status"] == "ok" and first["attempts"] == 1 and first["errors"] == {}
    assert set(first["curves"]) == set(LIVE_CURVES)
    assert set(first["scores"]) == set(PROXIES)
    for row in written:  # the counts agree with the proxies that measure the same thing
        assert row["params_m"] == pytest.approx(row["scores"]["params"])
        assert row["flops"] == pytest.approx(row["scores"]["flops"])

    bench = load_benchmark(f"live:{tiny}")
    assert bench.name == "live:tiny" and bench.space == "nb201" and len(bench) == 4
    assert bench.target_name == "final_val_acc" and bench.max_fidelity == 2
    assert [r.info["index"] for r in bench.records()] == [0, 1, 2, 3]
    for rec in bench.records():
        assert set(rec.curves) == set(LIVE_CURVES)
        assert all(c.shape == (2,) and c.dtype == np.float64 for c in rec.curves.values())
        assert rec.target == rec.curves["val_acc"][-1] == bench.metric(rec.arch)
        assert {"params_m", "flops", *PROXIES, "test_acc", "best_val_acc"} <= set(rec.scores)
        assert 0 < rec.scores["params_m"] < 0.1 and rec.cost > 0
        assert bench.cost(rec.arch, 1) == pytest.approx(rec.curves["epoch_time"][0])
    # a rerun with the same settings has nothing left to do
    again = make_benchmark(tiny, TINY)
    assert (again.new, again.resumed, again.ok) == (0, 4, 4)


@pytest.mark.parametrize("executor", ["local", pytest.param("ray", marks=pytest.mark.ray)])
def test_two_workers_give_the_same_table(tiny: Path, tmp_path, executor: str) -> None:
    """The in-process table again from 2 workers of a process pool, or of a local Ray."""
    with make_executor(executor, workers=2) as ex:
        run = make_benchmark(tmp_path / executor, TINY, ex)
    assert run.ok == 4
    one = {r["arch"]: comparable(r) for r in rows(tiny)}
    two = {r["arch"]: comparable(r) for r in rows(tmp_path / executor)}
    assert one == two


def test_extending_and_changed_settings(tiny: Path, tmp_path) -> None:
    # copy the benchmark, then grow it by one cell: the first four are kept
    grown = tmp_path / "grown"
    grown.mkdir()
    for name in ("meta.json", CELLS_FILE):
        (grown / name).write_bytes((tiny / name).read_bytes())
    run = make_benchmark(grown, replace(TINY, cells=5))
    assert (run.new, run.resumed, run.ok) == (1, 4, 5)
    assert rows(grown)[:4] == rows(tiny)
    with pytest.raises(ConfigurationError, match=r"other settings \(train.epochs, train.lr\)"):
        make_benchmark(grown, TINY.with_train(epochs=3, lr=0.05))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigurationError, match="is not a live benchmark"):
        make_benchmark(tmp_path / "other", TINY)
    with pytest.raises(DataNotFoundError, match="no meta.json"):
        load_live_benchmark(tmp_path / "other")


class FailSecond(LocalExecutor):
    """An in-process executor whose second task fails (as if its worker died twice)."""

    def map_unordered(self, fn, items, *, retries=1):  # noqa: ANN001, ANN201
        for k, item in enumerate(items):
            if k == 1:
                yield TaskOutcome(item, None, "the worker process died (test)", 2)
            else:
                yield TaskOutcome(item, fn(item), None, 1)


def test_failed_cells_are_recorded_and_left_out(tmp_path, caplog) -> None:
    config = replace(TINY, cells=3, proxies=("params",))
    run = make_benchmark(tmp_path / "b", config, FailSecond())
    assert (run.ok, run.failed) == (2, 1)
    failed = [r for r in rows(tmp_path / "b") if r["status"] != "ok"]
    assert len(failed) == 1 and failed[0]["status"] == "failed"
    assert failed[0]["reason"] == "gave up after 2 attempt(s): the worker process died (test)"
    assert failed[0]["index"] == 1 and failed[0]["attempts"] == 2
    with caplog.at_level(logging.WARNING, logger="nasperf.benchmarks._live"):
        bench = load_live_benchmark(tmp_path / "b")
    assert len(bench) == 2 and "left out 1 failed cell" in caplog.text
    # a rerun tries the failed cell again (it raised or its worker died), and keeps each once
    again = make_benchmark(tmp_path / "b", config)
    assert (again.new, again.ok, again.failed) == (1, 3, 0)
    assert sorted(r["index"] for r in rows(tmp_path / "b")) == [0, 1, 2]
    assert "0 diverged, 0 failed of 3 cells (1 new, 2 already done)" in again.summary()


class RaiseOnce:
    """An optimizer step that raises once (as CUDA running out of memory would), then works."""

    def __init__(self) -> None:
        self.raised = False

    def __call__(self, original):  # noqa: ANN001, ANN204
        def step(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            if not self.raised:
                self.raised = True
                raise RuntimeError("CUDA out of memory (test)")
            return original(*args, **kwargs)

        return step


def test_a_training_error_is_retried_within_the_run(tmp_path, monkeypatch) -> None:
    import torch

    # the device fails once mid-training (torch's public optimizer step, as TINY trains by SGD)
    assert TINY.train.optimizer == "sgd"
    monkeypatch.setattr(torch.optim.SGD, "step", RaiseOnce()(torch.optim.SGD.step))
    config = replace(TINY, cells=2, proxies=())
    run = make_benchmark(tmp_path / "b", config, retries=1)
    assert (run.ok, run.failed) == (2, 0)
    assert sorted(r["attempts"] for r in rows(tmp_path / "b")) == [1, 2]


def test_sigkill_then_resume_keeps_every_cell_once(tmp_path) -> None:
    out = tmp_path / "killed"
    args = [
        "make-benchmark", "--dataset", "digits", "--cells", "8", "--epochs", "3",
        "--batch-size", "32", "--nb201-c", "4", "--nb201-n", "1",
        "--proxies", "synflow,params", "--out", str(out),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nasperf", *args],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cells = out / CELLS_FILE
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if cells.exists() and cells.read_bytes().count(b"\n") >= 1:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    before = cells.read_bytes()
    assert 1 <= before.count(b"\n") < 8
    # a kill mid-write leaves half a line: simulate it, the rerun drops it
    with cells.open("ab") as fh:
        fh.write(b'{"arch": "|none~0|+|no')
    partial = cells.read_bytes()
    # loading it meanwhile gives the finished cells and leaves the file alone
    assert len(load_live_benchmark(out)) == before.count(b"\n")
    assert cells.read_bytes() == partial
    assert main([*args]) == 0
    done = rows(out)
    assert sorted(r["index"] for r in done) == list(range(8))
    assert len({r["arch"] for r in done}) == 8
    assert (out / CELLS_FILE).read_bytes().startswith(before)
    assert len(load_benchmark(f"live:{out}")) == 8


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--dataset", "imagenet"], "unknown dataset 'imagenet'"),
        (["--dataset", "mnist1d"], "nb201 networks need images"),
        (["--executor", "dask"], "unknown executor 'dask'"),
        (["--executor", "local", "--address", "auto"], "only applies to the ray executor"),
        (["--cells", "15626"], "cells must be an integer in [1, 15625]"),
        (["--epochs", "0"], "epochs must be an integer >= 1"),
        (["--space", "nb101"], "space must be one of 'nb201'"),
        (["--proxies", "synflow,nope"], "unknown zero-cost proxy 'nope'"),
        (["--workers", "0"], "workers must be an integer >= 1"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, extra, fragment) -> None:
    out = tmp_path / "b"
    code = main(["make-benchmark", "--cells", "2", "--epochs", "1", *extra, "--out", str(out)])
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("error:") and fragment in lines[0], lines
    assert not out.exists()


def test_ray_executor_without_ray(tmp_path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed
    code = main(["make-benchmark", "--executor", "ray", "--out", str(tmp_path / "b")])
    err = capsys.readouterr().err
    assert code == 2 and "ray is needed" in err and "nasperf[ray]" in err
    assert not (tmp_path / "b").exists()


def test_config_checks() -> None:
    with pytest.raises(UnknownNameError, match="unknown dataset"):
        LiveBenchmarkConfig(dataset="imagenet")
    with pytest.raises(ConfigurationError, match="C must be an integer >= 1"):
        LiveBenchmarkConfig(C=0)
    with pytest.raises(ConfigurationError, match="proxies must be a tuple of distinct"):
        LiveBenchmarkConfig(proxies=("synflow", "synflow"))
    with pytest.raises(ConfigurationError, match="lr must be"):
        LiveBenchmarkConfig(train=TrainConfig(lr=-1.0))


def test_extra_seeds_of_the_best_cells_give_a_mean_target(tiny: Path, tmp_path, capsys) -> None:
    import shutil

    from nasperf.benchmarks import SEEDS_FILE, add_seeds, replicate_seed

    path = tmp_path / "b"
    shutil.copytree(tiny, path)
    bench = load_live_benchmark(path)
    assert "val_acc_mean" not in bench.records()[0].scores  # no extra seeds yet
    best = sorted(bench.records(), key=lambda r: -r.target)[:2]
    assert add_seeds(path, top=2, seeds=1) == 2
    assert add_seeds(path, top=2, seeds=1) == 0  # resumed: nothing left to train
    extra = [json.loads(line) for line in (path / SEEDS_FILE).read_text().splitlines()]
    assert {(r["arch"], r["replicate"]) for r in extra} == {(r.arch, 1) for r in best}
    assert all(r["seed"] == replicate_seed(TINY.seed, r["arch"], 1) for r in extra)
    assert all(r["seed"] != b.info["seed"] for r, b in zip(extra, best, strict=False))
    loaded = {r.arch: r for r in load_live_benchmark(path).records()}
    for row in extra:
        rec = loaded[row["arch"]]
        assert rec.info["seeds"] == 2
        assert rec.scores["val_acc_mean"] == pytest.approx((rec.target + row["final_val_acc"]) / 2)
    others = [r for a, r in loaded.items() if a not in {b.arch for b in best}]
    assert all(r.info["seeds"] == 1 and r.scores["val_acc_mean"] == r.target for r in others)
    # the command: the directory's own settings, so a setting given with it is an error
    code = main(["make-benchmark", "--out", str(path), "--extra-seeds", "1", "--top", "3"])
    assert code == 0 and len((path / SEEDS_FILE).read_text().splitlines()) == 3
    code = main(["make-benchmark", "--out", str(path), "--extra-seeds", "1", "--epochs", "5"])
    err = capsys.readouterr().err
    assert code == 2 and "--epochs comes from the benchmark's own settings" in err
    code = main(["make-benchmark", "--out", str(path), "--top", "5", "--cells", "4"])
    assert code == 2 and "--top only applies with --extra-seeds" in capsys.readouterr().err
