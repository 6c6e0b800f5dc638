"""The benchmark shipped inside the package (made with ``nasperf make-benchmark``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import nasperf.benchmarks
from nasperf.benchmarks import load_benchmark

SHIPPED = Path(nasperf.benchmarks.__file__).parent / "_shipped" / "nb201-digits"


def test_nb201_digits_is_complete_and_loads() -> None:
    meta = json.loads((SHIPPED / "meta.json").read_text())
    config = meta["config"]
    assert (config["dataset"], config["cells"], config["epochs"]) == ("digits", 300, 30)
    lines = (SHIPPED / "cells.jsonl").read_text().splitlines()
    archs = [json.loads(line)["arch"] for line in lines]
    assert len(archs) == len(set(archs)) == 300  # every cell exactly once
    bench = load_benchmark("nb201-digits")
    assert bench.name == "nb201-digits" and bench.max_fidelity == 30
    assert len(bench) >= 280  # a few cells may diverge; they are left out
    finals = np.array([r.target for r in bench.records()])
    assert finals.std() > 1.0  # the cells differ: a benchmark worth ranking on
    for rec in bench.records()[:20]:
        assert rec.curves["val_acc"].shape == (30,) and rec.cost > 0
        assert {"params_m", "flops", "synflow", "jacov", "test_acc"} <= set(rec.scores)


def test_nb201_mnist_is_complete_and_loads() -> None:
    path = SHIPPED.parent / "nb201-mnist"
    config = json.loads((path / "meta.json").read_text())["config"]
    assert (config["dataset"], config["cells"], config["train"]["epochs"]) == ("mnist", 200, 15)
    archs = [json.loads(line)["arch"] for line in (path / "cells.jsonl").read_text().splitlines()]
    assert len(archs) == len(set(archs)) == 200
    bench = load_benchmark("nb201-mnist")
    assert bench.name == "nb201-mnist" and bench.max_fidelity == 15 and len(bench) >= 190
    assert np.array([r.target for r in bench.records()]).std() > 1.0
    for rec in bench.records()[:20]:
        assert rec.curves["val_acc"].shape == (15,) and rec.cost > 0
        assert {"params_m", "flops", "synflow", "jacov", "meco"} <= set(rec.scores)


def test_shipped_benchmarks_carry_a_seed_mean_target_for_their_top_cells() -> None:
    for name in ("nb201-digits", "nb201-mnist"):
        recs = load_benchmark(name).records()
        several = [r for r in recs if r.info["seeds"] > 1]
        assert len(several) == 30 and all(r.info["seeds"] == 3 for r in several), name
        best = sorted(recs, key=lambda r: -r.target)[:30]
        assert {r.arch for r in several} == {r.arch for r in best}
        assert all(r.scores["val_acc_mean"] == r.target for r in recs if r.info["seeds"] == 1)
