"""FEAR random search against random search with full training, live, the paper's measure.

For each seed, ``--n`` cells are drawn from a live benchmark (its cells, so their final accuracy
is known) in a seeded order. FEAR random search scores them live on ``--workers`` workers (the
threshold calibrated on reference cells, the time-ratio rule dropping slow stage 1s) and
returns the best score; random search trains every one of them to the end on the same workers
and returns the best final validation accuracy. Both run in this process, one after the other,
so their wall clocks are comparable. Reported per seed: the wall-clock ratio (FEAR without and
with the full training of its returned cell), the benchmark's final accuracy of each returned
cell (and its mean over seeds when the benchmark has extra seeds), and the time random search
took to complete a cell at least as good as FEAR's (the stricter measure). Rows go to
``--out`` as JSON lines; ``--report`` summarises them.

    python experiments/fear_search.py nb201-digits --n 50 --seeds 0,1,2,3,4 --workers 2 \
        --out runs/fear/search_digits.jsonl
    python experiments/fear_search.py nb201-digits --out runs/fear/search_digits.jsonl --report
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from harness import journal
from harness import parser as make_parser

from nasperf.benchmarks import live_benchmark_dir, load_live_benchmark, read_live_config
from nasperf.execution import LocalExecutor
from nasperf.predictors.training_based import FearSettings
from nasperf.search import (
    LiveBackend,
    LiveEstimateBackend,
    RandomSearch,
    estimate_then_train,
    permuted,
    run_search,
)
from nasperf.store import json_ready


class Completions:
    """The loop's ``on_event`` hook: (clock, arch) of every run trained to its last epoch."""

    def __init__(self, max_epochs: int) -> None:
        self.max_epochs = max_epochs
        self.log: list[tuple[float, str]] = []

    def __call__(self, event: Any, run: Any, now: float) -> None:
        if event.error is None and run.epochs == self.max_epochs:
            self.log.append((now, str(event.arch)))


def one_seed(args: argparse.Namespace, seed: int) -> dict[str, Any]:
    path = live_benchmark_dir(args.benchmark)
    config = read_live_config(path)
    bench = load_live_benchmark(path)
    truth = {r.arch: float(r.target) for r in bench.records()}
    mean = {r.arch: float(r.scores.get("val_acc_mean", r.target)) for r in bench.records()}
    archs = list(permuted(sorted(truth), seed))[: args.n]
    settings = FearSettings(
        threshold=args.threshold, stage2_epochs=args.stage2_epochs,
        max_epochs=min(10, config.epochs),
    )  # fmt: skip
    ratio = args.time_ratio or None
    with tempfile.TemporaryDirectory() as tmp, LocalExecutor(workers=args.workers) as ex:
        tick = time.perf_counter()
        estimates = LiveEstimateBackend(config, ex, settings, config.seed, "cpu", ratio)
        full = LiveBackend(config, ex, Path(tmp) / "fear", seed=config.seed)
        found = estimate_then_train(
            RandomSearch(archs), estimates, full, args.top_k, workers=args.workers, seed=seed
        )
        estimates.close()
        full.close()
        fear_wall = time.perf_counter() - tick
        rows = list(estimates.rows.values())
        if args.baseline:  # random search's run of this seed, from an earlier file
            lines = Path(args.baseline).read_text().splitlines()
            base = {json.loads(x)["seed"]: json.loads(x) for x in lines if x.strip()}[seed]
            rs_fields = {k: v for k, v in base.items() if k.startswith("rs_")}
            log = [tuple(x) for x in base.get("rs_completions", [])]
        else:
            rs_backend = LiveBackend(config, ex, Path(tmp) / "rs", seed=config.seed)
            completions = Completions(rs_backend.max_epochs)
            log = completions.log
            tick = time.perf_counter()
            rs = run_search(RandomSearch(archs), rs_backend, workers=args.workers, seed=seed,
                            on_event=completions)  # fmt: skip
            rs_backend.close()
            rs_fields = {
                "rs_wall_s": time.perf_counter() - tick, "rs_clock_s": rs_backend.now,
                "rs_arch": rs.best_arch, "rs_final": truth[rs.best_arch],
                "rs_mean": mean[rs.best_arch], "rs_live_value": rs.best_value,
                "rs_completions": log,
            }  # fmt: skip
    fear_arch = found.best_arch
    target = truth[fear_arch]
    reach = next((t for t, a in log if truth[a] >= target), None)
    return {
        **rs_fields,
        "seed": seed,
        "n": len(archs),
        "threshold": estimates.threshold,
        "fear_estimate_s": found.estimate_seconds,
        "fear_train_s": found.train_seconds,
        "fear_wall_s": fear_wall,
        "fear_arch": fear_arch,
        "fear_final": target,
        "fear_mean": mean[fear_arch],
        "time_ratio": ratio,
        "best_of_n": max(truth[a] for a in archs),
        "rs_time_to_fear_final_s": reach,
        "dropped": sum(r.get("status") == "dropped" for r in rows),
        "capped": sum(bool(r.get("capped")) for r in rows),
        "failed": sum(r.get("status") not in ("ok", "dropped") for r in rows),
    }


