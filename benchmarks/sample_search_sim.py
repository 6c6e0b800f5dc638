"""Sample-and-estimate against random search with full training, replayed from recorded runs.

Uses the per-cell results of ``feature_history_ablation.py --save`` (feature-history estimates
of each cell after E epochs) and the live benchmark the cells come from (full-training finals
and the recorded per-epoch times). Per seed, in a random order of the cells:

- sample-and-estimate estimates the first ``--n`` cells with E epochs (cost: their recorded
  time for E epochs times (1 + capture overhead) plus the proxy classifier), fully trains the
  ``--top-k`` best estimates, and returns the best of them;
- random search fully trains cells in the same order until one is at least as good.

Both run on ``--workers`` parallel workers (cost divided by the workers, jobs packed greedily).
Reports the median wall-clock of each and the reduction.

    python benchmarks/sample_search_sim.py runs/fh_digits.json nb201-digits --epochs 2
"""

from __future__ import annotations

import argparse
import heapq
import json

import numpy as np

from nasperf.benchmarks import load_benchmark


def makespan(costs: list[float], workers: int) -> float:
    """Wall-clock of running ``costs`` in order on ``workers`` (each job to the first free)."""
    free = [0.0] * workers
    heapq.heapify(free)
    end = 0.0
    for c in costs:
        t = heapq.heappop(free) + c
        end = max(end, t)
        heapq.heappush(free, t)
    return end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results")
    parser.add_argument("benchmark")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--estimator", default="concat K=2", help="a variant, or 'own'")
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--capture-overhead", type=float, default=0.1)
    parser.add_argument("--classifier-seconds", type=float, default=0.3)
    parser.add_argument("--seeds", type=int, default=200)
    args = parser.parse_args()
    rows = json.loads(open(args.results).read())
    bench = load_benchmark(args.benchmark)
    key = f"{args.estimator}|{args.epochs}"
    if args.estimator == "own":  # the network's own validation accuracy at epoch E
        for r in rows.values():
            if r.get("est"):
                r["est"][key] = r["val_acc"][args.epochs - 1]
    cells = [a for a, r in rows.items() if key in r.get("est", {})]
    final = {a: float(bench.query(a).target) for a in cells}
    full_cost = {a: bench.cost(a) for a in cells}
    est_cost = {
        a: bench.cost(a, args.epochs) * (1 + args.capture_overhead) + args.classifier_seconds
        for a in cells
    }
    t_se, t_rs, found, ratio = [], [], 0, []
    for seed in range(args.seeds):
        order = [cells[i] for i in np.random.default_rng(seed).permutation(len(cells))]
        sampled = order[: args.n]
        top = sorted(sampled, key=lambda a: rows[a]["est"][key], reverse=True)[: args.top_k]
        got = max(final[a] for a in top)
        se = makespan([est_cost[a] for a in sampled], args.workers) + makespan(
            [full_cost[a] for a in top], args.workers
        )
        need = next((i for i, a in enumerate(order) if final[a] >= got - 1e-9), None)
        if need is None:
            continue
        found += 1
        rs = makespan([full_cost[a] for a in order[: need + 1]], args.workers)
        t_se.append(se)
        t_rs.append(rs)
        ratio.append(1 - se / rs)
    print(
        f"{args.benchmark}: {len(cells)} cells, estimator {args.estimator} at E={args.epochs}, "
        f"n={args.n}, top-k={args.top_k}, {args.workers} workers, {args.seeds} seeds"
    )
    print(
        f"median wall-clock: sample-and-estimate {np.median(t_se):.0f} s, random search to an "
        f"architecture at least as good {np.median(t_rs):.0f} s; median reduction "
        f"{100 * np.median(ratio):.0f}% (mean {100 * np.mean(ratio):.0f}%); random search "
        f"reached it within the {len(cells)} cells in {found}/{args.seeds} seeds"
    )


if __name__ == "__main__":
    main()
