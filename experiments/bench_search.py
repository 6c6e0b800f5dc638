"""Search overhead: the time a scheduler takes per decision (``suggest`` plus hearing the
result), the loop's time per job on a table, BANANAS's surrogate refits, and the wall time of a
many-seed NB201 search on the local executor.

    python experiments/bench_search.py --seeds 100 --workers 2
"""

from __future__ import annotations

import time

from harness import parser as make_parser

from nasperf.benchmarks import load_benchmark
from nasperf.execution import make_executor
from nasperf.search import (
    BakerRule,
    Scheduler,
    SearchSpec,
    TabularBackend,
    dense_checkpoints,
    make_scheduler,
    run_search,
    run_seeds,
)


class Timed(Scheduler):
    """Wraps a scheduler and times its calls."""

    def __init__(self, inner: Scheduler) -> None:
        self.inner = inner
        self.name = inner.name
        self.seconds = 0.0
        self.calls = 0

    def _time(self, fn, *args):  # noqa: ANN001, ANN002, ANN202
        tick = time.perf_counter()
        out = fn(*args)
        self.seconds += time.perf_counter() - tick
        return out

    def bind(self, state) -> None:  # noqa: ANN001
        super().bind(state)
        self._time(self.inner.bind, state)

    def suggest(self):  # noqa: ANN201
        self.calls += 1
        return self._time(self.inner.suggest)

    def on_result(self, job, run) -> None:  # noqa: ANN001
        self._time(self.inner.on_result, job, run)

    def on_stop(self, job, run, reason) -> None:  # noqa: ANN001
        self._time(self.inner.on_stop, job, run, reason)


CASES = [
    ("nb201-cifar10", "random", {}, 150),
    ("nb201-cifar10", "re", {}, 150),
    ("nb201-cifar10", "ls", {}, 150),
    ("nb201-cifar10", "metaqnn", {}, 150),
    ("nb201-cifar10", "bananas", {"predictor": "xgb"}, 150),
    ("nb201-cifar10", "bananas", {}, 150),
    ("nb201-digits", "asha", {}, None),
    ("nb201-digits", "hyperband", {}, None),
]


def overhead(repeats: int) -> None:
    print(
        "| benchmark | strategy | jobs | scheduler ms / decision | loop ms / job (all) "
        "| surrogate refits | refit s (mean) |"
    )
    print("|---|---|---|---|---|---|---|")
    for bench_name, strategy, params, queries in CASES:
        bench = load_benchmark(bench_name)
        label = strategy + (f" ({params['predictor']})" if params else "")
        reps = 1 if strategy == "bananas" else repeats
        sched_s = loop_s = 0.0
        jobs = decisions = refits = 0
        fit_s = 0.0
        for seed in range(reps):
            backend = TabularBackend(bench)
            budget = None if queries is None else queries * backend.max_epochs
            if strategy in ("asha", "hyperband"):
                budget = 3000
            inner = make_scheduler(strategy, params)
            timed = Timed(inner)
            tick = time.perf_counter()
            res = run_search(timed, backend, budget_epochs=budget, seed=seed,
                             workers=4 if strategy == "asha" else 1)  # fmt: skip
            loop_s += time.perf_counter() - tick
            sched_s += timed.seconds
            decisions += timed.calls
            jobs += res.jobs
            refits += getattr(inner, "refits", 0)
            fit_s += getattr(inner, "fit_seconds", 0.0)
        print(
            f"| {bench_name} | {label} | {jobs // reps} | {1000 * sched_s / decisions:.3f} "
            f"| {1000 * loop_s / jobs:.3f} | {refits // reps} "
            f"| {fit_s / max(refits, 1):.3f} |"
        )


def rule_overhead() -> None:
    bench = load_benchmark("nb201-digits")
    backend = TabularBackend(bench)
    rule = BakerRule(0.1, checkpoints=dense_checkpoints(backend.max_epochs))
    tick = time.perf_counter()
    res = run_search(make_scheduler("random"), backend, rule=rule, seed=0)
    wall = time.perf_counter() - tick
    print(
        f"\nrandom + Baker on nb201-digits: {rule.decisions} rule decisions, "
        f"{1000 * wall / max(rule.decisions, 1):.2f} ms each (model refits included), "
        f"{res.jobs} jobs, {wall:.1f} s"
    )


def many_seeds(seeds: int, workers: int) -> None:
    print()
    for strategy, params in (("re", {}), ("bananas", {"predictor": "xgb"})):
        spec = SearchSpec(strategy, "nb201-cifar10", params, budget_epochs=150)
        tick = time.perf_counter()
        with make_executor("local", workers=workers) as ex:
            results = run_seeds(spec, range(seeds), ex)
        wall = time.perf_counter() - tick
        label = strategy + (f" ({params['predictor']})" if params else "")
        print(
            f"{seeds} seeds of {label}, 150 queries each, on {workers} workers: {wall:.1f} s "
            f"({len(results)} results)"
        )


def main() -> None:
    ap = make_parser(__doc__)
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    overhead(args.repeats)
    rule_overhead()
    many_seeds(args.seeds, args.workers)


if __name__ == "__main__":
    main()
