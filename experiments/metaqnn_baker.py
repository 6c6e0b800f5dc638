"""MetaQNN with and without Baker et al.'s early-stopping rule on a benchmark with learning
curves (simulated time), many seeds: epochs spent and the returned candidate.

Both searches follow Baker et al.'s ε schedule scaled to ``--models`` models (a run the rule
stops counts as a model, and teaches the Q-values its predicted final value). The rule: LcSVR
predicting the gain still to come, Δ and checkpoints as given, active after ``--min-completed``
completed runs.

    python experiments/metaqnn_baker.py nb201-digits --seeds 50 --models 150
"""

from __future__ import annotations

import time

import numpy as np
from harness import parser as make_parser

from nasperf.benchmarks import load_benchmark
from nasperf.search import (
    BakerRule,
    MetaQNN,
    TabularBackend,
    default_checkpoints,
    dense_checkpoints,
    metaqnn_schedule,
    run_search,
)


def main() -> None:
    ap = make_parser(__doc__)
    ap.add_argument("benchmark")
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--models", type=int, default=150)
    ap.add_argument("--delta", type=float, default=0.1)
    ap.add_argument("--min-completed", type=int, default=10)
    ap.add_argument("--checkpoints", choices=("dense", "default"), default="dense")
    args = ap.parse_args()
    bench = load_benchmark(args.benchmark)
    best = max(r.target for r in bench.records())
    top = TabularBackend(bench).max_epochs
    marks = (dense_checkpoints if args.checkpoints == "dense" else default_checkpoints)(top)
    rows = []
    tick = time.perf_counter()
    for seed in range(args.seeds):
        out = {}
        for name in ("plain", "baker"):
            rule = None
            if name == "baker":
                rule = BakerRule(args.delta, min_completed=args.min_completed, checkpoints=marks)
            sched = MetaQNN(metaqnn_schedule(args.models))
            backend = TabularBackend(bench)
            res = run_search(sched, backend, rule=rule, seed=seed)
            # the best of the models it started, by their final value in the table: the rule
            # is safe when the search returns it (it was not stopped)
            started = max(backend.true_final(backend.run(a).arch) for a in sched.state.seen)
            out[name] = (res.epochs_used, res.best_value, res.stopped, res.configs,
                         res.best_value == started)  # fmt: skip
        rows.append(out)
    plain = np.array([r["plain"][0] for r in rows])
    baker = np.array([r["baker"][0] for r in rows])
    same = sum(r["baker"][1] >= r["plain"][1] for r in rows)
    print(
        f"{args.benchmark}: {args.seeds} seeds, {args.models} models, Δ={args.delta}, "
        f"{args.checkpoints} checkpoints, rule after {args.min_completed} runs "
        f"({time.perf_counter() - tick:.0f} s)"
    )
    print(
        "| MetaQNN | epochs (mean) | fewer | returned val (mean) | returned the benchmark's best "
        "| returned >= plain's | returned the best it started | stopped (mean) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, eps in (("plain", plain), ("+ Baker", baker)):
        key = "plain" if name == "plain" else "baker"
        vals = [r[key][1] for r in rows]
        print(
            f"| {name} | {eps.mean():,.0f} | {plain.mean() / eps.mean():.2f}x "
            f"| {np.mean(vals):.3f} | {sum(v == best for v in vals)}/{len(rows)} "
            f"| {same if key == 'baker' else len(rows)}/{len(rows)} "
            f"| {sum(r[key][4] for r in rows)}/{len(rows)} "
            f"| {np.mean([r[key][2] for r in rows]):.1f} |"
        )


if __name__ == "__main__":
    main()
