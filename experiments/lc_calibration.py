"""Calibration of the learning-curve predictors' predictive distributions: the share of
held-out final accuracies inside the 90% interval (mean ± 1.645 std), over random splits of
100 training and 100 test curves. Target: 0.85-0.95.

    python experiments/lc_calibration.py nb201-cifar10-curves --fidelities 1,3,5,9,19,37,73
"""

from __future__ import annotations

import numpy as np
from harness import parser as make_parser

from nasperf.benchmarks import load_benchmark
from nasperf.predictors import make_predictor


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("benchmark", nargs="?", default="nb201-digits")
    parser.add_argument("--fidelities", default="1,3,5,10,20")
    parser.add_argument("--predictors", default="lcsvr,lc-br,lce")
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--train", type=int, default=100)
    args = parser.parse_args()
    recs = load_benchmark(args.benchmark).records()
    fids = [int(f) for f in args.fidelities.split(",")]
    names = args.predictors.split(",")
    cover = {(n, f): [] for n in names for f in fids}
    for split in range(args.splits):
        order = np.random.default_rng(split).permutation(len(recs))
        train = [recs[i] for i in order[: args.train]]
        test = [recs[i] for i in order[args.train : 2 * args.train]]
        y = np.array([r.target for r in test])
        for n in names:
            for f in fids:
                mean, std = make_predictor(n, fidelity=f).fit(train).predict_dist(test)
                cover[(n, f)].append(float(np.mean(np.abs(y - mean) <= 1.6449 * std)))
    print(f"{args.benchmark}: share of held-out finals inside the 90% interval "
          f"({args.splits} splits, {args.train} training curves)\n")
    print("| predictor | " + " | ".join(f"epoch {f}" for f in fids) + " |")
    print("|---|" + "---|" * len(fids))
    for n in names:
        cells = " | ".join(f"{np.mean(cover[(n, f)]):.2f}" for f in fids)
        print(f"| {n} | {cells} |")


if __name__ == "__main__":
    main()
