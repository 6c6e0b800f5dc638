"""The anytime view of architecture search on a table: median regret and its interquartile band
against queries and time, one line per strategy, many seeds (run in parallel, journalled).

    python experiments/nas_anytime.py nb201-cifar10 --seeds 100 --queries 150 --workers 2 \\
        --strategies random,re,ls,bananas:lgb,npenas:lgb --out runs/nas/anytime \\
        --plot docs/nas_nb201_cifar10.png

A strategy is ``NAME`` or ``NAME:PREDICTOR`` (the surrogate of bananas and npenas).
"""

from __future__ import annotations

from pathlib import Path

from harness import parser as make_parser

from nasperf.benchmarks import load_benchmark
from nasperf.execution import make_executor
from nasperf.search import SearchSpec, plot_anytime, records_time, run_seeds


def main() -> None:
    ap = make_parser(__doc__)
    ap.add_argument("benchmark")
    ap.add_argument("--strategies", default="random,re,ls,bananas:lgb,npenas:lgb")
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--queries", type=int, default=150)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--plot", type=Path, required=True)
    args = ap.parse_args()
    bench = load_benchmark(args.benchmark)
    optimum = max(float(r.target) for r in bench.records())
    by: dict[str, list] = {}
    with make_executor("local", args.workers) as ex:
        for spec_text in args.strategies.split(","):
            name, _, predictor = spec_text.partition(":")
            params = {"predictor": predictor} if predictor else {}
            spec = SearchSpec(name, args.benchmark, params, queries=args.queries)
            spec.check()
            journal = args.out / spec_text.replace(":", "-")
            by[spec_text] = run_seeds(spec, range(args.seeds), ex, journal)
            print(f"{spec_text}: {len(by[spec_text])} seeds", flush=True)
    title = f"{bench.name}: {args.queries} queries, regret in validation accuracy"
    timed = records_time(bench)
    label = "time (simulated seconds)" if timed else "time (one unit per epoch: no time recorded)"
    print(plot_anytime(by, optimum, args.plot, title, time_label=label))


if __name__ == "__main__":
    main()