def report(path: Path) -> None:
    rows = journal(path, None).read()
    print("| seed | threshold | FEAR s (+ training the returned cell) | random search s | "
          "ratio | FEAR's cell final | RS's cell final | best of n | RS time to FEAR's "
          "final | dropped/capped |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        est = r["fear_estimate_s"]
        reach = r["rs_time_to_fear_final_s"]
        reach = np.nan if reach is None else reach
        print(f"| {r['seed']} | {r['threshold']:.3f} | {est:.0f} (+{r['fear_train_s']:.0f}) | "
              f"{r['rs_clock_s']:.0f} | {r['rs_clock_s'] / est:.2f}x | {r['fear_final']:.2f} | "
              f"{r['rs_final']:.2f} | {r['best_of_n']:.2f} | {reach:.0f} s | "
              f"{r['dropped']}/{r['capped']} |")  # fmt: skip
    est = np.array([r["fear_estimate_s"] for r in rows])
    whole = est + np.array([r["fear_train_s"] for r in rows])
    rs = np.array([r["rs_clock_s"] for r in rows])
    reach = np.array([np.nan if r["rs_time_to_fear_final_s"] is None
                      else r["rs_time_to_fear_final_s"] for r in rows], dtype=float)  # fmt: skip
    regret = np.array([r["rs_final"] - r["fear_final"] for r in rows])
    regret_mean = np.array([r["rs_mean"] - r["fear_mean"] for r in rows])
    print(
        f"\n{len(rows)} seeds, n = {rows[0]['n']}: wall-clock ratio {np.mean(rs / est):.2f}x "
        f"(ratio of sums {rs.sum() / est.sum():.2f}x); with the returned cell trained "
        f"{np.mean(rs / whole):.2f}x; random search reached FEAR's final after "
        f"{np.mean(reach / rs):.0%} of its time on average ({np.mean(reach / est):.2f}x FEAR's "
        f"time); mean regret against random search {regret.mean():+.2f} points "
        f"(sd {regret.std(ddof=1) if len(rows) > 1 else 0:.2f}); on the seed means "
        f"{regret_mean.mean():+.2f}"
    )


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("benchmark")
    parser.add_argument("--out", required=True)
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--stage2-epochs", type=int, default=5)
    parser.add_argument("--time-ratio", type=float, default=4.0)
    parser.add_argument("--top-k", type=int, default=1)
    parser.add_argument("--report", action="store_true")
    parser.add_argument(
        "--baseline",
        default=None,
        help="take random search's runs from this earlier output (same seeds, n and "
        "benchmark) instead of running them",
    )
    args = parser.parse_args()
    out = Path(args.out)
    if args.report:
        report(out)
        return
    settings = {k: getattr(args, k) for k in ("benchmark", "n", "threshold", "stage2_epochs",
                                               "time_ratio", "top_k")}  # fmt: skip
    rows = journal(out, settings)  # the same settings continue it; the seeds may grow
    done = {row["seed"] for row in rows.read()}
    with rows.open() as fh:
        for seed in (int(s) for s in args.seeds.split(",")):
            if seed not in done:
                row = one_seed(args, seed)
                fh.append(json_ready(row))
                print(json.dumps(json_ready(row)), flush=True)
    report(out)


if __name__ == "__main__":
    main()
