"""Summary of a live benchmark: spread of final accuracies, agreement with NB201 CIFAR-10,
and how well an early epoch ranks the cells. Prints markdown for docs/RESULTS.md.

    python experiments/live_benchmark_stats.py nb201-digits        # or live:DIR
"""

from __future__ import annotations

import numpy as np
from harness import parser as make_parser

from nasperf.benchmarks import load_benchmark
from nasperf.stats import kendall_tau, spearman


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("benchmark", nargs="?", default="nb201-digits")
    parser.add_argument("--early", default="1,3,5,10,20")
    args = parser.parse_args()
    bench = load_benchmark(args.benchmark)
    recs = bench.records()
    final = np.array([r.target for r in recs])
    q = np.percentile(final, [0, 5, 25, 50, 75, 95, 100])
    print(f"{bench.name}: {len(recs)} cells that trained to the end, {bench.max_fidelity} epochs\n")
    print("| final val acc | min | 5% | 25% | median | 75% | 95% | max | mean | std |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    cells = " | ".join(f"{v:.2f}" for v in q)
    print(f"| % | {cells} | {final.mean():.2f} | {final.std():.2f} |")
    test = np.array([r.scores["test_acc"] for r in recs])
    print(f"\nSpearman(final val acc, test acc) = {spearman(final, test):.3f}")
    cost = np.array([r.cost for r in recs])
    print(f"training time per cell: mean {cost.mean():.1f} s, total {cost.sum() / 3600:.2f} h")

    print("\n| epoch | Spearman with final | Kendall τ with final |")
    print("|---|---|---|")
    for e in (int(x) for x in args.early.split(",")):
        early = np.array([r.curves["val_acc"][e - 1] for r in recs])
        print(f"| {e} | {spearman(early, final):.3f} | {kendall_tau(early, final):.3f} |")

    try:
        nb201 = load_benchmark("nb201-cifar10")
    except Exception as exc:  # noqa: BLE001 - the comparison is optional
        print(f"\n(NB201 CIFAR-10 not available: {exc})")
        return
    cifar = np.array([nb201.query(r.arch).target for r in recs])
    print(
        f"\nSpearman(final val acc here, NB201 CIFAR-10 val_acc_200ep) over the same "
        f"{len(recs)} cells = {spearman(final, cifar):.3f} "
        f"(Kendall τ {kendall_tau(final, cifar):.3f})"
    )


if __name__ == "__main__":
    main()
