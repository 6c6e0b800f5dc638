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
