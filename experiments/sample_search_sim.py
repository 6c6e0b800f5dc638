"""Sample-and-estimate against random search with full training, replayed from recorded runs.

The costs are a benchmark's recorded per-epoch times (seconds for live benchmarks, epochs for
tabular ones such as ``nb201-cifar10-curves``) and its finals are the ground truth. The estimate
of each cell after E epochs is one of:

- a feature-history variant from ``feature_history_ablation.py --save`` (``--results``), e.g.
  ``"concat K=2"``; it costs E epochs times (1 + capture overhead) plus the proxy classifier;
- ``own``: the network's own validation accuracy at epoch E (from the benchmark's curves);
- ``oracle``: the final accuracy itself at the cost of E epochs, the ceiling of any estimator.

Per seed, in a random order of the cells, sample-and-estimate estimates the first ``--n``,
fully trains the ``--top-k`` best estimates and returns the best of them. Two baselines:

- *to equal*: random search fully trains cells in the same order (the same candidate stream)
  and stops when the first run at least as good as what sample-and-estimate returned finishes.
  The returned cell is among the first n, so random search always gets there within n;
- *same n*: random search fully trains the same ``--n`` cells and returns their best; reported
  with how often sample-and-estimate returned a cell at least as good, and the median regret.

Both run on ``--workers`` parallel workers (each job to the first free worker).

    python experiments/sample_search_sim.py nb201-digits --results runs/fh_digits.json --epochs 2
    python experiments/sample_search_sim.py nb201-cifar10-curves --estimator own --epochs 5
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Sequence

import numpy as np
from harness import parser as make_parser

from nasperf.benchmarks import load_benchmark


def finish_times(costs: Sequence[float], workers: int) -> list[float]:
    """When each job ends, run in order on ``workers`` (each job to the first free worker)."""
    free = [0.0] * workers
    ends = []
    for c in costs:
        t = heapq.heappop(free) + c
        ends.append(t)
        heapq.heappush(free, t)
    return ends


def makespan(costs: list[float], workers: int) -> float:
    """Wall-clock of running all of ``costs`` on ``workers``."""
    return max(finish_times(costs, workers), default=0.0)


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("benchmark")
    parser.add_argument("--results", help="feature-history estimates (ablation --save)")
    parser.add_argument("--estimator", default="concat K=2", help="a variant, own or oracle")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--top-k", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--capture-overhead", type=float, default=0.11)
    parser.add_argument("--classifier-seconds", type=float, default=0.3)
    parser.add_argument("--seeds", type=int, default=200)
    args = parser.parse_args()
    bench = load_benchmark(args.benchmark)
    records = {r.arch: r for r in bench.records()}
    extra = 0.0
    if args.results:  # the pool: the cells with feature-history estimates at this E
        rows = json.loads(open(args.results).read())
        cells = [a for a, r in rows.items() if any(k.endswith(f"|{args.epochs}") for k in r["est"])]
        if not cells:
            parser.error(f"no cell of {args.results} has estimates at E={args.epochs}")
        records = {a: records[a] for a in cells}
    if args.estimator == "own":
        est = {a: r.curves["val_acc"][args.epochs - 1] for a, r in records.items()}
    elif args.estimator == "oracle":
        est = {a: float(r.target) for a, r in records.items()}
    else:
        if not args.results:
            parser.error(f"--estimator {args.estimator!r} needs --results")
        name, _, k = args.estimator.partition(" K=")
        # K is capped at E, as the estimator does: "concat K=2" at E=1 is "concat K=1"
        key = f"{name} K={min(int(k), args.epochs)}" if k else name
        missing = [a for a in records if f"{key}|{args.epochs}" not in rows[a]["est"]]
        if missing:
            parser.error(f"{len(missing)} cells have no estimate {key!r} at E={args.epochs}")
        est = {a: rows[a]["est"][f"{key}|{args.epochs}"] for a in records}
        extra = args.capture_overhead
    cells = sorted(est)
    final = {a: float(records[a].target) for a in cells}
    full_cost = {a: bench.cost(a) for a in cells}
    classifier = args.classifier_seconds if extra else 0.0
    est_cost = {a: bench.cost(a, args.epochs) * (1 + extra) + classifier for a in cells}
    t_se, t_eq, t_same, red_eq, red_same, regret = [], [], [], [], [], []
    for seed in range(args.seeds):
        order = [cells[i] for i in np.random.default_rng(seed).permutation(len(cells))]
        sampled = order[: args.n]
        top = sorted(sampled, key=lambda a: est[a], reverse=True)[: args.top_k]
        got = max(final[a] for a in top)
        se = makespan([est_cost[a] for a in sampled], args.workers) + makespan(
            [full_cost[a] for a in top], args.workers
        )
        ends = finish_times([full_cost[a] for a in sampled], args.workers)
        eq = min(t for a, t in zip(sampled, ends, strict=True) if final[a] >= got - 1e-9)
        same = max(ends)
        t_se.append(se)
        t_eq.append(eq)
        t_same.append(same)
        red_eq.append(1 - se / eq)
        red_same.append(1 - se / same)
        regret.append(max(final[a] for a in sampled) - got)
    regret_a = np.array(regret)
    print(
        f"{args.benchmark}: {len(cells)} cells, estimator {args.estimator} at E={args.epochs}, "
        f"n={args.n}, top-k={args.top_k}, {args.workers} workers, {args.seeds} seeds"
    )
    print(
        f"  to equal: sample-and-estimate {np.median(t_se):.0f}, random search "
        f"{np.median(t_eq):.0f}; median reduction {100 * np.median(red_eq):.0f}%"
    )
    print(
        f"  same n:   random search {np.median(t_same):.0f}; median reduction "
        f"{100 * np.median(red_same):.0f}%; at least as good in "
        f"{int((regret_a <= 1e-9).sum())}/{args.seeds} seeds, median regret "
        f"{np.median(regret_a):.2f}, 90th percentile {np.quantile(regret_a, 0.9):.2f}"
    )


if __name__ == "__main__":
    main()
