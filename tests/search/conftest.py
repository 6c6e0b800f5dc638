"""The table the search tests share: the shipped nb201-digits (300 cells, 30-epoch curves,
recorded per-epoch time), loaded once per session."""

from __future__ import annotations

import pytest

from nasperf.benchmarks import TabularBenchmark, load_benchmark


@pytest.fixture(scope="session")
def bench() -> TabularBenchmark:
    return load_benchmark("nb201-digits")


@pytest.fixture(scope="session")
def archs(bench: TabularBenchmark) -> list:
    return [r.arch for r in bench.records()]
