"""Fit and query time of each predictor at n = 100 and 1000 on NB201 CIFAR-10 (`make bench`).

Prints a markdown table (median of --repeats runs) for docs/RESULTS.md. Needs NASPERF_DATA.
"""

from __future__ import annotations

import json
import platform
import statistics
import time

import numpy as np
from harness import parser as make_parser

from nasperf.benchmarks import load_benchmark
from nasperf.predictors import PREDICTORS, get_predictor_class, make_predictor


def main() -> None:
    parser = make_parser(__doc__)
    # the predictors that learn from encodings (zero-cost ones need live models: bench_proxies.py)
    model_based = [n for n in PREDICTORS if get_predictor_class(n).family == "model-based"]
    parser.add_argument("--predictors", default=",".join(model_based))
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--test-size", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()

    bench = load_benchmark("nb201-cifar10")
    records = bench.records()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for name in args.predictors.split(","):
        for n in sizes:
            fits, queries = [], []
            for rep in range(args.repeats):
                order = np.random.default_rng(rep).permutation(len(records))
                test = [records[i] for i in order[: args.test_size]]
                train = [records[i] for i in order[args.test_size : args.test_size + n]]
                pred = make_predictor(name)
                t0 = time.perf_counter()
                pred.fit(train)
                t1 = time.perf_counter()
                pred.predict(test)
                t2 = time.perf_counter()
                fits.append(t1 - t0)
                queries.append((t2 - t1) / len(test))
            rows.append(
                {
                    "predictor": name,
                    "n": n,
                    "fit_s": statistics.median(fits),
                    "query_ms": 1000 * statistics.median(queries),
                }
            )
            print(
                f"{name:8s} n={n:5d} fit {rows[-1]['fit_s']:8.3f} s   "
                f"query {rows[-1]['query_ms']:8.4f} ms/candidate",
                flush=True,
            )
    print(
        f"\nmachine: {platform.processor() or platform.machine()}, "
        f"median of {args.repeats} runs, test size {args.test_size}\n"
    )
    print("| predictor | " + " | ".join(f"fit s (n={n}) | query ms (n={n})" for n in sizes) + " |")
    print("|---|" + "---|---|" * len(sizes))
    for name in dict.fromkeys(r["predictor"] for r in rows):
        cells = []
        for n in sizes:
            r = next(r for r in rows if r["predictor"] == name and r["n"] == n)
            cells += [f"{r['fit_s']:.3f}", f"{r['query_ms']:.4f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
