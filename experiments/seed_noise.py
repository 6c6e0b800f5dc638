"""How much a cell's final validation accuracy moves with the weight seed alone.

Retrains the ``--top`` best cells of a live benchmark (by its recorded final) with ``--seeds``
new weight seeds each, with the benchmark's own settings, on the process pool, and reports
each cell's spread and the pooled standard deviation. Tells whether the accuracy gaps at the
top of the benchmark are larger than seed noise.

    python experiments/seed_noise.py nb201-digits --top 10 --seeds 3
"""

from __future__ import annotations

import tempfile

import numpy as np
from harness import parser as make_parser

from nasperf.benchmarks import live_benchmark_dir, load_live_benchmark, read_live_config
from nasperf.execution import LocalExecutor
from nasperf.search import LiveBackend, random_search


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("benchmark", help="nb201-digits or a live benchmark directory")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    path = live_benchmark_dir(args.benchmark)
    config = read_live_config(path)
    bench = load_live_benchmark(path)
    top = sorted(bench.records(), key=lambda r: r.target, reverse=True)[: args.top]
    finals = {r.arch: [float(r.target)] for r in top}
    with LocalExecutor(workers=args.workers) as ex:
        for seed in range(1, args.seeds + 1):
            with tempfile.TemporaryDirectory() as tmp:
                backend = LiveBackend(config, ex, tmp, seed=10_000 + seed)
                try:  # every cell to the end, each on the first free worker
                    random_search(backend, [r.arch for r in top], workers=ex.workers)
                finally:
                    backend.close()
            for r in top:
                run = backend.run(r.arch)
                done = r.arch not in backend.failed and run.epochs == config.epochs
                finals[r.arch].append(run.last if done else np.nan)
    print(
        f"{bench.name}: the {args.top} best cells, final validation accuracy with the "
        f"benchmark's seed and {args.seeds} new ones ({config.epochs} epochs)\n"
    )
    print("| cell | benchmark | new seeds | mean | std |")
    print("|---|---|---|---|---|")
    stds = []
    for r in top:
        v = np.array(finals[r.arch])
        std = float(np.nanstd(v, ddof=1))
        stds.append(std)
        new = ", ".join(f"{x:.2f}" for x in v[1:])
        print(f"| `{r.arch}` | {v[0]:.2f} | {new} | {np.nanmean(v):.2f} | {std:.2f} |")
    all_new = np.array([finals[r.arch][1:] for r in top])
    print(
        f"\npooled seed std {np.sqrt(np.mean(np.square(stds))):.2f} points; the benchmark's "
        f"top-{args.top} mean {np.mean([r.target for r in top]):.2f} against "
        f"{np.nanmean(all_new):.2f} with new seeds (regression to the mean)"
    )


if __name__ == "__main__":
    main()
