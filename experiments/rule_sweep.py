"""Baker's rule inside random search: a sweep of Δ, checkpoints and the warm-up, many seeds, on
a benchmark with curves (simulated time). For each setting: epochs spent against random search
with full training over the same candidates, how often the benchmark's best is returned, and
the mean regret.

    python experiments/rule_sweep.py nb201-digits --seeds 50 --workers 2
"""

from __future__ import annotations

import itertools
import time

import numpy as np
from harness import parser as make_parser

from nasperf.benchmarks import load_benchmark
from nasperf.execution import make_executor
from nasperf.search import SearchSpec, run_seeds


def main() -> None:
    ap = make_parser(__doc__)
    ap.add_argument("benchmark")
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--deltas", default="0.1,0.2,0.3")
    ap.add_argument("--warmups", default="5,10")
    args = ap.parse_args()
    bench = load_benchmark(args.benchmark)
    best = max(r.target for r in bench.records())
    seeds = range(args.seeds)
    settings = [("random, full training", "none", {})]
    for delta, warm in itertools.product(map(float, args.deltas.split(",")),
                                         map(int, args.warmups.split(","))):  # fmt: skip
        rule = {"delta": delta, "min_completed": warm, "checkpoints": "dense"}
        settings.append((f"Δ={delta}, dense, after {warm} runs", "baker", rule))
    print(f"{args.benchmark}: random search + Baker's rule, {args.seeds} seeds")
    print(
        "| setting | epochs (mean) | fewer than random | returned the best | mean regret | wall s |"
    )
    print("|---|---|---|---|---|---|")
    base = None
    with make_executor("local", args.workers) as ex:
        for label, rule, params in settings:
            tick = time.perf_counter()
            spec = SearchSpec("random", args.benchmark, {}, rule=rule, rule_params=params)
            results = run_seeds(spec, seeds, ex)
            epochs = np.mean([r.epochs_used for r in results])
            base = base or epochs
            regret = [best - r.best_value for r in results]
            hits = sum(r.best_value == best for r in results)
            print(
                f"| {label} | {epochs:,.0f} | {base / epochs:.2f}x | {hits}/{len(results)} "
                f"| {np.mean(regret):.3f} | {time.perf_counter() - tick:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
